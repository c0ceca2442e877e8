package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.metrics.RunSummaryReporter;
import org.airbytekinesis.flink.routing.KinesisStreamNames;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.DurabilityAtRelease;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;
import org.airbytekinesis.flink.testing.RestartableKinesalite;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.messages.JobExceptionsHeaders;
import org.apache.flink.runtime.rest.messages.JobExceptionsInfoWithHistory;
import org.apache.flink.runtime.rest.messages.job.JobExceptionsMessageParameters;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Slow fault-injection tests (each runs a real job for 5-15 s, 6-13 s per test in all): the whole pipeline
 * ({@link AirbyteKinesisJob#defineWorkflow} with the real {@link KinesisSinks}) on a MiniCluster
 * against kinesalite, while Kinesis misbehaves, and then every stream is read back directly from
 * kinesalite to check that nothing was lost. The STATE output is {@link DurabilityAtRelease}:
 * at each release it reads Kinesis back, and every record before the STATE must be readable
 * then, under every fault below; no STATE may be missing.
 *
 * <ul>
 *   <li>Throttling and partial failures: the job's endpoint is a {@link KinesisFaultProxy} that
 *       fails PutRecords entries as ProvisionedThroughputExceeded, answers requests with 500 and
 *       503, and resets connections.
 *   <li>A connection reset on every attempt: the connector classifies an {@link
 *       software.amazon.awssdk.core.exception.SdkClientException SdkClientException} (what the
 *       AWS SDK makes of a reset, refused or timed-out connection once its own retries are used
 *       up) as fatal, even with {@code failOnError=false}: the job fails, and only Flink's
 *       restart strategy brings it back (from the last checkpoint, so nothing is lost).
 *   <li>The emulator is killed (SIGKILL) in the middle of a run and started again on the same
 *       port with its LevelDB data: the job fails over (same classification) and finishes.
 * </ul>
 *
 * <p>Delivery is at-least-once: a record may be written twice (after a restart, or when a
 * request's answer is lost after Kinesis took it), but then both copies have the same
 * {@code _airbyte_ab_id}, because ids are made from the input position by default.
 */
class KinesisFaultsITCase {
    private static final long EMITTED_AT_BASE = 1_700_000_000_000L;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setConfiguration(withRunSummaryReporter())
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path dir;

    private static Configuration withRunSummaryReporter() {
        Configuration conf = new Configuration();
        conf.setString("metrics.reporter." + RunSummaryReporter.NAME + ".factory.class",
                RunSummaryReporter.Factory.class.getName());
        return conf;
    }

    // ---- the tests --------------------------------------------------------------------------

    /**
     * 4,500 records of about 200 bytes over three streams, with a STATE every 300 records,
     * through a proxy that fails 20% of PutRecords entries as throttled, answers 5% of the
     * requests with 500 and 5% with 503, and resets 3% of the connections. Small batches (25)
     * make enough requests (about 250) that every kind of fault happens.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyRecordArrivesOnceOrAsAnEqualIdDuplicateWhenKinesisThrottlesFailsAndResetsConnections(
            @InjectClusterClient RestClusterClient<?> cluster) throws Exception {
        Path input = dir.resolve("input.jsonl");
        writeInput(input, 4_500, 300, 120);
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient direct = emulator.client();
                KinesisFaultProxy proxy = KinesisFaultProxy.start(emulator.endpoint());
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), KinesisStreamNames::of, emulator.endpoint())) {
            StreamRoutes routes = threeStreams();
            provision(direct, routes);
            proxy.setEntryFailureShare(0.20).setHttp500Share(0.05).setHttp503Share(0.05).setConnectionResetShare(0.03);

            Run run = runJob(cluster, ledger, routes, input, configFor(proxy.endpoint(), 25), false, null);

            String faults = proxy.toString();
            assertTrue(proxy.entriesFailed() > 0, "entries were throttled: " + faults);
            assertTrue(proxy.http500s() > 0, "requests got 500: " + faults);
            assertTrue(proxy.http503s() > 0, "requests got 503: " + faults);
            assertTrue(proxy.resets() > 0, "connections were reset: " + faults);
            assertEveryFailureIsAClientExceptionTheConnectorCallsFatal(run.failures);
            if (run.failures.isEmpty()) {
                assertTrue(run.retriedEntries >= proxy.entriesFailed(), "the sinks counted every throttled entry"
                        + " as retried: " + run.retriedEntries + " counted, " + proxy.entriesFailed() + " throttled"
                        + " (0 counted: is RunSummaryReporter$Factory listed in META-INF/services/"
                        + "org.apache.flink.metrics.reporter.MetricReporterFactory? Flink looks a factory.class up"
                        + " only among the factories the ServiceLoader finds)");
            } else {
                // Answers in flight when a failed attempt was cancelled are never counted.
                assertTrue(run.retriedEntries > 0, "the sinks counted retried entries");
            }
            int duplicates = assertNothingLost(direct, routes, input);
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            report("throttling, 500, 503, resets", run, faults, duplicates);
        }
    }

    /**
     * Every PutRecords connection is reset until the job fails: the SDK retries a reset
     * connection itself, but when its last attempt is reset too the connector sees an
     * SdkClientException, which its classifier for a "misconfigured client" treats as fatal
     * whatever failOnError says. The faults are then cleared; the restart strategy restarts the
     * job from its last checkpoint and every record arrives.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void connectionResetsThatOutlastTheSdkRetriesFailTheJobAndTheRestartFromTheCheckpointLosesNothing(
            @InjectClusterClient RestClusterClient<?> cluster) throws Exception {
        Path input = dir.resolve("input.jsonl");
        writeInput(input, 1_500, 300, 120);
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient direct = emulator.client();
                KinesisFaultProxy proxy = KinesisFaultProxy.start(emulator.endpoint());
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), KinesisStreamNames::of, emulator.endpoint())) {
            StreamRoutes routes = threeStreams();
            provision(direct, routes);
            proxy.setConnectionResetShare(1.0);

            Run run = runJob(cluster, ledger, routes, input, configFor(proxy.endpoint(), 100), false, (jobClient, jobId) -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (failures(cluster, jobId).isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        fail("the job did not fail within 60 s although every PutRecords connection was reset: " + proxy);
                    }
                    Thread.sleep(100);
                }
                proxy.clearFaults();
            });

            assertTrue(proxy.resets() > 0, "connections were reset: " + proxy);
            assertFalse(run.failures.isEmpty(), "the job failed at least once");
            assertEveryFailureIsAClientExceptionTheConnectorCallsFatal(run.failures);
            int duplicates = assertNothingLost(direct, routes, input);
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            report("every connection reset until the job failed", run, proxy.toString(), duplicates);
        }
    }

    /**
     * kinesalite with its data on disk is killed (SIGKILL) once some records are readable, stays
     * down for 2.5 s and is started again on the same port with the same data directory. The
     * input is paced (1 ms a line, about 6 s in all) so the outage falls in the middle of the
     * run. Records read before the kill must still be there afterwards (the emulator really
     * persisted them), the job must finish, every record must be in Kinesis, and the STATEs must
     * come out in input order.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theJobFinishesWithEveryRecordWhenThePersistentEmulatorIsKilledAndRestartedMidRun(
            @InjectClusterClient RestClusterClient<?> cluster) throws Exception {
        Path input = dir.resolve("input.jsonl");
        writeInput(input, 5_000, 250, 120);
        try (RestartableKinesalite emulator = RestartableKinesalite.start(dir.resolve("kinesalite-data"));
                KinesisClient direct = emulator.client();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), KinesisStreamNames::of, emulator.endpoint())) {
            StreamRoutes routes = threeStreams();
            provision(direct, routes);
            Map<String, Set<String>> readableBeforeKill = new HashMap<>();
            long[] outage = new long[2];

            Run run = runJob(cluster, ledger, routes, input, configFor(emulator.endpoint(), 100), true, (jobClient, jobId) -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (readableBeforeKill.values().stream().mapToInt(Set::size).sum() < 800) {
                    if (System.nanoTime() > deadline) {
                        fail("fewer than 800 records became readable within 60 s");
                    }
                    Thread.sleep(100);
                    readableBeforeKill.clear();
                    readableBeforeKill.putAll(sequenceNumbers(direct, routes));
                }
                assertFalse(jobClient.getJobStatus().get().isGloballyTerminalState(),
                        "the job is still running when the emulator is killed (else the input is too short)");
                outage[0] = System.nanoTime();
                emulator.kill();
                Thread.sleep(2_500);
                emulator.restart();
                outage[1] = System.nanoTime();
            });

            Map<String, Set<String>> readableAfter = sequenceNumbers(direct, routes);
            int before = 0;
            for (Map.Entry<String, Set<String>> stream : readableBeforeKill.entrySet()) {
                Set<String> lost = new HashSet<>(stream.getValue());
                lost.removeAll(readableAfter.getOrDefault(stream.getKey(), Set.of()));
                assertEquals(Set.of(), lost, "records of " + stream.getKey() + " written before the kill are still"
                        + " in the restarted emulator (LevelDB persistence)");
                before += stream.getValue().size();
            }
            assertFalse(run.failures.isEmpty(), "the outage failed the job at least once (refused connections"
                    + " are SdkClientExceptions, fatal for the connector)");
            assertEveryFailureIsAClientExceptionTheConnectorCallsFatal(run.failures);
            int duplicates = assertNothingLost(direct, routes, input);
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            report("emulator killed after " + before + " readable records, down "
                    + TimeUnit.NANOSECONDS.toMillis(outage[1] - outage[0]) + " ms", run, "-", duplicates);
        }
    }

    // ---- running the job --------------------------------------------------------------------

    /** What one run left behind. */
    private static final class Run {
        List<JobExceptionsInfoWithHistory.RootExceptionInfo> failures;
        List<Long> released;
        int attempts;
        long retriedEntries;
        long millis;
    }

    /** Something to do while the job runs, e.g. kill the emulator. */
    private interface WhileRunning {
        void run(JobClient jobClient, JobID jobId) throws Exception;
    }

    private Run runJob(RestClusterClient<?> cluster, DurabilityAtRelease.Ledger ledger, StreamRoutes routes, Path input,
            DestinationConfig config, boolean paced, WhileRunning whileRunning) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 30);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        env.configure(restarts);

        DataStream<InputLine> lines = env.fromSource(
                InputFiles.boundedSource(List.of(input.toUri().toString()), "fault-test"),
                WatermarkStrategy.noWatermarks(), "input")
                .uid(AirbyteKinesisJob.SOURCE_UID);
        if (paced) {
            lines = lines.map(KinesisFaultsITCase::paced).name("pace");
        }
        KinesisSinks sinks = new KinesisSinks(KinesisConnection.fromConfig(config), config.bufferSize(),
                config.maxRecordSizeBytes());
        AirbyteKinesisJob.defineWorkflow(lines, routes, EnvelopeSettings.of(config), sinks::forStream,
                ledger.output(),
                DeadLetterOutputs.directory(dir.resolve("dead-letter").toUri().toString()));

        long retriedBefore = RunSummaryReporter.retriedEntries();
        long start = System.nanoTime();
        JobClient jobClient = env.executeAsync("kinesis faults");
        JobID jobId = jobClient.getJobID();
        Run run = new Run();
        try {
            if (whileRunning != null) {
                whileRunning.run(jobClient, jobId);
            }
            jobClient.getJobExecutionResult().get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            List<JobExceptionsInfoWithHistory.RootExceptionInfo> failures = failures(cluster, jobId);
            jobClient.cancel();
            throw new AssertionError("the job did not finish; its failures:\n" + describe(failures), e);
        }
        run.millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        run.retriedEntries = RunSummaryReporter.retriedEntries() - retriedBefore;
        run.failures = failures(cluster, jobId);
        run.released = ledger.releasedLines();
        run.attempts = ledger.attempts();
        return run;
    }

    private static InputLine paced(InputLine line) throws InterruptedException {
        Thread.sleep(1);
        return line;
    }

    /** The job's failures, newest first, as the REST API's exception history has them. */
    private static List<JobExceptionsInfoWithHistory.RootExceptionInfo> failures(RestClusterClient<?> cluster, JobID jobId)
            throws Exception {
        JobExceptionsMessageParameters parameters = new JobExceptionsMessageParameters();
        parameters.jobPathParameter.resolve(jobId);
        JobExceptionsInfoWithHistory exceptions = cluster
                .sendRequest(JobExceptionsHeaders.getInstance(), parameters, EmptyRequestBody.getInstance())
                .get(30, TimeUnit.SECONDS);
        return new ArrayList<>(exceptions.getExceptionHistory().getEntries());
    }

    /**
     * The only failures these faults may cause: the connector's fatal classification of an
     * SdkClientException (reset or refused connections after the SDK's own retries).
     */
    private static void assertEveryFailureIsAClientExceptionTheConnectorCallsFatal(
            List<JobExceptionsInfoWithHistory.RootExceptionInfo> failures) {
        for (JobExceptionsInfoWithHistory.RootExceptionInfo failure : failures) {
            assertTrue(failure.getStacktrace().contains("SdkClientException"),
                    "an unexpected failure, not an SdkClientException:\n" + failure.getStacktrace());
        }
    }

    private static String describe(List<JobExceptionsInfoWithHistory.RootExceptionInfo> failures) {
        StringBuilder text = new StringBuilder();
        for (JobExceptionsInfoWithHistory.RootExceptionInfo failure : failures) {
            text.append(failure.getTaskName()).append(": ").append(failure.getStacktrace()).append('\n');
        }
        return text.toString();
    }

    private static void report(String scenario, Run run, String proxy, int duplicates) {
        Set<String> causes = new java.util.TreeSet<>();
        for (JobExceptionsInfoWithHistory.RootExceptionInfo failure : run.failures) {
            causes.add(rootCause(failure.getStacktrace()));
        }
        System.err.println("KinesisFaultsITCase [" + scenario + "]: job took " + run.millis + " ms, "
                + run.failures.size() + " failures/restarts " + causes + ", state-output attempts " + run.attempts
                + ", retried entries counted " + run.retriedEntries + ", duplicates read back " + duplicates
                + ", STATE writes " + run.released.size() + ", proxy " + proxy);
    }

    /** The first line of a stack trace and its "Caused by:" lines, outermost first. */
    private static String rootCause(String stacktrace) {
        List<String> chain = new ArrayList<>();
        stacktrace.lines().findFirst().ifPresent(chain::add);
        stacktrace.lines().filter(line -> line.startsWith("Caused by: "))
                .forEach(line -> chain.add(line.substring("Caused by: ".length())));
        return String.join(" <- ", chain);
    }

    // ---- input, streams, config -------------------------------------------------------------

    private static StreamRoutes threeStreams() {
        return StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("shop", "orders"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor(null, "events"), DestinationSyncMode.APPEND))));
    }

    private static void provision(KinesisClient client, StreamRoutes routes) {
        new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(routes.kinesisStreams().values(), 2);
    }

    private static DestinationConfig configFor(String endpoint, int bufferSize) {
        ObjectNode config = ExpectedRecords.EXACT.createObjectNode();
        config.put("endpoint", endpoint);
        config.put("region", KinesisEmulator.REGION);
        config.put("accessKey", KinesisEmulator.ACCESS_KEY);
        config.put("privateKey", KinesisEmulator.SECRET_KEY);
        config.put("shardCount", 2);
        config.put("bufferSize", bufferSize);
        return DestinationConfig.fromJson(config);
    }

    /**
     * {@code records} RECORD lines spread over the three streams, each about {@code dataBytes}
     * of data with exact decimals and big integers, and a LEGACY STATE {"upTo": n} before the
     * first record and after every {@code stateEvery} records.
     */
    private static void writeInput(Path file, int records, int stateEvery, int dataBytes) throws IOException {
        String[] streams = {"\"stream\":\"users\"", "\"stream\":\"orders\",\"namespace\":\"shop\"", "\"stream\":\"events\""};
        List<String> lines = new ArrayList<>();
        for (int seq = 0; seq <= records; seq++) {
            if (seq % stateEvery == 0) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}");
            }
            if (seq < records) {
                String data = "{\"seq\":" + seq + ",\"amount\":" + seq + ".10,\"big\":1234567890123456789012345678" + seq
                        + ",\"name\":\"r\\u00e9cord " + seq + "\",\"pad\":\"";
                StringBuilder line = new StringBuilder("{\"type\":\"RECORD\",\"record\":{").append(streams[seq % 3])
                        .append(",\"emitted_at\":").append(EMITTED_AT_BASE + seq).append(",\"data\":").append(data);
                for (int i = data.length(); i < dataBytes - 2; i++) {
                    line.append((char) ('a' + (seq + i) % 26));
                }
                line.append("\"}}}");
                lines.add(line.toString());
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    // ---- checks -----------------------------------------------------------------------------

    /**
     * Reads every stream directly from the emulator: each input record is there (JSON-equal data,
     * same emitted_at), nothing else is, and all copies of a record have one id (equal to the
     * partition key). Returns how many copies beyond the first were read.
     */
    private static int assertNothingLost(KinesisClient direct, StreamRoutes routes, Path input) throws IOException {
        ExpectedRecords expected = ExpectedRecords.fromFiles(KinesisStreamNames::of, input);
        KinesisStreamReader reader = new KinesisStreamReader(direct);
        int duplicates = 0;
        int total = 0;
        for (String stream : routes.kinesisStreams().values()) {
            Map<List<JsonNode>, Set<String>> idsByRecord = new HashMap<>();
            Map<String, List<JsonNode>> recordById = new HashMap<>();
            List<Record> records = reader.readAll(stream);
            for (Record record : records) {
                JsonNode envelope = ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
                String id = envelope.get("_airbyte_ab_id").asText();
                assertEquals(id, record.partitionKey(), "partition key is the record id");
                List<JsonNode> content = List.of(ExpectedRecords.EXACT.readTree(envelope.get("_airbyte_data").textValue()),
                        envelope.get("_airbyte_emitted_at"));
                idsByRecord.computeIfAbsent(content, c -> new HashSet<>()).add(id);
                List<JsonNode> earlier = recordById.putIfAbsent(id, content);
                if (earlier != null) {
                    assertEquals(earlier, content, "one id, one record, in " + stream);
                }
            }
            Map<List<JsonNode>, Integer> wanted = expected.byStream().getOrDefault(stream, Map.of());
            Set<List<JsonNode>> missing = new HashSet<>(wanted.keySet());
            missing.removeAll(idsByRecord.keySet());
            Set<List<JsonNode>> unexpected = new HashSet<>(idsByRecord.keySet());
            unexpected.removeAll(wanted.keySet());
            assertEquals(Set.of(), missing, missing.size() + " input records missing from " + stream);
            assertEquals(Set.of(), unexpected, "records in " + stream + " that are not in the input");
            for (Map.Entry<List<JsonNode>, Set<String>> record : idsByRecord.entrySet()) {
                assertEquals(1, record.getValue().size(), "copies of one record carry one id: " + record);
            }
            duplicates += records.size() - idsByRecord.size();
            total += idsByRecord.size();
        }
        assertEquals(expected.total(), total, "distinct records read back");
        return duplicates;
    }

    /** Per stream, the sequence numbers readable right now. */
    private static Map<String, Set<String>> sequenceNumbers(KinesisClient direct, StreamRoutes routes) {
        Map<String, Set<String>> numbers = new LinkedHashMap<>();
        KinesisStreamReader reader = new KinesisStreamReader(direct);
        for (String stream : routes.kinesisStreams().values()) {
            Set<String> set = new HashSet<>();
            for (Record record : reader.readAll(stream)) {
                set.add(record.sequenceNumber());
            }
            numbers.put(stream, set);
        }
        return numbers;
    }
}
