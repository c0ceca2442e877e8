package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The enveloper's counts as a metric reporter sees them: one metric name per count, with the
 * stream, dead-letter reason or message type as a label (a key/value group), not in the name.
 */
class EnvelopeMetricsITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(reporterConfig())
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(1)
                    .build());

    private static Configuration reporterConfig() {
        Configuration config = new Configuration();
        config.setString("metrics.reporter.capture.factory.class", CapturingReporter.Factory.class.getName());
        return config;
    }

    /** Keeps every counter with its name and labels; counters of finished tasks keep their counts. */
    public static final class CapturingReporter implements MetricReporter {
        static final Map<Counter, String> SERIES = new ConcurrentHashMap<>();

        @Override
        public void open(MetricConfig config) {}

        @Override
        public void close() {}

        @Override
        public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
            // Flink's own operator counters (numRecordsIn, ...) are not ours.
            if (metric instanceof Counter && !name.startsWith("num") && group.getAllVariables().containsKey("<operator_name>")
                    && group.getAllVariables().get("<operator_name>").startsWith("Envelope")) {
                Map<String, String> labels = new TreeMap<>();
                group.getAllVariables().forEach((key, value) -> {
                    if (List.of("<stream>", "<reason>", "<type>").contains(key)) {
                        labels.put(key.substring(1, key.length() - 1), value);
                    }
                });
                SERIES.put((Counter) metric, name + labels);
            }
        }

        @Override
        public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

        public static final class Factory implements MetricReporterFactory {
            @Override
            public MetricReporter createMetricReporter(Properties properties) {
                return new CapturingReporter();
            }
        }
    }

    @Test
    void countsPerStreamReasonAndTypeAreOneMetricNameEachWithTheValueAsALabel() throws Exception {
        StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("poke", "pokemon"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor(null, "idle"), DestinationSyncMode.APPEND))));
        List<String> lines = List.of(
                record(null, "users", "{\"id\":1}"),
                record(null, "users", "{\"id\":2,\"name\":\"ünïcode\"}"),
                record("poke", "pokemon", "{\"id\":3}"),
                record(null, "users", "{\"id\":4}"),
                "not json",
                record(null, "stranger", "{}"),
                "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"x\"}}",
                "{\"type\":\"STATE\",\"state\":{\"data\":{}}}",
                "");
        List<InputLine> input = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            input.add(new InputLine("file:/in.jsonl", i + 1, lines.get(i).getBytes(StandardCharsets.UTF_8)));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        Map<String, Long> expected = new TreeMap<>();
        try (CloseableIterator<KinesisEnvelope> out = env.fromData(input)
                .process(new RecordEnveloper(routes, EnvelopeSettings.defaults())).name("Envelope").uid("envelope")
                .executeAndCollect()) {
            // What the reporter must show, computed from the envelopes the job put out.
            out.forEachRemaining(envelope -> {
                expected.merge("records{stream=" + envelope.kinesisStream + "}", 1L, Long::sum);
                expected.merge("bytes{stream=" + envelope.kinesisStream + "}", (long) envelope.payload.length, Long::sum);
            });
        }
        expected.put("records{stream=_idle}", 0L);
        expected.put("bytes{stream=_idle}", 0L);
        expected.put("lines{}", 9L);
        expected.put("bytesRead{}", lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum());
        expected.put("records{}", 4L);
        expected.put("blankLines{}", 1L);
        expected.put("deadLetters{reason=not_json}", 1L);
        expected.put("deadLetters{reason=stream_not_in_catalog}", 1L);
        expected.put("messages{type=LOG}", 1L);
        expected.put("messages{type=STATE}", 1L);

        Map<String, Long> seen = new HashMap<>();
        CapturingReporter.SERIES.forEach((counter, series) -> seen.merge(series, counter.getCount(), Long::sum));

        assertEquals(3L, expected.get("records{stream=_users}"));
        assertEquals(expected, new TreeMap<>(seen));
    }

    private static String record(String namespace, String stream, String data) {
        return "{\"type\":\"RECORD\",\"record\":{" + (namespace == null ? "" : "\"namespace\":\"" + namespace + "\",")
                + "\"stream\":\"" + stream + "\",\"data\":" + data + ",\"emitted_at\":1}}";
    }
}
