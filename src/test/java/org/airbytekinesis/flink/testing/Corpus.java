package org.airbytekinesis.flink.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real Airbyte connector output in {@code src/test/resources/corpus} (where each file came
 * from: its {@code SOURCES.md}), read from the test classpath so nothing outside the project is
 * needed.
 */
public final class Corpus {
    public static final Path DIR = directory();

    private Corpus() {}

    private static Path directory() {
        URL sources = Corpus.class.getResource("/corpus/SOURCES.md");
        if (sources == null) {
            throw new IllegalStateException("the corpus (src/test/resources/corpus) is not on the test classpath");
        }
        try {
            return Path.of(sources.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path file(String name) {
        return DIR.resolve(name);
    }

    /** Every {@code messages__*} file (.log and .jsonl), sorted by name. */
    public static List<Path> messageFiles() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files
                    .filter(p -> p.getFileName().toString().startsWith("messages__"))
                    .filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".jsonl"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** Lines split at LF, byte-exact; a trailing newline does not start another line. */
    public static List<byte[]> lines(byte[] content) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                lines.add(Arrays.copyOfRange(content, start, i));
                start = i + 1;
            }
        }
        if (start < content.length) {
            lines.add(Arrays.copyOfRange(content, start, content.length));
        }
        return lines;
    }
}
