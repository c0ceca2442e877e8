package org.airbytekinesis.flink.deadletter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a reader of a dead-letter directory sees: the lines of its finished files, those under a
 * final name ({@code dead-letter-*.jsonl}, not hidden). Files still being written (hidden
 * in-progress names) are not looked at. A line that is not JSON is reported as it is, so a file
 * that is visible before it is complete is noticed.
 */
final class VisibleDeadLetters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VisibleDeadLetters() {}

    static boolean isVisibleName(String name) {
        return name.startsWith("dead-letter-") && name.endsWith(".jsonl");
    }

    /** The visible files, by name. */
    static List<Path> files(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> isVisibleName(f.getFileName().toString())).sorted().collect(Collectors.toList());
        }
    }

    /** Every dead letter in the visible files. */
    static List<JsonNode> read(Path directory) throws IOException {
        List<JsonNode> deadLetters = new ArrayList<>();
        for (Path file : files(directory)) {
            byte[] content = Files.readAllBytes(file);
            if (content.length > 0 && content[content.length - 1] != '\n') {
                throw new IOException(file + " does not end with a complete line");
            }
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) {
                    deadLetters.add(JSON.readTree(line));
                }
            }
        }
        return deadLetters;
    }

    /** {@code <file name of the source>:<line>}: how the tests name a dead letter's input line. */
    static String where(String source, long line) {
        return source.substring(source.lastIndexOf('/') + 1) + ":" + line;
    }

    static String where(JsonNode deadLetter) {
        return where(deadLetter.get("source").asText(), deadLetter.get("line").longValue());
    }
}
