package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.AirbyteMessageScanner;
import org.airbytekinesis.flink.airbyte.MalformedMessageException;
import org.airbytekinesis.flink.airbyte.ScannedMessage;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.testing.Corpus;
import org.junit.jupiter.api.Test;

class EnvelopeWriterTest {
    private static final String ID = "00000000-0000-4000-8000-000000000000";
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /**
     * The data as the line holds it: JSON escapes ({@code \u00e1}, {@code \"}, {@code \\},
     * {@code \n}) as escapes, the Cyrillic as raw UTF-8.
     */
    private static final String DATA = "{\"big\":10000000000000000000000.1234,\"max\":9223372036854775807,"
            + "\"u\":\"Kristi\\u00e1n \\u03a3 Рома\",\"e\":\"a\\\"b\\\\c\\n\"}";
    private static final String LINE = "{\"record\":{\"data\":" + DATA
            + ",\"emitted_at\":1629758603937,\"stream\":\"s\"},\"type\":\"RECORD\"}";

    private final AirbyteMessageScanner scanner = new AirbyteMessageScanner();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Scans the line and writes its envelope with the fixed id. */
    private byte[] envelope(String line, DataFormat format) throws MalformedMessageException {
        return envelope(utf8(line), new EnvelopeWriter(format));
    }

    private byte[] envelope(byte[] line, EnvelopeWriter writer) throws MalformedMessageException {
        ScannedMessage message = scanner.scan(line, line.length);
        assertTrue(message.isRecord());
        String emittedAt = message.emittedAt() == null ? "0" : message.emittedAt();
        return writer.write(ID, emittedAt, line, message.dataStart(), message.dataEnd());
    }

    private static String recordLine(String data) {
        return "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":" + data + ",\"emitted_at\":42}}";
    }

    /** Checks the envelope is JSON whose _airbyte_data is JSON-equal to the given data. */
    private static void assertEnvelopeHolds(byte[] envelope, DataFormat format, JsonNode expectedData) throws IOException {
        JsonNode root = MAPPER.readTree(envelope);
        assertEquals(3, root.size(), root::toString);
        assertEquals(ID, root.get("_airbyte_ab_id").textValue());
        JsonNode data = root.get("_airbyte_data");
        if (format == DataFormat.STRING) {
            assertTrue(data.isTextual(), "_airbyte_data is not a string");
            assertEquals(expectedData, MAPPER.readTree(data.textValue()));
        } else {
            assertEquals(expectedData, data);
        }
    }

    @Test
    void stringFormatEscapesTheDataTextExactly() throws MalformedMessageException {
        String expected = "{\"_airbyte_ab_id\":\"00000000-0000-4000-8000-000000000000\","
                + "\"_airbyte_emitted_at\":1629758603937,"
                + "\"_airbyte_data\":\"{\\\"big\\\":10000000000000000000000.1234,\\\"max\\\":9223372036854775807,"
                + "\\\"u\\\":\\\"Kristi\\\\u00e1n \\\\u03a3 Рома\\\",\\\"e\\\":\\\"a\\\\\\\"b\\\\\\\\c\\\\n\\\"}\"}";
        assertArrayEquals(utf8(expected), envelope(LINE, DataFormat.STRING));
    }

    @Test
    void objectFormatEmbedsTheDataTextAsIs() throws MalformedMessageException {
        String expected = "{\"_airbyte_ab_id\":\"00000000-0000-4000-8000-000000000000\","
                + "\"_airbyte_emitted_at\":1629758603937,"
                + "\"_airbyte_data\":{\"big\":10000000000000000000000.1234,\"max\":9223372036854775807,"
                + "\"u\":\"Kristi\\u00e1n \\u03a3 Рома\",\"e\":\"a\\\"b\\\\c\\n\"}}";
        assertArrayEquals(utf8(expected), envelope(LINE, DataFormat.OBJECT));
    }

    @Test
    void stringFormatDataReparsesToTheOriginalData() throws IOException, MalformedMessageException {
        JsonNode root = MAPPER.readTree(envelope(LINE, DataFormat.STRING));
        assertEquals(DATA, root.get("_airbyte_data").textValue());
        JsonNode data = MAPPER.readTree(root.get("_airbyte_data").textValue());
        assertEquals(MAPPER.readTree(DATA), data);
        assertEquals("10000000000000000000000.1234", data.get("big").decimalValue().toPlainString());
        assertEquals(Long.MAX_VALUE, data.get("max").longValue());
        assertEquals("Kristián Σ Рома", data.get("u").textValue());
        assertEquals("a\"b\\c\n", data.get("e").textValue());
        assertEquals(1629758603937L, root.get("_airbyte_emitted_at").longValue());
    }

    @Test
    void objectFormatDataParsesToTheOriginalData() throws IOException, MalformedMessageException {
        assertEnvelopeHolds(envelope(LINE, DataFormat.OBJECT), DataFormat.OBJECT, MAPPER.readTree(DATA));
    }

    @Test
    void whitespaceBetweenTokensIsRemovedButKeptInsideStrings() throws IOException, MalformedMessageException {
        String data = "{ \"a\" : 1 ,\t\"b\": [1, 2,\r{\"c\": \"x  y, z: w\"} ], \"q\": \"q\\\" : \\\" r\","
                + " \"e\": \"end\\\\\"  , \"k\" : 1, \"d\" : { } }";
        String line = "{\"type\": \"RECORD\", \"record\": {\"stream\": \"s\", \"data\": " + data + ", \"emitted_at\": 42}}";
        String compact = "{\"a\":1,\"b\":[1,2,{\"c\":\"x  y, z: w\"}],\"q\":\"q\\\" : \\\" r\",\"e\":\"end\\\\\",\"k\":1,\"d\":{}}";
        assertArrayEquals(
                utf8("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":" + compact + "}"),
                envelope(line, DataFormat.OBJECT));
        byte[] stringEnvelope = envelope(line, DataFormat.STRING);
        assertEquals(compact, MAPPER.readTree(stringEnvelope).get("_airbyte_data").textValue());
        assertEnvelopeHolds(stringEnvelope, DataFormat.STRING, MAPPER.readTree(data));
    }

    @Test
    void emptyDataGivesEmptyObject() throws MalformedMessageException {
        assertArrayEquals(utf8("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":\"{}\"}"),
                envelope(recordLine("{ }"), DataFormat.STRING));
        assertArrayEquals(utf8("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":{}}"),
                envelope(recordLine("{ }"), DataFormat.OBJECT));
    }

    @Test
    void controlCharacterEscapesAndSupplementaryCharactersSurvive() throws IOException, MalformedMessageException {
        String data = "{\"t\":\"tab\\there\\u0000nul\\r\\n\\/\\b\\f\",\"emoji\":\"😀\\ud83d\\ude00\",\"\\\"key\\\"\":\"\"}";
        for (DataFormat format : DataFormat.values()) {
            assertEnvelopeHolds(envelope(recordLine(data), format), format, MAPPER.readTree(data));
        }
        assertEquals(data, MAPPER.readTree(envelope(recordLine(data), DataFormat.STRING)).get("_airbyte_data").textValue());
    }

    @Test
    void hugeNumbersSurviveDigitForDigit() throws IOException, MalformedMessageException {
        String digits = "1234567890".repeat(40);
        String data = "{\"i\":" + digits + ",\"f\":-" + digits + "." + digits + "E+12,\"z\":-0.0}";
        byte[] objectEnvelope = envelope(recordLine(data), DataFormat.OBJECT);
        assertTrue(new String(objectEnvelope, StandardCharsets.UTF_8).endsWith("\"_airbyte_data\":" + data + "}"));
        byte[] stringEnvelope = envelope(recordLine(data), DataFormat.STRING);
        JsonNode parsed = MAPPER.readTree(MAPPER.readTree(stringEnvelope).get("_airbyte_data").textValue());
        assertEquals(digits, parsed.get("i").bigIntegerValue().toString());
        assertEquals(MAPPER.readTree(data), parsed);
    }

    @Test
    void veryDeepDataIsCopied() throws MalformedMessageException {
        int depth = 5000;
        String data = "{\"a\":".repeat(depth) + "[ ".repeat(depth) + "1" + " ]".repeat(depth) + "}".repeat(depth);
        String compact = data.replace(" ", "");
        String envelope = new String(envelope(recordLine(data), DataFormat.OBJECT), StandardCharsets.UTF_8);
        assertEquals("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":" + compact + "}", envelope);
    }

    @Test
    void writerGrowsAndReusesItsBuffer() throws IOException, MalformedMessageException {
        EnvelopeWriter writer = new EnvelopeWriter(DataFormat.STRING);
        String bigData = "{\"s\":\"" + "\\\"".repeat(20_000) + "\"}";
        String smallData = "{\"a\":1}";
        byte[] big = envelope(utf8(recordLine(bigData)), writer);
        byte[] small = envelope(utf8(recordLine(smallData)), writer);
        byte[] bigAgain = envelope(utf8(recordLine(bigData)), writer);
        assertArrayEquals(big, bigAgain);
        assertArrayEquals(utf8("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":\"{\\\"a\\\":1}\"}"), small);
        assertEnvelopeHolds(big, DataFormat.STRING, MAPPER.readTree(bigData));
        // All but 4 data bytes ({, s, :, }) get a backslash: close to the worst case of twice the length.
        assertEquals(2 * bigData.length() - 4 + "{\"_airbyte_ab_id\":\"\",\"_airbyte_emitted_at\":42,\"_airbyte_data\":\"\"}".length()
                + ID.length(), big.length);
    }

    @Test
    void dataInTheMiddleOfALongerBufferIsCopiedFromItsRange() throws IOException {
        byte[] buffer = utf8("garbage{\"a\" : [1, \"b\"]}garbage");
        byte[] envelope = new EnvelopeWriter(DataFormat.OBJECT).write(ID, "7", buffer, 7, 7 + "{\"a\" : [1, \"b\"]}".length());
        assertArrayEquals(utf8("{\"_airbyte_ab_id\":\"" + ID + "\",\"_airbyte_emitted_at\":7,\"_airbyte_data\":{\"a\":[1,\"b\"]}}"), envelope);
    }

    @Test
    void everyCorpusRecordBecomesAnEnvelopeHoldingItsData() throws IOException, MalformedMessageException {
        EnvelopeWriter stringWriter = new EnvelopeWriter(DataFormat.STRING);
        EnvelopeWriter objectWriter = new EnvelopeWriter(DataFormat.OBJECT);
        int records = 0;
        for (Path file : Corpus.messageFiles()) {
            int lineNumber = 0;
            for (byte[] line : Corpus.lines(Files.readAllBytes(file))) {
                lineNumber++;
                String where = file.getFileName() + " line " + lineNumber;
                ScannedMessage message = scanner.scan(line, line.length);
                if (!message.isRecord()) {
                    continue;
                }
                records++;
                JsonNode record = MAPPER.readTree(line).get("record");
                assertEquals(record.get("stream").textValue(), message.stream(), where);
                JsonNode namespace = record.get("namespace");
                assertEquals(namespace == null || namespace.isNull() ? null : namespace.textValue(), message.namespace(), where);
                assertNotNull(message.emittedAt(), where);

                for (EnvelopeWriter writer : List.of(stringWriter, objectWriter)) {
                    byte[] envelope = writer.write(ID, message.emittedAt(), line, message.dataStart(), message.dataEnd());
                    JsonNode root = MAPPER.readTree(envelope);
                    assertEquals(ID, root.get("_airbyte_ab_id").textValue(), where);
                    assertEquals(record.get("emitted_at"), root.get("_airbyte_emitted_at"), where);
                    JsonNode data = root.get("_airbyte_data");
                    if (writer == stringWriter) {
                        assertTrue(data.isTextual(), where);
                        data = MAPPER.readTree(data.textValue());
                    }
                    assertEquals(record.get("data"), data, where);
                }
            }
        }
        assertEquals(71 + 111 + 151 + 12 + 24, records);
    }
}
