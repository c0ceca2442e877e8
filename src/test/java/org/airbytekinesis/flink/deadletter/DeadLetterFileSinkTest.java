package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dead-letter directory sink inside Flink's own sink writer operator: what a reader of the
 * directory sees right after the flush that comes before each checkpoint barrier, at the end of
 * the input, and after a task is closed half-way.
 */
class DeadLetterFileSinkTest {
    @TempDir
    Path dir;

    @Test
    void afterTheFlushBeforeACheckpointBarrierEveryDeadLetterWrittenIsInAVisibleFile() throws Exception {
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.processElement(deadLetter(1, "# one"), 0);
            harness.processElement(deadLetter(2, "[2]"), 0);
            harness.prepareSnapshotPreBarrier(1);
            assertEquals(List.of("in.jsonl:1", "in.jsonl:2"), visible());

            harness.snapshot(1, 1);
            harness.notifyOfCompletedCheckpoint(1);
            harness.processElement(deadLetter(3, "three"), 0);
            harness.prepareSnapshotPreBarrier(2);
            assertEquals(List.of("in.jsonl:1", "in.jsonl:2", "in.jsonl:3"), visible());
        }
        assertEquals(2, VisibleDeadLetters.files(dir).size(), "one file per checkpoint with dead letters");
    }

    @Test
    void theEndOfTheInputPublishesTheLastDeadLetters() throws Exception {
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.processElement(deadLetter(7, "last"), 0);
            harness.endInput();
            assertEquals(List.of("in.jsonl:7"), visible());
        }
    }

    @Test
    void eachDeadLetterIsOneJsonLineWithTheOriginalByteForByte() throws Exception {
        byte[] notUtf8 = {'{', (byte) 0xFF, '}'};
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.processElement(new DeadLetter(DeadLetterReason.INVALID_UTF8, "not valid UTF-8", "/data/in.jsonl", 4, notUtf8), 0);
            harness.prepareSnapshotPreBarrier(1);
        }
        List<JsonNode> deadLetters = VisibleDeadLetters.read(dir);
        assertEquals(1, deadLetters.size());
        JsonNode deadLetter = deadLetters.get(0);
        assertEquals("invalid_utf8", deadLetter.get("reason").asText());
        assertEquals("/data/in.jsonl", deadLetter.get("source").asText());
        assertEquals(4, deadLetter.get("line").longValue());
        assertTrue(deadLetter.get("original").isNull());
        assertArrayEquals(notUtf8, Base64.getDecoder().decode(deadLetter.get("original_base64").asText()));
    }

    @Test
    void aCheckpointWithoutDeadLettersMakesNoFile() throws Exception {
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.prepareSnapshotPreBarrier(1);
            harness.snapshot(1, 1);
            harness.notifyOfCompletedCheckpoint(1);
            harness.endInput();
        }
        assertEquals(List.of(), allFiles());
    }

    @Test
    void deadLettersNotYetFlushedWhenTheTaskIsClosedLeaveNoFileBehind() throws Exception {
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.processElement(deadLetter(1, "published"), 0);
            harness.prepareSnapshotPreBarrier(1);
            harness.processElement(deadLetter(2, "never flushed"), 0);
        }
        assertEquals(List.of("in.jsonl:1"), visible());
        assertEquals(1, allFiles().size(), "only the published file: " + allFiles());
    }

    /** At-least-once: what a restore reads again is dead-lettered again, next to what was published. */
    @Test
    void deadLettersPublishedForACheckpointThatNeverCompletesAreWrittenAgainAfterTheRestore() throws Exception {
        OperatorSubtaskState checkpoint1;
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(0)) {
            harness.processElement(deadLetter(1, "before checkpoint 1"), 0);
            harness.prepareSnapshotPreBarrier(1);
            checkpoint1 = harness.snapshot(1, 1);
            harness.notifyOfCompletedCheckpoint(1);
            harness.processElement(deadLetter(2, "before checkpoint 2"), 0);
            harness.prepareSnapshotPreBarrier(2);
            harness.processElement(deadLetter(3, "after checkpoint 2's barrier"), 0);
            // the task fails before checkpoint 2 completes
        }
        try (OneInputStreamOperatorTestHarness<DeadLetter, ?> restored = newHarness(0)) {
            restored.initializeState(checkpoint1);
            restored.open();
            restored.processElement(deadLetter(2, "before checkpoint 2"), 0);
            restored.processElement(deadLetter(3, "after checkpoint 2's barrier"), 0);
            restored.endInput();
        }
        assertEquals(List.of("in.jsonl:1", "in.jsonl:2", "in.jsonl:2", "in.jsonl:3"), visible());
    }

    @Test
    void filesAreNamedByUtcTimeSubtaskAndARandomPartSoNoTwoWritersShareAName() throws Exception {
        for (int subtask : new int[] {0, 1, 1}) {
            try (OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = harness(subtask)) {
                harness.processElement(deadLetter(subtask, "x"), 0);
                harness.prepareSnapshotPreBarrier(1);
            }
        }
        List<String> names = allFiles();
        assertEquals(3, names.size(), names.toString());
        for (String name : names) {
            assertTrue(name.matches("dead-letter-\\d{8}T\\d{6}\\.\\d{3}Z-[01]-[0-9a-f]{8}\\.jsonl"), name);
        }
        assertEquals(2, names.stream().filter(n -> n.contains("Z-1-")).count(), names.toString());
        assertNotEquals(names.get(1), names.get(2));
    }

    /** Sinks are still made through the deprecated factory method by some callers. */
    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedWriterFactoryWritesTheSameFilesAsTheCurrentOne() throws Exception {
        Sink.InitContext subtask1 = (Sink.InitContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Sink.InitContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getSubtaskId")) {
                        return 1;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        SinkWriter<DeadLetter> writer = new DeadLetterFileSink(dir.toUri().toString()).createWriter(subtask1);
        writer.write(deadLetter(5, "old factory"), null);
        writer.flush(false);
        writer.close();
        assertEquals(List.of("in.jsonl:5"), visible());
        assertTrue(allFiles().get(0).contains("Z-1-"), "named by its subtask: " + allFiles());
    }

    private OneInputStreamOperatorTestHarness<DeadLetter, ?> harness(int subtask) throws Exception {
        OneInputStreamOperatorTestHarness<DeadLetter, ?> harness = newHarness(subtask);
        harness.open();
        return harness;
    }

    private OneInputStreamOperatorTestHarness<DeadLetter, ?> newHarness(int subtask) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new SinkWriterOperatorFactory<>(DeadLetterOutputs.directorySink(dir.toUri().toString())), 2, 2, subtask);
    }

    private static DeadLetter deadLetter(long line, String text) {
        return new DeadLetter(DeadLetterReason.NOT_JSON, "not JSON", "/data/in.jsonl", line, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The dead letters in visible files, as {@code file:line}, sorted by line. */
    private List<String> visible() throws IOException {
        List<String> where = new ArrayList<>();
        for (JsonNode deadLetter : VisibleDeadLetters.read(dir)) {
            where.add(VisibleDeadLetters.where(deadLetter));
        }
        where.sort(null);
        return where;
    }

    /** Every file in the directory, hidden ones too. */
    private List<String> allFiles() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
