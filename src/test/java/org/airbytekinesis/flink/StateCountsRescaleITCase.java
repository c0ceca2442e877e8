package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code destinationStats.recordCount} stays right when a job is restored with another
 * parallelism: a run at parallelism 1 is stopped with a savepoint in the middle of its file and
 * resumed at parallelism 2. The counts must follow the file, wherever its reader lands. Every
 * released STATE is checked against counts computed from the input. About 10 s.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StateCountsRescaleITCase {
    private static final int RECORDS = 2_000;
    private static final int STATE_EVERY = 150;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Every released STATE, over both runs. */
    static final List<String> RELEASED = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path dir;

    @Test
    void recordCountsOfStatesAreRightAfterARestoreWithAnotherParallelism() throws Exception {
        RELEASED.clear();
        Path input = dir.resolve("input.jsonl");
        Map<String, Double> expectedCounts = writeInput(input);
        StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "a"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor(null, "b"), DestinationSyncMode.APPEND))));

        StreamExecutionEnvironment first = environment(1, new Configuration());
        define(first, input, routes);
        JobClient firstRun = first.executeAsync("counts: parallelism 1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (RELEASED.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(STATE_EVERY / 3); // a third of the way to the next STATE: counts since the last one are open
        String savepoint = firstRun.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        int releasedByFirst = RELEASED.size();
        assertTrue(releasedByFirst < expectedCounts.size() / 2, "stopped early: " + releasedByFirst + " STATEs released");

        Configuration resume = new Configuration();
        resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment second = environment(2, resume);
        define(second, input, routes);
        second.execute("counts: parallelism 2");

        Map<String, Double> releasedCounts = new LinkedHashMap<>();
        List<String> wrong = new ArrayList<>();
        synchronized (RELEASED) {
            for (String line : RELEASED) {
                JsonNode state = ExpectedRecords.EXACT.readTree(line).get("state");
                String id = state.has("data") ? "legacy " + state.get("data").get("upTo") : "stream "
                        + state.get("stream").get("stream_descriptor").get("name").textValue() + " "
                        + state.get("stream").get("stream_state").get("upTo");
                double count = state.get("destinationStats").get("recordCount").doubleValue();
                releasedCounts.put(id, count);
                if (count != expectedCounts.get(id)) {
                    wrong.add(id + ": " + count + " instead of " + expectedCounts.get(id));
                }
            }
        }
        assertEquals(List.of(), wrong, "STATEs with a wrong recordCount (the first run released " + releasedByFirst + ")");
        assertEquals(expectedCounts.keySet(), releasedCounts.keySet(), "every STATE was released");
    }

    private static StreamExecutionEnvironment environment(int parallelism, Configuration settings) {
        Configuration configuration = new Configuration(settings);
        configuration.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.setParallelism(parallelism);
        env.enableCheckpointing(100, CheckpointingMode.EXACTLY_ONCE);
        return env;
    }

    private static void define(StreamExecutionEnvironment env, Path input, StreamRoutes routes) {
        AirbyteKinesisJob.defineWorkflow(
                env.fromSource(InputFiles.boundedSource(List.of(input.toUri().toString()), "rescale"),
                                WatermarkStrategy.noWatermarks(), "input")
                        .uid(AirbyteKinesisJob.SOURCE_UID)
                        .map(new Paced())
                        .uid("paced"),
                routes, EnvelopeSettings.defaults().withBadInputPolicy(BadInputPolicy.FAIL),
                stream -> new DiscardingSink<KinesisEnvelope>(), new CollectingOutput(), DeadLetterOutputs.none());
    }

    /**
     * Records alternate between streams a and b; STATEs come in turn as a STREAM state of a, a
     * STREAM state of b, and a LEGACY state. The expected count of each, by the protocol's rules
     * as the README gives them: a STREAM state counts its stream's records since that stream's
     * last state (and ends the count for a LEGACY state); a LEGACY state counts all records since
     * the last state of any kind.
     */
    private static Map<String, Double> writeInput(Path file) throws Exception {
        List<String> lines = new ArrayList<>();
        Map<String, Double> expected = new LinkedHashMap<>();
        Map<String, Integer> since = new HashMap<>();
        int states = 0;
        for (int seq = 1; seq <= RECORDS; seq++) {
            String stream = seq % 2 == 0 ? "a" : "b";
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"emitted_at\":1,\"data\":{\"seq\":" + seq + "}}}");
            since.merge(stream, 1, Integer::sum);
            since.merge("", 1, Integer::sum);
            if (seq % STATE_EVERY == 0) {
                int kind = states++ % 3;
                if (kind == 2) {
                    lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}");
                    expected.put("legacy " + seq, (double) since.getOrDefault("", 0));
                    since.clear();
                } else {
                    String name = kind == 0 ? "a" : "b";
                    lines.add("{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\""
                            + name + "\"},\"stream_state\":{\"upTo\":" + seq + "}}}}");
                    expected.put("stream " + name + " " + seq, (double) since.getOrDefault(name, 0));
                    since.remove(name);
                    since.remove("");
                }
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return expected;
    }

    /** About 1 ms per line, so the first run is stopped in the middle of the file. */
    static final class Paced implements MapFunction<InputLine, InputLine> {
        private static final long serialVersionUID = 1L;

        @Override
        public InputLine map(InputLine line) throws InterruptedException {
            if (line.kind == InputLine.LINE) {
                Thread.sleep(1);
            }
            return line;
        }
    }

    static final class CollectingOutput implements StateOutput {
        private static final long serialVersionUID = 1L;

        @Override
        public void open(String runId) {}

        @Override
        public void release(long checkpointId, List<StateMessage> states) {
            for (StateMessage state : states) {
                RELEASED.add(new String(state.json, StandardCharsets.UTF_8));
            }
        }

        @Override
        public void close() {}
    }
}
