package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.check.KinesisAccessCheck;
import org.airbytekinesis.flink.testing.AirbyteProtocolSchema;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/** {@code check} against kinesalite, a closed port, a silent port and bad configs. */
class CheckCommandITCase {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;

    /** The one CONNECTION_STATUS line check prints, after checking it is one valid line. */
    private static JsonNode check(Path config) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CheckCommand(new PrintStream(out, true, StandardCharsets.UTF_8))
                .run(List.of("--config", config.toString()));
        String output = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, output.lines().count(), output);
        assertEquals(List.of(), AirbyteProtocolSchema.errors(output), output);
        JsonNode message = MAPPER.readTree(output);
        assertEquals("CONNECTION_STATUS", message.path("type").asText());
        assertFalse(output.contains(KinesisEmulator.SECRET_KEY), "secret key shown: " + output);
        assertFalse(output.contains(KinesisEmulator.ACCESS_KEY), "access key shown: " + output);
        return message.path("connectionStatus");
    }

    private Path config(Map<String, Object> config) throws Exception {
        Path file = tempDir.resolve("config.json");
        Files.writeString(file, MAPPER.writeValueAsString(config));
        return file;
    }

    private Path unreachableConfig(int port, Map<String, Object> extra) throws Exception {
        Map<String, Object> config = new java.util.HashMap<>(Map.of(
                "endpoint", "http://127.0.0.1:" + port,
                "region", KinesisEmulator.REGION,
                "accessKey", KinesisEmulator.ACCESS_KEY,
                "privateKey", KinesisEmulator.SECRET_KEY));
        config.putAll(extra);
        return config(config);
    }

    @Test
    void aLiveKinesisSucceedsAndOnlyTheProbeStreamIsCreatedAndDeleted() throws Exception {
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient client = emulator.client()) {
            // The original destination's check deleted any stream named test_stream.
            client.createStream(b -> b.streamName("test_stream").shardCount(1));
            awaitActive(client, "test_stream");
            client.putRecord(b -> b.streamName("test_stream").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("{\"keep\":\"me\"}")));

            JsonNode status = check(emulator.writeConfig(tempDir, Map.of()));

            assertEquals("SUCCEEDED", status.path("status").asText(), status.toString());
            String message = status.path("message").asText();
            assertTrue(message.contains(emulator.endpoint()), message);
            assertTrue(message.contains(KinesisAccessCheck.PROBE_PREFIX), message);
            assertEquals(List.of("test_stream"), streamsOnceTheProbeIsGone(client));
            List<String> kept = new KinesisStreamReader(client).readAll("test_stream").stream()
                    .map(r -> r.data().asUtf8String())
                    .collect(Collectors.toList());
            assertEquals(List.of("{\"keep\":\"me\"}"), kept);
        }
    }

    @Test
    void aClosedPortFailsWithinSecondsNamingTheEndpoint() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        long start = System.nanoTime();
        JsonNode status = check(unreachableConfig(port, Map.of()));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertEquals("FAILED", status.path("status").asText());
        String message = status.path("message").asText();
        assertTrue(message.startsWith("cannot connect to http://127.0.0.1:" + port + ": connection refused"), message);
        assertTrue(elapsed.compareTo(Duration.ofSeconds(20)) < 0, "took " + elapsed);
    }

    @Test
    void anEndpointThatNeverAnswersFailsWithinTheTimeLimit() throws Exception {
        // A listening socket that never accepts: connections succeed, no answer ever comes.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            JsonNode status = check(unreachableConfig(silent.getLocalPort(), Map.of()));
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            assertEquals("FAILED", status.path("status").asText());
            String message = status.path("message").asText();
            assertTrue(message.startsWith("no answer from http://127.0.0.1:" + silent.getLocalPort() + " in time"), message);
            assertTrue(elapsed.compareTo(Duration.ofSeconds(30)) < 0, "took " + elapsed);
        }
    }

    @Test
    void aMalformedSignatureIsReportedAsCredentialsNotAccepted() throws Exception {
        // kinesalite never verifies keys, but it refuses an Authorization header it cannot parse:
        // an access key starting with '=' leaves the header's Credential empty.
        String badAccessKey = "=bad-access-key";
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite()) {
            JsonNode status = check(emulator.writeConfig(tempDir, Map.of("accessKey", badAccessKey)));

            assertEquals("FAILED", status.path("status").asText());
            String message = status.path("message").asText();
            assertTrue(message.startsWith(emulator.endpoint() + " did not accept the credentials: check accessKey and privateKey"),
                    message);
            assertTrue(message.contains("(IncompleteSignatureException: "), message);
            assertFalse(message.contains(badAccessKey), "the access key is echoed by kinesalite but not shown: " + message);
        }
    }

    @Test
    void anInvalidConfigFailsNamingTheKey() throws Exception {
        JsonNode status = check(unreachableConfig(1, Map.of("bufferSize", 0)));

        assertEquals("FAILED", status.path("status").asText());
        assertEquals("config: bufferSize must be between 1 and 500, got 0", status.path("message").asText());
    }

    @Test
    void aMissingConfigFileIsAFailedStatus() throws Exception {
        Path missing = tempDir.resolve("missing.json");
        JsonNode status = check(missing);

        assertEquals("FAILED", status.path("status").asText());
        assertTrue(status.path("message").asText().startsWith("config " + missing + ": cannot read it"), status.toString());
    }

    @Test
    void aConfigThatIsNotJsonFailsWithoutQuotingIt() throws Exception {
        Path file = tempDir.resolve("config.json");
        Files.writeString(file, "{\"privateKey\": \"" + KinesisEmulator.SECRET_KEY + "\" oops}");
        JsonNode status = check(file);

        assertEquals("FAILED", status.path("status").asText());
        assertTrue(status.path("message").asText().contains("not valid JSON"), status.toString());
    }

    @Test
    void withoutConfigArgumentCheckRefusesToRun() {
        CheckCommand command = new CheckCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        SetupException error = assertThrows(SetupException.class, () -> command.run(List.of()));
        assertTrue(error.getMessage().startsWith("--config is required"), error.getMessage());
        assertThrows(SetupException.class, () -> command.run(List.of("--config")));
        assertThrows(SetupException.class, () -> command.run(List.of("--catalog", "x")));
    }

    /** Stream names once the probe stream is gone (kinesalite deletes 50 ms after DeleteStream). */
    private static List<String> streamsOnceTheProbeIsGone(KinesisClient client) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> streams = client.listStreams().streamNames();
            if (streams.stream().noneMatch(s -> s.startsWith(KinesisAccessCheck.PROBE_PREFIX))
                    || System.nanoTime() > deadline) {
                return streams;
            }
            Thread.sleep(100);
        }
    }

    private static void awaitActive(KinesisClient client, String stream) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatus()
                != StreamStatus.ACTIVE) {
            assertTrue(System.nanoTime() < deadline, stream + " did not become ACTIVE");
            Thread.sleep(50);
        }
    }
}
