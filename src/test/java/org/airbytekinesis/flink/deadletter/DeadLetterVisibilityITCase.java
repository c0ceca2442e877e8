package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.testing.FailOnceAfterCheckpoint;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The STATE promise for the dead-letter directory, checked where it matters: at the moment each
 * STATE is released, every dead letter of a line before it in its input is in a file of the
 * dead-letter directory under its final name. Two inputs read side by side, bad lines between
 * records and STATEs, paced over many checkpoints. Records go to a discarding sink: only the
 * dead letters are under test here.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeadLetterVisibilityITCase {
    private static final int LINES_PER_FILE = 1_500;
    private static final int STATE_EVERY = 30;
    private static final int BAD_EVERY = 7;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final List<String> RELEASED = Collections.synchronizedList(new ArrayList<>());
    static final List<String> VIOLATIONS = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path dir;

    @BeforeEach
    void reset() {
        RELEASED.clear();
        VIOLATIONS.clear();
    }

    @Test
    void everyDeadLetterBeforeAReleasedStateIsInAVisibleFileWhenTheStateIsReleased() throws Exception {
        Map<String, byte[]> badLines = new HashMap<>();
        int states = run(StreamExecutionEnvironment.getExecutionEnvironment(), badLines);

        assertEquals(List.of(), VIOLATIONS);
        assertEquals(states, RELEASED.size(), "every STATE released once");
        Map<String, Integer> copies = assertEveryBadLineIsADeadLetter(badLines);
        copies.forEach((where, count) -> assertEquals(1, count, "no failure, so no second copy of " + where));
    }

    @Test
    void aTaskFailureLosesNoDeadLetterLeavesNoHiddenFileAndKeepsThePromiseAfterTheRestore() throws Exception {
        FailOnceAfterCheckpoint.reset();
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        Map<String, byte[]> badLines = new HashMap<>();
        int states = run(StreamExecutionEnvironment.getExecutionEnvironment(restarts), badLines,
                new FailOnceAfterCheckpoint<>(LINES_PER_FILE / 2));

        assertTrue(FailOnceAfterCheckpoint.FAILED.get(), "the failure was injected");
        assertEquals(List.of(), VIOLATIONS);
        assertEquals(states, new HashSet<>(RELEASED).size(), "every STATE released, some again after the restore");
        // Dead letters flushed after the last completed checkpoint are written again: at least once.
        assertEveryBadLineIsADeadLetter(badLines);
        try (Stream<Path> files = Files.list(dir.resolve("dead-letter"))) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                    .filter(name -> !VisibleDeadLetters.isVisibleName(name))
                    .collect(Collectors.toList()), "in-progress files of the failed attempt are deleted");
        }
    }

    /** Runs the pipeline over two inputs; returns how many STATEs they have. */
    @SafeVarargs
    private int run(StreamExecutionEnvironment env, Map<String, byte[]> badLines, MapFunction<InputLine, InputLine>... extra)
            throws Exception {
        List<String> inputs = new ArrayList<>();
        int states = 0;
        for (String name : List.of("a.jsonl", "b.jsonl")) {
            Path input = dir.resolve(name);
            states += writeInput(input, badLines);
            inputs.add(input.toUri().toString());
        }
        Path deadLetterDir = dir.resolve("dead-letter");
        env.setParallelism(2);
        env.enableCheckpointing(100, CheckpointingMode.EXACTLY_ONCE);
        StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "events"), DestinationSyncMode.APPEND))));
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(inputs, "visibility"), WatermarkStrategy.noWatermarks(), "input")
                .map(DeadLetterVisibilityITCase::paced)
                .name("pace");
        for (MapFunction<InputLine, InputLine> map : extra) {
            lines = lines.map(map);
        }
        AirbyteKinesisJob.defineWorkflow(lines, routes, EnvelopeSettings.defaults(), stream -> new DiscardingSink<>(),
                new CheckingOutput(deadLetterDir.toString(), expectedBefore(badLines)),
                DeadLetterOutputs.directory(deadLetterDir.toUri().toString()));
        env.execute("dead letters visible at release");
        return states;
    }

    /** Each bad line is in a visible file, byte for byte, every copy alike; the copies per line. */
    private Map<String, Integer> assertEveryBadLineIsADeadLetter(Map<String, byte[]> badLines) throws IOException {
        Map<String, Integer> copies = new HashMap<>();
        for (JsonNode deadLetter : VisibleDeadLetters.read(dir.resolve("dead-letter"))) {
            String where = VisibleDeadLetters.where(deadLetter);
            copies.merge(where, 1, Integer::sum);
            assertArrayEquals(badLines.get(where), Base64.getDecoder().decode(deadLetter.get("original_base64").asText()),
                    "the line of " + where);
        }
        assertEquals(badLines.keySet(), copies.keySet(), "every bad line is a dead letter, and nothing else is");
        return copies;
    }

    private static InputLine paced(InputLine line) throws InterruptedException {
        Thread.sleep(1);
        return line;
    }

    /** Records, with a bad line every 7 lines (four kinds in turn) and a STATE every 30. */
    private static int writeInput(Path file, Map<String, byte[]> badLines) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String name = file.getFileName().toString();
        int states = 0;
        for (int line = 1; line <= LINES_PER_FILE; line++) {
            byte[] bytes;
            if (line % STATE_EVERY == 0) {
                bytes = ("{\"type\":\"STATE\",\"state\":{\"data\":{\"line\":" + line + "}}}").getBytes(StandardCharsets.UTF_8);
                states++;
            } else if (line % BAD_EVERY == 0) {
                bytes = badLine(line);
                badLines.put(VisibleDeadLetters.where(name, line), bytes);
            } else {
                bytes = ("{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"emitted_at\":1,\"data\":{\"line\":" + line
                        + "}}}").getBytes(StandardCharsets.UTF_8);
            }
            out.write(bytes);
            out.write('\n');
        }
        Files.write(file, out.toByteArray());
        return states;
    }

    private static byte[] badLine(int line) {
        switch (line / BAD_EVERY % 4) {
            case 0:
                return ("# comment " + line).getBytes(StandardCharsets.UTF_8);
            case 1:
                return ("{\"type\":\"RECORD\",\"record\":{\"stream\":\"elsewhere\",\"emitted_at\":1,\"data\":{\"line\":" + line
                        + "}}}").getBytes(StandardCharsets.UTF_8);
            case 2:
                return ("[" + line + "]").getBytes(StandardCharsets.UTF_8);
            default:
                return ("{\"s\":\"bad \u00FF byte " + line + "\"}").getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /** For each input, its bad lines in order. */
    private static HashMap<String, TreeSet<Long>> expectedBefore(Map<String, byte[]> badLines) {
        HashMap<String, TreeSet<Long>> byFile = new HashMap<>();
        for (String where : badLines.keySet()) {
            int colon = where.lastIndexOf(':');
            byFile.computeIfAbsent(where.substring(0, colon), f -> new TreeSet<>()).add(Long.parseLong(where.substring(colon + 1)));
        }
        return byFile;
    }

    /** At each release, looks for the dead letters of the bad lines before the STATE in its input. */
    static final class CheckingOutput implements StateOutput {
        private static final long serialVersionUID = 1L;
        private final String deadLetterDir;
        private final HashMap<String, TreeSet<Long>> badLinesByFile;

        CheckingOutput(String deadLetterDir, HashMap<String, TreeSet<Long>> badLinesByFile) {
            this.deadLetterDir = deadLetterDir;
            this.badLinesByFile = badLinesByFile;
        }

        @Override
        public void open(String jobId) {}

        @Override
        public void release(long checkpointId, List<StateMessage> states) throws IOException {
            for (StateMessage state : states) {
                String file = VisibleDeadLetters.where(state.source, state.lineNumber);
                file = file.substring(0, file.lastIndexOf(':'));
                Set<String> visible = new HashSet<>();
                for (JsonNode deadLetter : VisibleDeadLetters.read(Path.of(deadLetterDir))) {
                    visible.add(VisibleDeadLetters.where(deadLetter));
                }
                List<Long> missing = new ArrayList<>();
                for (long line : badLinesByFile.getOrDefault(file, new TreeSet<>()).headSet(state.lineNumber)) {
                    if (!visible.contains(VisibleDeadLetters.where(file, line))) {
                        missing.add(line);
                    }
                }
                if (!missing.isEmpty()) {
                    VIOLATIONS.add("STATE at " + file + ":" + state.lineNumber + " released while the dead letters of lines "
                            + missing + " were not in a visible file");
                }
                RELEASED.add(file + ":" + state.lineNumber);
            }
        }

        @Override
        public void close() {}
    }
}
