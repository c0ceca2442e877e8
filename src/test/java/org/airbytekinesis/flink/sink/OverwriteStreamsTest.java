package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.StreamCreationConfig;
import org.airbytekinesis.flink.testing.LocalKinesis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Overwrite's streams at the start of a sync, through the control-plane client the connection
 * builds ({@link KinesisClients}), against a {@link LocalKinesis}.
 */
class OverwriteStreamsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final StreamCreationConfig TWO_SHARDS = new StreamCreationConfig(StreamCreationConfig.Mode.PROVISIONED, 2,
            null);

    private LocalKinesis kinesis;
    private Map<String, Integer> streams;
    private List<String> calls;

    @BeforeEach
    void startKinesis() throws IOException {
        kinesis = new LocalKinesis();
        streams = kinesis.streams;
        calls = kinesis.calls;
    }

    @AfterEach
    void stopKinesis() {
        kinesis.close();
    }

    private KinesisConnection connection() throws IOException {
        String endpoint = kinesis.endpoint();
        return KinesisConnection.fromConfig(DestinationConfig.fromJson(MAPPER.readTree("{\"region\":\"eu-west-1\","
                + "\"endpoint\":\"" + endpoint + "\",\"accessKey\":\"AKTESTKEY1\",\"privateKey\":\"SKTESTKEY2\"}")));
    }

    private OverwriteStreams overwrite(List<String> names) throws IOException {
        return new OverwriteStreams(connection(), names, TWO_SHARDS, Duration.ofSeconds(10));
    }

    @Test
    void aFreshStartReplacesTheStreamsWithEmptyOnes() throws Exception {
        streams.put("orders", 8);

        overwrite(List.of("orders", "users")).freshStart();

        assertEquals(Map.of("orders", 2, "users", 2), streams, "both new, with the configured shards");
        assertTrue(calls.contains("DeleteStream orders"), calls.toString());
        assertFalse(calls.contains("DeleteStream users"), "a missing stream is only created: " + calls);
    }

    @Test
    void aRestoredJobKeepsTheStreamsAndTheirRecordsButCreatesOnesDeletedMeanwhile() throws Exception {
        streams.put("orders", 8);

        overwrite(List.of("orders", "users")).restored();

        assertEquals(Map.of("orders", 8, "users", 2), streams);
        assertFalse(calls.stream().anyMatch(call -> call.startsWith("DeleteStream")), calls.toString());
    }

    @Test
    void withoutOverwriteStreamsNothingIsAsked() throws Exception {
        overwrite(List.of()).freshStart();
        overwrite(List.of()).restored();

        assertEquals(List.of(), calls);
    }

    @Test
    void aRefusedDeletionFailsTheStartNamingTheStreamButNotTheCredentials() throws Exception {
        streams.put("orders", 8);
        kinesis.deleteRefusal = "User with access key AKTESTKEY1 is not authorized to perform: kinesis:DeleteStream";

        SetupException error = assertThrows(SetupException.class, () -> overwrite(List.of("orders")).freshStart());

        assertTrue(error.getMessage().startsWith("cannot delete Kinesis stream orders for overwrite: the credentials are not"
                + " allowed to call kinesis:DeleteStream"), error.getMessage());
        assertFalse(error.getMessage().contains("AKTESTKEY1"), error.getMessage());
        assertEquals(Map.of("orders", 8), streams, "nothing else happened");
    }

    @Test
    void aClientWithItsOwnTimeLimitsTalksToTheConfiguredEndpointToo() throws Exception {
        streams.put("orders", 3);
        try (var client = KinesisClients.create(connection(), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(2))) {
            assertEquals(3, client.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
                    .openShardCount());
        }
        assertEquals(List.of("DescribeStreamSummary orders"), calls);
    }
}
