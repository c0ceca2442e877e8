package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;

/**
 * Stream creation options and a named profile against kinesis-mock, which knows on-demand
 * streams and KMS encryption (it does not check credentials, but the profile must resolve).
 */
class StreamCreationOptionsITCase {
    @TempDir
    Path dir;

    @Test
    void onDemandAndKmsEncryptedStreamsAreCreatedThroughAProfilesCredentials() throws Exception {
        Path credentials = dir.resolve("credentials");
        Files.writeString(credentials, "[writer]\naws_access_key_id = profile-key\naws_secret_access_key = profile-secret\n");
        try (KinesisEmulator emulator = KinesisEmulator.kinesisMock()) {
            ObjectNode json = emulator.config(Map.of("streamMode", "on_demand", "kmsKeyId", "alias/airbyte",
                    "profile", "writer", "profilePath", credentials.toString()));
            json.remove(List.of("accessKey", "privateKey", "shardCount"));
            DestinationConfig config = DestinationConfig.fromJson(new ObjectMapper().readTree(json.toString()));
            KinesisConnection connection = KinesisConnection.fromConfig(config);
            try (KinesisClient client = KinesisClients.create(connection)) {
                client.createStream(b -> b.streamName("existing").shardCount(1));
                new StreamProvisioner(client, connection.where(), Duration.ofSeconds(60))
                        .ensureActive(List.of("existing", "fresh"), config.streamCreation());

                StreamDescriptionSummary fresh = client.describeStreamSummary(b -> b.streamName("fresh")).streamDescriptionSummary();
                assertEquals(StreamMode.ON_DEMAND, fresh.streamModeDetails().streamMode());
                assertEquals(EncryptionType.KMS, fresh.encryptionType());
                assertEquals("alias/airbyte", fresh.keyId());

                StreamDescriptionSummary existing = client.describeStreamSummary(b -> b.streamName("existing")).streamDescriptionSummary();
                assertEquals(StreamMode.PROVISIONED, existing.streamModeDetails().streamMode(), "existing streams are not changed");
                assertEquals(EncryptionType.NONE, existing.encryptionType());
            }
        }
    }
}
