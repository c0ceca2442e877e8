package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;
import org.airbytekinesis.flink.testing.KinesisFaultProxy.Failure;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Errors real Kinesis returns and the emulators never do (kinesalite behind a fault-injecting
 * proxy), through the command as the launcher runs it: an error that cannot succeed on retry ends
 * the run within 60 s, its last line naming the stream, the AWS error code and AWS's message, with
 * a TRACE ERROR saying the same, and every STATE released before is durable; a retryable one that
 * keeps failing ends it at the retry deadline naming the last error; one that clears up is
 * ridden out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KinesisPermanentErrorsITCase {
    private static final String STREAM = "_events";
    private static final int RECORDS = 3_000;
    private static final int STATE_EVERY = 100;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static KinesisEmulator emulator;
    private static KinesisFaultProxy proxy;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        proxy = KinesisFaultProxy.start(emulator.endpoint());
    }

    @AfterAll
    static void stop() {
        proxy.close();
        emulator.close();
    }

    static Stream<Arguments> permanentRequestErrors() {
        return Stream.of(Failure.accessDenied(), Failure.kmsDisabled(), Failure.kmsAccessDenied(), Failure.kmsNotFound(),
                Failure.kmsInvalidState(), Failure.kmsOptInRequired(), Failure.expiredToken(), Failure.unrecognizedClient(),
                Failure.validation(), Failure.resourceNotFound()).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("permanentRequestErrors")
    void aPermanentErrorOfAWholeRequestEndsTheRunWithinAMinuteNamingStreamCodeAndMessage(Failure failure) throws Exception {
        proxy.clearFaults().failPutRecordsAfter(5, failure);
        Result result = run(Map.of());
        assertFailedNaming(result, failure.errorCode(), failure.messageFor(STREAM));
    }

    @Test
    void anEntryRefusedForGoodEndsTheRunNamingItsCodeAndMessage() throws Exception {
        String message = "The request was rejected because the specified KMS key is disabled (stream " + STREAM + ").";
        proxy.clearFaults().setEntryErrorCode("KMSDisabledException", message).setEntryFailureShare(0.3);
        Result result = run(Map.of());
        assertFailedNaming(result, "KMSDisabledException", message);
    }

    @Test
    void throttlingThatNeverEndsFailsTheRunAtTheRetryDeadlineNamingTheLastError() throws Exception {
        proxy.clearFaults().setEntryFailureShare(1.0);
        Result result = run(Map.of("retryDeadlineSeconds", 10));
        assertFailedNaming(result, "ProvisionedThroughputExceededException", "Rate exceeded for shard");
        assertTrue(result.lastError.contains("kept failing for") && result.lastError.contains("retryDeadlineSeconds (10 s)"),
                result.lastError);
        assertTrue(result.millis >= 10_000, "not before the deadline: " + result.millis + " ms");
    }

    @Test
    void kmsThrottlingIsRetriedAndTheRunFinishesOnceItClears() throws Exception {
        proxy.clearFaults().failPutRecordsAfter(3, Failure.kmsThrottling());
        // The 4 s of refusals count from the first one: the run's start-up takes longer on a busy machine.
        Thread clear = new Thread(() -> {
            try {
                while (proxy.requestFailuresInjected() == 0) {
                    Thread.sleep(50);
                }
                Thread.sleep(4_000);
            } catch (InterruptedException e) {
                return;
            } finally {
                proxy.clearRequestFailure();
            }
        });
        clear.start();
        Result result = run(Map.of());
        clear.interrupt(); // the run is over: whatever it waited for is moot
        clear.join();
        assertEquals(0, result.exitCode, result.stderr);
        assertTrue(proxy.requestFailuresInjected() > 0, "requests were refused for a while: " + proxy);
        Set<Integer> written = seqsInKinesis();
        for (int seq = 0; seq < RECORDS; seq++) {
            assertTrue(written.contains(seq), "record " + seq + " is in Kinesis");
        }
    }

    // ---------------------------------------------------------------------------------------

    private static final class Result {
        int exitCode;
        long millis;
        String stdout;
        String stderr;
        String lastError;
    }

    private void assertFailedNaming(Result result, String code, String awsMessage) throws IOException {
        assertEquals(1, result.exitCode, result.stderr);
        assertTrue(result.millis < 60_000, "ended within a minute: " + result.millis + " ms");
        assertTrue(result.lastError.startsWith("error: "), "the last line is the error: " + result.lastError);
        for (String part : List.of(STREAM, code, awsMessage)) {
            assertTrue(result.lastError.contains(part), "the error names " + part + ": " + result.lastError);
        }
        JsonNode trace = null;
        List<Integer> released = new ArrayList<>();
        for (String line : result.stdout.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode message = ExpectedRecords.EXACT.readTree(line);
            if ("TRACE".equals(message.path("type").asText())) {
                trace = message.get("trace");
            } else if ("STATE".equals(message.path("type").asText())) {
                released.add(message.get("state").get("data").get("upTo").intValue());
            }
        }
        assertTrue(trace != null && trace.get("error").get("message").asText().contains(code)
                && trace.get("error").get("message").asText().contains(awsMessage), "a TRACE ERROR names it: " + trace);
        // Nothing after the last durable point: each STATE released has its records in Kinesis.
        Set<Integer> written = seqsInKinesis();
        for (int upTo : released) {
            for (int seq = 0; seq < upTo; seq++) {
                assertTrue(written.contains(seq), "STATE upTo " + upTo + " was released, record " + seq + " is not in Kinesis");
            }
        }
    }

    /** {@code write} as the launcher runs it, in this JVM, on the test's MiniCluster. */
    private Result run(Map<String, Object> extraConfig) throws Exception {
        try (KinesisClient client = emulator.client()) {
            client.deleteStream(b -> b.streamName(STREAM));
        } catch (RuntimeException e) {
            // not there yet
        }
        awaitGone();
        Path input = dir.resolve("input.jsonl");
        List<String> lines = new ArrayList<>();
        for (int seq = 0; seq < RECORDS; seq++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"emitted_at\":1,\"data\":{\"seq\":" + seq + "}}}");
            if ((seq + 1) % STATE_EVERY == 0) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + (seq + 1) + "}}}");
            }
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"events\"}}]}");
        Map<String, Object> config = new java.util.HashMap<>(extraConfig);
        config.put("endpoint", proxy.endpoint());
        config.put("bufferSize", 50);
        Path configFile = Files.writeString(dir.resolve("config.json"), emulator.config(config).toString());

        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Result result = new Result();
        long start = System.nanoTime();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            result.exitCode = AirbyteKinesisMain.run(List.of("write", "--config", configFile.toString(), "--catalog",
                    catalog.toString(), "--input", input.toString(), "--checkpoint-interval", "300ms",
                    "--dead-letter", dir.resolve("dead-letter").toString()));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        result.millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        result.stdout = out.toString(StandardCharsets.UTF_8);
        result.stderr = err.toString(StandardCharsets.UTF_8);
        String[] errLines = result.stderr.strip().split("\n");
        result.lastError = errLines[errLines.length - 1];
        return result;
    }

    private static void awaitGone() throws InterruptedException {
        try (KinesisClient client = emulator.client()) {
            for (int i = 0; i < 100; i++) {
                try {
                    client.describeStreamSummary(b -> b.streamName(STREAM));
                } catch (software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException e) {
                    return;
                }
                Thread.sleep(50);
            }
        }
    }

    private static Set<Integer> seqsInKinesis() throws IOException {
        Set<Integer> seqs = new HashSet<>();
        try (KinesisClient client = emulator.client()) {
            for (Record record : new KinesisStreamReader(client).readAll(STREAM)) {
                String data = ExpectedRecords.EXACT.readTree(record.data().asUtf8String()).get("_airbyte_data").textValue();
                seqs.add(ExpectedRecords.EXACT.readTree(data).get("seq").intValue());
            }
        }
        return seqs;
    }
}
