package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.junit.jupiter.api.Test;

class EnvelopeSerializationTest {
    @Test
    void theKinesisRecordIsTheEnvelopesPayloadUnderItsPartitionKey() {
        byte[] payload = "{\"id\":1}".getBytes(StandardCharsets.UTF_8);
        KinesisEnvelope envelope = new KinesisEnvelope("orders", "3f2a-key", payload);

        assertArrayEquals(payload, new EnvelopeSerialization.Payload().serialize(envelope));
        assertEquals("3f2a-key", new EnvelopeSerialization.PartitionKey().apply(envelope));
    }
}
