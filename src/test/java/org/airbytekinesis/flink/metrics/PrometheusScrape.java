package org.airbytekinesis.flink.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a Prometheus endpoint (text format 0.0.4), parsed into series. */
final class PrometheusScrape {
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static final class Series {
        final String name;
        final Map<String, String> labels;
        final double value;

        Series(String name, Map<String, String> labels, double value) {
            this.name = name;
            this.labels = labels;
            this.value = value;
        }

        @Override
        public String toString() {
            return name + labels + "=" + value;
        }
    }

    final String text;
    final List<Series> series = new ArrayList<>();

    PrometheusScrape(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
            series.add(new Series(sample.group(1), labels, Double.parseDouble(sample.group(3))));
        }
    }

    /** Every metric name in the scrape. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        series.forEach(s -> names.add(s.name));
        return names;
    }

    /** The sum over the series of that name whose labels include these (all subtasks). */
    double sum(String name, Map<String, String> labels) {
        double sum = 0;
        for (Series s : series) {
            if (s.name.equals(name) && s.labels.entrySet().containsAll(labels.entrySet())) {
                sum += s.value;
            }
        }
        return sum;
    }

    /** The series of that name whose labels include these. */
    List<Series> find(String name, Map<String, String> labels) {
        List<Series> found = new ArrayList<>();
        for (Series s : series) {
            if (s.name.equals(name) && s.labels.entrySet().containsAll(labels.entrySet())) {
                found.add(s);
            }
        }
        return found;
    }
}
