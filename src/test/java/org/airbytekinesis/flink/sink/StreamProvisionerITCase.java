package org.airbytekinesis.flink.sink;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stream provisioning against kinesalite (fast, and its stream-creation delay is adjustable). */
class StreamProvisionerITCase {

    @Test
    void missingStreamsAreCreatedWithShardCountAndExistingOnesAreLeftAsTheyAre() throws Exception {
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient client = emulator.client()) {
            client.createStream(b -> b.streamName("existing").shardCount(1));

            new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(List.of("existing", "fresh"), 3);

            StreamDescriptionSummary existing = summary(client, "existing");
            StreamDescriptionSummary fresh = summary(client, "fresh");
            assertEquals(StreamStatus.ACTIVE, existing.streamStatus());
            assertEquals(1, existing.openShardCount());
            assertEquals(StreamStatus.ACTIVE, fresh.streamStatus());
            assertEquals(3, fresh.openShardCount());
        }
    }

    @Test
    void aStreamThatStaysCreatingFailsWithAClearTimeout() throws Exception {
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite("--createStreamMs", "60000");
                KinesisClient client = emulator.client()) {
            SetupException error = assertThrows(SetupException.class,
                    () -> new StreamProvisioner(client, Duration.ofSeconds(1)).ensureActive(List.of("slow"), 1));
            assertEquals("Kinesis stream slow did not become ACTIVE within 1 s (last status: CREATING)", error.getMessage());
        }
    }

    @Test
    void anUnreachableEndpointFailsNamingTheStreamAndTheCause() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        DestinationConfig config = DestinationConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper()
                .valueToTree(Map.of("endpoint", "http://127.0.0.1:" + closedPort, "region", "us-east-1",
                        "accessKey", "a", "privateKey", "b")));
        try (KinesisClient client = KinesisClients.create(KinesisConnection.fromConfig(config))) {
            SetupException error = assertThrows(SetupException.class,
                    () -> new StreamProvisioner(client, Duration.ofSeconds(5)).ensureActive(List.of("s"), 1));
            assertTrue(error.getMessage().startsWith("cannot describe Kinesis stream s: "), error.getMessage());
            assertTrue(error.getMessage().toLowerCase(java.util.Locale.ROOT).contains("connection refused"), error.getMessage());
        }
    }

    private static StreamDescriptionSummary summary(KinesisClient client, String stream) {
        return client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary();
    }
}
