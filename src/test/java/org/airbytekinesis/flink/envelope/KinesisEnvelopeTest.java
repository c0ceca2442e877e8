package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class KinesisEnvelopeTest {

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void envelopeIsSerializedAsPojoWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(KinesisEnvelope.class);
    }

    @Test
    void envelopeSurvivesItsSerializer() throws Exception {
        KinesisEnvelope envelope = new KinesisEnvelope("_users", "00000000-0000-4000-8000-000000000000", utf8("{\"a\":\"Рома\"}"));
        TypeSerializer<KinesisEnvelope> serializer =
                TypeInformation.of(KinesisEnvelope.class).createSerializer(new ExecutionConfig().getSerializerConfig());
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(envelope, out);
        assertEquals(envelope, serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
    }

    @Test
    void equalEnvelopesCompareTheirPayloadBytes() {
        KinesisEnvelope a = new KinesisEnvelope("s", "k", utf8("{}"));
        KinesisEnvelope b = new KinesisEnvelope("s", "k", utf8("{}"));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new KinesisEnvelope("s", "k", utf8("{ }")));
        assertNotEquals(a, new KinesisEnvelope("t", "k", utf8("{}")));
        assertNotEquals(a, new KinesisEnvelope("s", "j", utf8("{}")));
        assertNotEquals(a, (Object) "s");
    }

    @Test
    void toStringShowsSizeNotPayload() {
        assertEquals("KinesisEnvelope{_users, k, 9 bytes}", new KinesisEnvelope("_users", "k", utf8("{\"a\":\"b\"}")).toString());
    }
}
