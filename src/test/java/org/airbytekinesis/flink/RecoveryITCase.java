package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Recovery of the whole pipeline against kinesalite, on a MiniCluster: a task failure after a
 * completed checkpoint (restart from that checkpoint), and stop-with-savepoint followed by a
 * resume from the savepoint. Slow fault-injection tests (about 10-20 s each): the input is paced
 * at about 1 ms per line so each run spans many checkpoints.
 *
 * <p>Records {@code {"seq": i}} alternate between two Airbyte streams; a LEGACY STATE
 * {@code {"upTo": i}} comes every {@value #STATE_EVERY} records. Ids are the default
 * replay-stable ones (a name-based UUID of source and line), so a replayed record carries the
 * id it had the first time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveryITCase {
    private static final int RECORDS = 3_000;
    private static final int STATE_EVERY = 200;
    private static final long CHECKPOINT_INTERVAL_MS = 300;
    /** Lines the failing map lets through after it saw a completed checkpoint, before it fails. */
    private static final int LINES_BEFORE_FAILURE = 300;
    private static final List<String> KINESIS_STREAMS = List.of("_even", "ns_odd");

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Every STATE the releaser wrote, in the order written, over all runs and restarts. */
    static final List<Released> RELEASED = Collections.synchronizedList(new ArrayList<>());
    static final AtomicBoolean FAILURE_INJECTED = new AtomicBoolean();
    static final AtomicLong CHECKPOINT_BEFORE_FAILURE = new AtomicLong(-1);
    static final AtomicInteger HIGHEST_ATTEMPT = new AtomicInteger();

    @TempDir
    Path dir;

    @BeforeEach
    void reset() {
        RELEASED.clear();
        FAILURE_INJECTED.set(false);
        CHECKPOINT_BEFORE_FAILURE.set(-1);
        HIGHEST_ATTEMPT.set(0);
    }

    @Test
    void aTaskFailureAfterACompletedCheckpointLosesNoRecordAndReleasesEachStateOnceInOrder() throws Exception {
        Path input = dir.resolve("input.jsonl");
        List<InputState> inputStates = writeInput(input);
        StreamRoutes routes = routes();
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite()) {
            DestinationConfig config = prepareStreams(emulator, routes);

            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restarts);
            definePipeline(env, input, routes, config, new FailOnceAfterACheckpoint());
            env.execute("recovery: task failure");

            assertTrue(FAILURE_INJECTED.get(), "the failure was injected");
            assertTrue(HIGHEST_ATTEMPT.get() >= 1, "the job restarted (highest attempt " + HIGHEST_ATTEMPT.get() + ")");
            assertTrue(CHECKPOINT_BEFORE_FAILURE.get() >= 1, "a checkpoint completed before the failure");

            ExpectedRecords expected = ExpectedRecords.fromFiles(routes::kinesisStreamFor, input);
            Map<String, List<Record>> byStream = readBack(emulator);
            Map<String, List<Record>> firstPerId = firstRecordPerId(byStream);
            for (String stream : KINESIS_STREAMS) {
                expected.assertStreamHolds(stream, firstPerId.get(stream), true);
            }
        }
        assertReleasedInOrderOnce(inputStates, true);
    }

    @Test
    void stoppingWithASavepointAndResumingFromItWritesEveryRecordExactlyOnceAndEveryStateOnce() throws Exception {
        Path input = dir.resolve("input.jsonl");
        List<InputState> inputStates = writeInput(input);
        StreamRoutes routes = routes();
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite()) {
            DestinationConfig config = prepareStreams(emulator, routes);
            Configuration noRestarts = new Configuration();
            noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");

            StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
            definePipeline(first, input, routes, config, new Paced());
            JobClient firstRun = first.executeAsync("recovery: run until savepoint");
            int readableAtStop = awaitReadable(emulator, 400, Duration.ofSeconds(30));
            String savepoint = firstRun
                    .stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(60, TimeUnit.SECONDS);
            firstRun.getJobExecutionResult().get(60, TimeUnit.SECONDS);
            int afterFirstRun = countReadable(emulator);
            assertTrue(readableAtStop < RECORDS / 2 && afterFirstRun < RECORDS,
                    "stopped mid-run: " + afterFirstRun + " of " + RECORDS + " records written by the first run");
            int releasedByFirstRun = RELEASED.size();
            System.err.println("DEBUG first run: readableAtStop=" + readableAtStop + " afterFirstRun=" + afterFirstRun + " released=" + RELEASED + " savepoint=" + savepoint);

            Configuration resume = new Configuration(noRestarts);
            resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            StreamExecutionEnvironment second = StreamExecutionEnvironment.getExecutionEnvironment(resume);
            definePipeline(second, input, routes, config, new Paced());
            JobExecutionResult secondRun = second.execute("recovery: resume from savepoint");
            long linesReadBySecondRun = secondRun.getAccumulatorResult(org.airbytekinesis.flink.envelope.RecordEnveloper.LINES_ACCUMULATOR);
            assertTrue(linesReadBySecondRun < RECORDS, "the second run resumed where the first stopped (it read "
                    + linesReadBySecondRun + " lines; the first run's STATEs released: " + releasedByFirstRun + ")");

            ExpectedRecords expected = ExpectedRecords.fromFiles(routes::kinesisStreamFor, input);
            Map<String, List<Record>> byStream = readBack(emulator);
            Map<String, Integer> countPerId = new HashMap<>();
            for (List<Record> records : byStream.values()) {
                for (Record record : records) {
                    countPerId.merge(record.partitionKey(), 1, Integer::sum);
                }
            }
            Map<String, Integer> duplicated = new LinkedHashMap<>();
            countPerId.forEach((id, count) -> {
                if (count > 1) {
                    duplicated.put(id, count);
                }
            });
            assertEquals(Map.of(), duplicated, "ids written more than once");
            for (String stream : KINESIS_STREAMS) {
                expected.assertStreamHolds(stream, byStream.get(stream), true);
            }
        }
        System.err.println("DEBUG savepoint test released: " + RELEASED);
        assertReleasedInOrderOnce(inputStates, false);
    }

    // ---------------------------------------------------------------------------------------

    private static StreamRoutes routes() {
        return StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "even"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("ns", "odd"), DestinationSyncMode.APPEND))));
    }

    private static DestinationConfig prepareStreams(KinesisEmulator emulator, StreamRoutes routes) {
        DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of()));
        try (KinesisClient client = emulator.client()) {
            new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(routes.kinesisStreams().values(), 2);
        }
        return config;
    }

    /** The job as {@code write} builds it, with a pass-through map (pacing, failing) after the source. */
    private static void definePipeline(StreamExecutionEnvironment env, Path input, StreamRoutes routes,
            DestinationConfig config, MapFunction<InputLine, InputLine> passThrough) {
        env.setParallelism(2);
        env.enableCheckpointing(CHECKPOINT_INTERVAL_MS, CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().enableUnalignedCheckpoints(false);
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(List.of(input.toUri().toString()), "recovery-test"),
                        WatermarkStrategy.noWatermarks(), "input")
                .uid(AirbyteKinesisJob.SOURCE_UID)
                .map(passThrough)
                .uid("pass-through")
                .name("pass-through");
        KinesisConnection connection = KinesisConnection.fromConfig(config);
        AirbyteKinesisJob.defineWorkflow(lines, routes,
                EnvelopeSettings.of(config).withBadInputPolicy(BadInputPolicy.FAIL),
                new KinesisSinks(connection, config.bufferSize(), config.maxRecordSizeBytes())::forStream,
                new CollectingOutput(), DeadLetterOutputs.none());
    }

    /** A STATE line of the input: its line number and its JSON. */
    private static final class InputState {
        final long lineNumber;
        final JsonNode json;

        InputState(long lineNumber, JsonNode json) {
            this.lineNumber = lineNumber;
            this.json = json;
        }
    }

    private static List<InputState> writeInput(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        List<InputState> states = new ArrayList<>();
        for (int seq = 0; seq <= RECORDS; seq++) {
            if (seq % STATE_EVERY == 0) {
                String state = "{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}";
                lines.add(state);
                states.add(new InputState(lines.size(), ExpectedRecords.EXACT.readTree(state)));
            }
            if (seq < RECORDS) {
                String stream = seq % 2 == 0 ? "\"stream\":\"even\"" : "\"stream\":\"odd\",\"namespace\":\"ns\"";
                lines.add("{\"type\":\"RECORD\",\"record\":{" + stream + ",\"emitted_at\":" + (1_700_000_000_000L + seq)
                        + ",\"data\":{\"seq\":" + seq + ",\"text\":\"record " + seq + "\"}}}");
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return states;
    }

    private static Map<String, List<Record>> readBack(KinesisEmulator emulator) {
        Map<String, List<Record>> byStream = new LinkedHashMap<>();
        try (KinesisClient client = emulator.client()) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            for (String stream : KINESIS_STREAMS) {
                byStream.put(stream, reader.readAll(stream));
            }
        }
        return byStream;
    }

    private static int countReadable(KinesisEmulator emulator) {
        return readBack(emulator).values().stream().mapToInt(List::size).sum();
    }

    private static int awaitReadable(KinesisEmulator emulator, int atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int readable = 0;
        while (System.nanoTime() < deadline) {
            readable = countReadable(emulator);
            if (readable >= atLeast) {
                return readable;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("only " + readable + " records readable after " + timeout);
    }

    /**
     * Per stream, the first record of each id; fails if two records with the same id differ
     * (a duplicate must be a replay of the same input line, nothing else).
     */
    private static Map<String, List<Record>> firstRecordPerId(Map<String, List<Record>> byStream) throws IOException {
        Map<String, JsonNode> envelopeById = new HashMap<>();
        Map<String, List<Record>> firstPerId = new LinkedHashMap<>();
        for (Map.Entry<String, List<Record>> stream : byStream.entrySet()) {
            List<Record> first = new ArrayList<>();
            for (Record record : stream.getValue()) {
                ObjectNode envelope = (ObjectNode) ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
                envelope.set("kinesisStream", TextNode.valueOf(stream.getKey()));
                String id = envelope.get("_airbyte_ab_id").asText();
                JsonNode seen = envelopeById.putIfAbsent(id, envelope);
                if (seen == null) {
                    first.add(record);
                } else {
                    assertEquals(seen, envelope, "two records with id " + id);
                }
            }
            firstPerId.put(stream.getKey(), first);
        }
        return firstPerId;
    }

    /**
     * Released STATEs are input STATEs, in input order, none twice; the last STATE was released
     * and, when {@code allowGaps} is false, every STATE was.
     */
    private static void assertReleasedInOrderOnce(List<InputState> inputStates, boolean allowGaps) throws IOException {
        List<Released> released;
        synchronized (RELEASED) {
            released = new ArrayList<>(RELEASED);
        }
        List<Long> releasedLines = new ArrayList<>();
        for (Released state : released) {
            releasedLines.add(state.lineNumber);
        }
        Map<Long, JsonNode> inputByLine = new HashMap<>();
        List<Long> inputLines = new ArrayList<>();
        for (InputState state : inputStates) {
            inputByLine.put(state.lineNumber, state.json);
            inputLines.add(state.lineNumber);
        }
        String what = "released STATEs (line numbers, with job ids: " + released + ")";
        for (int i = 1; i < releasedLines.size(); i++) {
            assertTrue(releasedLines.get(i - 1) < releasedLines.get(i), "in input order, none twice: " + what);
        }
        for (Released state : released) {
            JsonNode json = ExpectedRecords.EXACT.readTree(state.json);
            ((ObjectNode) json.get("state")).remove("destinationStats");
            assertEquals(inputByLine.get(state.lineNumber), json, "released STATE of line " + state.lineNumber);
        }
        if (allowGaps) {
            assertEquals(inputLines.get(inputLines.size() - 1), releasedLines.get(releasedLines.size() - 1),
                    "the last STATE is released: " + what);
        } else {
            assertEquals(inputLines, releasedLines, what);
        }
    }

    /** A STATE as the releaser wrote it, and the job that wrote it. */
    static final class Released {
        final String jobId;
        final long lineNumber;
        final String json;

        Released(String jobId, long lineNumber, String json) {
            this.jobId = jobId;
            this.lineNumber = lineNumber;
            this.json = json;
        }

        @Override
        public String toString() {
            return lineNumber + "@" + jobId.substring(0, 8);
        }
    }

    /** Keeps every written STATE in {@link #RELEASED}: the releaser runs in this JVM. */
    static final class CollectingOutput implements StateOutput {
        private static final long serialVersionUID = 1L;
        private transient String jobId;

        @Override
        public void open(String jobId) {
            this.jobId = jobId;
        }

        @Override
        public void write(StateMessage state) {
            RELEASED.add(new Released(jobId, state.lineNumber, new String(state.json, StandardCharsets.UTF_8)));
        }

        @Override
        public void close() {}
    }

    /** About 1 ms per line, so a run spans many checkpoints. */
    static final class Paced implements MapFunction<InputLine, InputLine> {
        private static final long serialVersionUID = 1L;

        @Override
        public InputLine map(InputLine line) throws InterruptedException {
            Thread.sleep(1);
            return line;
        }
    }

    /**
     * Paced like {@link Paced}; once it has seen a completed checkpoint and let
     * {@value #LINES_BEFORE_FAILURE} more lines through, it throws, once per test (the flag is
     * static, so the restarted job runs through).
     */
    static final class FailOnceAfterACheckpoint extends RichMapFunction<InputLine, InputLine> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        private transient long completedCheckpoint;
        private transient int linesSinceCheckpoint;

        @Override
        public void open(OpenContext openContext) {
            completedCheckpoint = -1;
            HIGHEST_ATTEMPT.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
        }

        @Override
        public InputLine map(InputLine line) throws InterruptedException {
            Thread.sleep(1);
            if (completedCheckpoint >= 0 && ++linesSinceCheckpoint > LINES_BEFORE_FAILURE
                    && FAILURE_INJECTED.compareAndSet(false, true)) {
                CHECKPOINT_BEFORE_FAILURE.set(completedCheckpoint);
                throw new RuntimeException("injected failure after checkpoint " + completedCheckpoint
                        + ", at " + line.source + " line " + line.lineNumber);
            }
            return line;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (completedCheckpoint < 0) {
                completedCheckpoint = checkpointId;
            }
        }
    }
}
