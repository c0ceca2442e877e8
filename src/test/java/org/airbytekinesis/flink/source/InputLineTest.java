package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

class InputLineTest {

    @Test
    void inputLineIsSerializedAsPojoWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(InputLine.class);
    }

    @Test
    void inputLineSurvivesItsSerializer() throws Exception {
        byte[] bytes = {'{', (byte) 0xC3, (byte) 0x28, '}'};
        InputLine line = new InputLine("file:/in/a.jsonl", 42, bytes);
        TypeSerializer<InputLine> serializer =
                TypeInformation.of(InputLine.class).createSerializer(new ExecutionConfig().getSerializerConfig());
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(line, out);
        InputLine copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertEquals("file:/in/a.jsonl", copy.source);
        assertEquals(42, copy.lineNumber);
        assertArrayEquals(bytes, copy.bytes);
    }

    @Test
    void toStringNamesSourceLineAndSizeButNotContent() {
        InputLine line = new InputLine("file:/in/a.jsonl", 7, "{\"secret\":1}".getBytes(StandardCharsets.UTF_8));
        assertEquals("file:/in/a.jsonl:7 (12 bytes)", line.toString());
    }
}
