package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.stream.Collectors;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.ConsoleStateOutput;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.testing.DurabilityAtRelease;
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
 * resume from the savepoint. Slow fault-injection tests (about 10 s each): the input is paced at
 * about 1 ms per line so each run spans many checkpoints (every 300 ms).
 *
 * <p>Records {@code {"seq": i}} alternate between two Airbyte streams; a LEGACY STATE
 * {@code {"upTo": i}} comes every {@value #STATE_EVERY} records. Ids are the default
 * replay-stable ones (a name-based UUID of source and line), so a replayed record carries the
 * id it had the first time.
 *
 * <p>At each release, {@link DurabilityAtRelease} reads Kinesis back: every record before the
 * STATE must be readable then, and no STATE may be missing. STATEs are also checked where the
 * job prints them: through the job's own
 * {@link ConsoleStateOutput} (stdout, captured, and {@code --state-out}). After a restore the
 * releaser hands the output the STATEs of the restored snapshot again (some may have been
 * printed already, by the notification of that checkpoint); the output must print each once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveryITCase {
    private static final int RECORDS = 3_000;
    private static final int STATE_EVERY = 200;
    private static final long CHECKPOINT_INTERVAL_MS = 300;
    /**
     * Lines the failing map lets through after the latest completed checkpoint before it fails:
     * about half a checkpoint interval, so records after that checkpoint are already in Kinesis
     * (small batches) and are written again after the restore.
     */
    private static final int LINES_BEFORE_FAILURE = 150;
    /** Small PutRecords batches: records reach Kinesis soon after they pass (the task failure test). */
    private static final int SMALL_BATCHES = 10;
    /**
     * Batches larger than a checkpoint interval's records (the savepoint test): only the flush at
     * each checkpoint gets records out before their STATE is released.
     */
    private static final int LARGE_BATCHES = 500;
    private static final List<String> KINESIS_STREAMS = List.of("_even", "ns_odd");

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Every STATE the releaser wrote to its output (line@job), in order, over all runs and restarts. */
    static final List<String> RELEASED = Collections.synchronizedList(new ArrayList<>());
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
    void aTaskFailureAfterACompletedCheckpointLosesNoRecordAndReleasesEveryStateOnceInOrderWhenItsRecordsAreInKinesis() throws Exception {
        Path input = dir.resolve("input.jsonl");
        Path stateOut = dir.resolve("state-out.jsonl");
        List<JsonNode> inputStates = writeInput(input);
        StreamRoutes routes = routes();
        String stdout;
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), routes::kinesisStreamFor, emulator.endpoint())) {
            DestinationConfig config = prepareStreams(emulator, routes, SMALL_BATCHES);

            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restarts);
            definePipeline(env, input, routes, config, new FailOnceAfterACheckpoint(),
                    ledger.output(new RecordingOutput(stateOut)));
            stdout = capturingStdout(() -> env.execute("recovery: task failure"));

            assertTrue(FAILURE_INJECTED.get(), "the failure was injected");
            assertTrue(HIGHEST_ATTEMPT.get() >= 1, "the job restarted (highest attempt " + HIGHEST_ATTEMPT.get() + ")");
            assertTrue(CHECKPOINT_BEFORE_FAILURE.get() >= 1, "a checkpoint completed before the failure");
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();

            ExpectedRecords expected = ExpectedRecords.fromFiles(routes::kinesisStreamFor, input);
            Map<String, List<Record>> byStream = readBack(emulator);
            Map<String, List<Record>> firstPerId = firstRecordPerId(byStream);
            for (String stream : KINESIS_STREAMS) {
                expected.assertStreamHolds(stream, firstPerId.get(stream), true);
            }
        }
        assertPrinted(stateOut, stdout, inputStates);
    }

    @Test
    void stoppingWithASavepointAndResumingFromItWritesEveryRecordExactlyOnceAndReleasesEveryStateOnceWhenItsRecordsAreInKinesis() throws Exception {
        Path input = dir.resolve("input.jsonl");
        Path stateOut = dir.resolve("state-out.jsonl");
        List<JsonNode> inputStates = writeInput(input);
        StreamRoutes routes = routes();
        StringBuilder stdout = new StringBuilder();
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), routes::kinesisStreamFor, emulator.endpoint())) {
            DestinationConfig config = prepareStreams(emulator, routes, LARGE_BATCHES);
            Configuration noRestarts = new Configuration();
            noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");

            StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
            definePipeline(first, input, routes, config, new Paced(), ledger.output(new RecordingOutput(stateOut)));
            String[] savepoint = new String[1];
            JobExecutionResult[] firstResult = new JobExecutionResult[1];
            stdout.append(capturingStdout(() -> {
                JobClient firstRun = first.executeAsync("recovery: run until savepoint");
                awaitReadable(emulator, RECORDS / 8, Duration.ofSeconds(30));
                savepoint[0] = firstRun
                        .stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
                firstResult[0] = firstRun.getJobExecutionResult().get(60, TimeUnit.SECONDS);
            }));
            long linesOfFirstRun = firstResult[0].getAccumulatorResult(RecordEnveloper.LINES_ACCUMULATOR);
            int writtenByFirstRun = countReadable(emulator);
            assertTrue(writtenByFirstRun < RECORDS / 2,
                    "stopped mid-run: " + writtenByFirstRun + " of " + RECORDS + " records written by the first run");

            Configuration resume = new Configuration(noRestarts);
            resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint[0]);
            StreamExecutionEnvironment second = StreamExecutionEnvironment.getExecutionEnvironment(resume);
            definePipeline(second, input, routes, config, new Paced(), ledger.output(new RecordingOutput(stateOut)));
            JobExecutionResult[] secondResult = new JobExecutionResult[1];
            stdout.append(capturingStdout(() -> secondResult[0] = second.execute("recovery: resume from savepoint")));
            long linesOfSecondRun = secondResult[0].getAccumulatorResult(RecordEnveloper.LINES_ACCUMULATOR);
            assertEquals(Files.readAllLines(input).size(), linesOfFirstRun + linesOfSecondRun,
                    "the second run read on from where the first stopped (lines read: " + linesOfFirstRun + " + "
                            + linesOfSecondRun + ")");
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();

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
        assertPrinted(stateOut, stdout.toString(), inputStates);
    }

    // ---------------------------------------------------------------------------------------

    private static StreamRoutes routes() {
        return StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "even"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("ns", "odd"), DestinationSyncMode.APPEND))));
    }

    private static DestinationConfig prepareStreams(KinesisEmulator emulator, StreamRoutes routes, int bufferSize) {
        DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of("bufferSize", bufferSize)));
        try (KinesisClient client = emulator.client()) {
            new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(routes.kinesisStreams().values(), 2);
        }
        return config;
    }

    /** The job as {@code write} builds it, with a pass-through map (pacing, failing) after the source. */
    private static void definePipeline(StreamExecutionEnvironment env, Path input, StreamRoutes routes,
            DestinationConfig config, MapFunction<InputLine, InputLine> passThrough, StateOutput stateOutput) {
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
                stateOutput, DeadLetterOutputs.none());
    }

    private static List<JsonNode> writeInput(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        List<JsonNode> states = new ArrayList<>();
        for (int seq = 0; seq <= RECORDS; seq++) {
            if (seq % STATE_EVERY == 0) {
                String state = "{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}";
                lines.add(state);
                states.add(ExpectedRecords.EXACT.readTree(state));
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

    private static void awaitReadable(KinesisEmulator emulator, int atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int readable = 0;
        while (System.nanoTime() < deadline) {
            readable = countReadable(emulator);
            if (readable >= atLeast) {
                return;
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
     * What was printed (captured stdout, which must equal the {@code --state-out} file): input
     * STATEs in input order, none twice, each with {@code destinationStats.recordCount} the
     * records since the STATE before it (counts survive the restore), and every one of them: a
     * restore hands the output the restored snapshot's STATEs again, so none is skipped.
     */
    private static void assertPrinted(Path stateOut, String stdout, List<JsonNode> inputStates)
            throws IOException {
        List<String> printed = Files.readAllLines(stateOut, StandardCharsets.UTF_8);
        String what = "printed STATEs " + upTos(printed) + "; the releaser wrote (line@job) " + rawReleases();
        assertEquals(printed, stdout.lines().collect(Collectors.toList()), "stdout and --state-out agree");
        Map<JsonNode, Integer> inputIndex = new HashMap<>();
        for (int i = 0; i < inputStates.size(); i++) {
            inputIndex.put(inputStates.get(i), i);
        }
        List<Integer> printedIndexes = new ArrayList<>();
        for (String line : printed) {
            JsonNode json = ExpectedRecords.EXACT.readTree(line);
            JsonNode stats = ((ObjectNode) json.get("state")).remove("destinationStats");
            Integer index = inputIndex.get(json);
            assertTrue(index != null, "printed an input STATE as it came: " + line);
            assertEquals(index == 0 ? 0 : STATE_EVERY, stats.get("recordCount").intValue(), "recordCount of " + line);
            printedIndexes.add(index);
        }
        for (int i = 1; i < printedIndexes.size(); i++) {
            assertTrue(printedIndexes.get(i - 1) < printedIndexes.get(i), "in input order, none twice: " + what);
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < inputStates.size(); i++) {
            all.add(i);
        }
        assertEquals(all, printedIndexes, "every STATE printed once, in order: " + what);
    }

    private static List<Integer> upTos(List<String> printed) throws IOException {
        List<Integer> upTos = new ArrayList<>();
        for (String line : printed) {
            upTos.add(ExpectedRecords.EXACT.readTree(line).get("state").get("data").get("upTo").intValue());
        }
        return upTos;
    }

    private static List<String> rawReleases() {
        synchronized (RELEASED) {
            return new ArrayList<>(RELEASED);
        }
    }

    /** Runs {@code run} with System.out captured (the STATE output prints there) and returns what it printed. */
    private static String capturingStdout(ThrowingRunnable run) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * The job's own STATE output ({@link ConsoleStateOutput}: stdout and {@code --state-out}),
     * noting in {@link #RELEASED} every STATE the releaser hands it (which after a restore can
     * include STATEs of the restored snapshot again; the output is what must print each once).
     */
    static final class RecordingOutput implements StateOutput {
        private static final long serialVersionUID = 1L;
        private final ConsoleStateOutput printer;
        private transient String jobId;

        RecordingOutput(Path stateOut) {
            this.printer = new ConsoleStateOutput(stateOut.toString());
        }

        @Override
        public void open(String jobId) throws IOException {
            this.jobId = jobId;
            printer.open(jobId);
        }

        @Override
        public void release(long checkpointId, List<StateMessage> states) throws IOException {
            for (StateMessage state : states) {
                RELEASED.add(state.lineNumber + "@" + jobId.substring(0, 8));
            }
            printer.release(checkpointId, states);
        }

        @Override
        public void close() throws IOException {
            printer.close();
        }
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
     * Paced like {@link Paced}; once a checkpoint completed and {@value #LINES_BEFORE_FAILURE}
     * more lines went through since the latest one, it throws, once per test (the flag is
     * static, so the restarted job runs through).
     */
    static final class FailOnceAfterACheckpoint extends RichMapFunction<InputLine, InputLine> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        private transient long latestCompletedCheckpoint;
        private transient int linesSinceCheckpoint;

        @Override
        public void open(OpenContext openContext) {
            latestCompletedCheckpoint = -1;
            HIGHEST_ATTEMPT.accumulateAndGet(getRuntimeContext().getTaskInfo().getAttemptNumber(), Math::max);
        }

        @Override
        public InputLine map(InputLine line) throws InterruptedException {
            Thread.sleep(1);
            if (latestCompletedCheckpoint >= 0 && ++linesSinceCheckpoint > LINES_BEFORE_FAILURE
                    && FAILURE_INJECTED.compareAndSet(false, true)) {
                CHECKPOINT_BEFORE_FAILURE.set(latestCompletedCheckpoint);
                throw new RuntimeException("injected failure after checkpoint " + latestCompletedCheckpoint
                        + ", at " + line.source + " line " + line.lineNumber);
            }
            return line;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (checkpointId > latestCompletedCheckpoint) {
                latestCompletedCheckpoint = checkpointId;
                linesSinceCheckpoint = 0;
            }
        }
    }
}
