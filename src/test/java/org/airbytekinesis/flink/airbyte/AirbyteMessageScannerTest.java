package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.testing.Corpus;
import org.junit.jupiter.api.Test;

class AirbyteMessageScannerTest {

    private final AirbyteMessageScanner scanner = new AirbyteMessageScanner();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private ScannedMessage scan(String line) throws MalformedMessageException {
        byte[] bytes = utf8(line);
        return scanner.scan(bytes, bytes.length);
    }

    private static String data(String line, ScannedMessage message) {
        return new String(utf8(line), message.dataStart(), message.dataEnd() - message.dataStart(), StandardCharsets.UTF_8);
    }

    private MalformedMessageException refused(String line) {
        return assertThrows(MalformedMessageException.class, () -> scan(line), line);
    }

    private void assertRefused(String line, String expectedPart) {
        MalformedMessageException e = refused(line);
        assertTrue(e.getMessage().contains(expectedPart), () -> "\"" + expectedPart + "\" not in: " + e.getMessage());
    }

    @Test
    void recordWithTypeFirstIsScanned() throws MalformedMessageException {
        String line = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\",\"namespace\":\"public\","
                + "\"data\":{\"id\":1,\"name\":\"a\"},\"emitted_at\":1629758603937}}";
        ScannedMessage message = scan(line);
        assertTrue(message.isRecord());
        assertFalse(message.isBlank());
        assertEquals("RECORD", message.type());
        assertEquals("users", message.stream());
        assertEquals("public", message.namespace());
        assertEquals("1629758603937", message.emittedAt());
        assertEquals("{\"id\":1,\"name\":\"a\"}", data(line, message));
    }

    @Test
    void recordWithTypeLastIsScanned() throws MalformedMessageException {
        String line = "{\"record\":{\"data\":{\"x\":[1,{}]},\"emitted_at\":5,\"stream\":\"s\"},\"type\":\"RECORD\"}";
        ScannedMessage message = scan(line);
        assertTrue(message.isRecord());
        assertEquals("s", message.stream());
        assertEquals("5", message.emittedAt());
        assertEquals("{\"x\":[1,{}]}", data(line, message));
    }

    @Test
    void unknownFieldsAnywhereAreSkipped() throws MalformedMessageException {
        String line = "{\"x\":{\"type\":\"LOG\",\"record\":1},\"record\":{\"meta\":{\"stream\":\"no\",\"data\":[]},"
                + "\"stream\":\"s\",\"changes\":[{\"field\":\"a\"}],\"data\":{\"d\":{\"stream\":\"deep\"}},"
                + "\"emitted_at\":7,\"more\":null},\"y\":[[\"type\"]],\"type\":\"RECORD\",\"z\":\"RECORD\"}";
        ScannedMessage message = scan(line);
        assertTrue(message.isRecord());
        assertEquals("s", message.stream());
        assertEquals("7", message.emittedAt());
        assertEquals("{\"d\":{\"stream\":\"deep\"}}", data(line, message));
    }

    @Test
    void pythonStyleWhitespaceIsAccepted() throws MalformedMessageException {
        String line = "{\"type\": \"RECORD\", \"record\": {\"stream\": \"s\", \"data\": {\"a\": 1, \"b\": [1, 2]},"
                + " \"emitted_at\": 1}}";
        ScannedMessage message = scan(line);
        assertEquals("{\"a\": 1, \"b\": [1, 2]}", data(line, message));
    }

    @Test
    void dataRangeCountsBytesNotCharacters() throws MalformedMessageException {
        String line = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"Рома\",\"data\":{\"k\":\"Σ 😀\"},\"emitted_at\":1}}";
        ScannedMessage message = scan(line);
        assertEquals("Рома", message.stream());
        assertEquals("{\"k\":\"Σ 😀\"}", data(line, message));
    }

    @Test
    void scanOnlyReadsTheGivenLength() throws MalformedMessageException {
        byte[] buffer = utf8("{\"type\":\"LOG\"}{\"garbage\"");
        ScannedMessage message = scanner.scan(buffer, "{\"type\":\"LOG\"}".length());
        assertEquals("LOG", message.type());
    }

    @Test
    void blankLineIsBlank() throws MalformedMessageException {
        assertTrue(scan("").isBlank());
        assertTrue(scan("   ").isBlank());
        assertTrue(scan(" \t\r ").isBlank());
        assertFalse(scan("").isRecord());
        assertNull(scan("").type());
    }

    @Test
    void logAndStateLinesAreNotRecords() throws MalformedMessageException {
        ScannedMessage log = scan("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}");
        assertFalse(log.isRecord());
        assertFalse(log.isBlank());
        assertEquals("LOG", log.type());
        ScannedMessage state = scan("{\"state\":{\"data\":{\"cursor\":1}},\"type\":\"STATE\"}");
        assertFalse(state.isRecord());
        assertEquals("STATE", state.type());
    }

    @Test
    void otherMessageTypesNeedNoRecord() throws MalformedMessageException {
        for (String type : List.of("TRACE", "CONTROL", "SPEC", "CATALOG", "CONNECTION_STATUS", "SOMETHING_NEW")) {
            ScannedMessage message = scan("{\"type\":\"" + type + "\",\"record\":[]}");
            assertEquals(type, message.type());
            assertFalse(message.isRecord());
        }
    }

    @Test
    void typeIsCaseSensitive() throws MalformedMessageException {
        assertFalse(scan("{\"type\":\"record\"}").isRecord());
    }

    @Test
    void nullNamespaceAndMissingNamespaceAreBothNull() throws MalformedMessageException {
        ScannedMessage message = scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"namespace\":null,\"data\":{},\"emitted_at\":1}}");
        assertNull(message.namespace());
        message = scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{},\"emitted_at\":1}}");
        assertNull(message.namespace());
        message = scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"namespace\":\"\",\"data\":{},\"emitted_at\":1}}");
        assertEquals("", message.namespace());
    }

    @Test
    void missingEmittedAtIsNull() throws MalformedMessageException {
        assertNull(scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{}}}").emittedAt());
        assertNull(scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{},\"emitted_at\":null}}").emittedAt());
    }

    @Test
    void emittedAtKeepsItsNumberText() throws MalformedMessageException {
        assertEquals("1.6297586039375E12",
                scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{},\"emitted_at\":1.6297586039375E12}}").emittedAt());
    }

    @Test
    void resultIsResetBetweenLines() throws MalformedMessageException {
        scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"namespace\":\"n\",\"data\":{},\"emitted_at\":1}}");
        ScannedMessage message = scan("{\"type\":\"RECORD\",\"record\":{\"stream\":\"t\",\"data\":{}}}");
        assertEquals("t", message.stream());
        assertNull(message.namespace());
        assertNull(message.emittedAt());
        assertTrue(scan("").isBlank());
    }

    @Test
    void scannerKeepsWorkingAfterAnError() throws MalformedMessageException {
        refused("{\"type\":");
        assertEquals("LOG", scan("{\"type\":\"LOG\"}").type());
    }

    @Test
    void textThatIsNotJsonIsRefused() {
        assertRefused("hello world", "invalid JSON");
        assertRefused("{\"type\":\"LOG\"", "invalid JSON");
        assertRefused("{'type':'LOG'}", "invalid JSON");
        assertRefused("{\"type\":\"LOG\",}", "invalid JSON");
    }

    @Test
    void jsonArrayIsRefused() {
        assertRefused("[{\"type\":\"LOG\"}]", "not a JSON object (starts with an array)");
    }

    @Test
    void jsonStringOrNumberIsRefused() {
        assertRefused("\"RECORD\"", "not a JSON object (starts with a string)");
        assertRefused("42", "not a JSON object (starts with a number)");
        assertRefused("null", "not a JSON object (starts with null)");
    }

    @Test
    void trailingGarbageAfterTheObjectIsRefused() {
        assertRefused("{\"type\":\"LOG\"} x", "invalid JSON at column 16");
        assertRefused("{\"type\":\"LOG\"}}", "invalid JSON");
        assertRefused("{\"type\":\"LOG\"} {\"type\":\"LOG\"}", "unexpected content after the JSON object");
        assertRefused("{\"type\":\"LOG\"}[]", "unexpected content after the JSON object");
    }

    @Test
    void missingTypeIsRefused() {
        assertRefused("{\"record\":{\"stream\":\"s\",\"data\":{}}}", "no \"type\"");
        assertRefused("{}", "no \"type\"");
    }

    @Test
    void typeThatIsNotAStringIsRefused() {
        assertRefused("{\"type\":null}", "\"type\" must be a string, got null");
        assertRefused("{\"type\":{\"RECORD\":1}}", "\"type\" must be a string, got an object");
        assertRefused("{\"type\":true}", "\"type\" must be a string, got a boolean");
        assertRefused("{\"type\":false}", "\"type\" must be a string, got a boolean");
    }

    @Test
    void recordMessageWithoutRecordIsRefused() {
        assertRefused("{\"type\":\"RECORD\"}", "RECORD message has no \"record\"");
        assertRefused("{\"type\":\"RECORD\",\"log\":{}}", "RECORD message has no \"record\"");
    }

    @Test
    void recordThatIsNotAnObjectIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":[{\"stream\":\"s\",\"data\":{}}]}", "\"record\" must be an object, got an array");
        assertRefused("{\"type\":\"RECORD\",\"record\":\"s\"}", "\"record\" must be an object, got a string");
        assertRefused("{\"record\":null,\"type\":\"RECORD\"}", "\"record\" must be an object, got null");
    }

    @Test
    void recordWithoutStreamIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"data\":{},\"emitted_at\":1}}", "record has no \"stream\"");
    }

    @Test
    void recordWithoutDataIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"emitted_at\":1}}", "record has no \"data\"");
    }

    @Test
    void dataThatIsNotAnObjectIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":[1]}}", "record.data must be an object, got an array");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":\"{}\"}}", "record.data must be an object, got a string");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":null}}", "record.data must be an object, got null");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":3}}", "record.data must be an object, got a number");
    }

    @Test
    void streamThatIsNotANonEmptyStringIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":1,\"data\":{}}}", "record.stream must be a non-empty string, got a number");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":null,\"data\":{}}}", "record.stream must be a non-empty string, got null");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":{\"name\":\"s\"},\"data\":{}}}", "record.stream must be a non-empty string, got an object");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"\",\"data\":{}}}", "record.stream must be a non-empty string, got a string");
    }

    @Test
    void namespaceThatIsNotAStringIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"namespace\":1,\"data\":{}}}", "record.namespace must be a string or null");
    }

    @Test
    void emittedAtThatIsNotANumberIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{},\"emitted_at\":\"2021-08-24\"}}",
                "record.emitted_at must be a number, got a string");
    }

    @Test
    void problemsOfNonRecordMessagesAreIgnored() throws MalformedMessageException {
        assertEquals("LOG", scan("{\"type\":\"LOG\",\"record\":{\"stream\":1,\"data\":[]}}").type());
    }

    @Test
    void invalidJsonInsideDataIsRefused() {
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":\"x\u0001\"}}}", "invalid JSON");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":NaN}}}", "invalid JSON");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":01}}}", "invalid JSON");
        assertRefused("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":\"\\x\"}}}", "invalid JSON");
    }

    @Test
    void invalidUtf8IsRefused() {
        byte[] line = utf8("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":\"XX\"}}}");
        int x = new String(line, StandardCharsets.ISO_8859_1).indexOf("XX");
        line[x] = (byte) 0xC3;
        line[x + 1] = (byte) 0x28;
        assertThrows(MalformedMessageException.class, () -> scanner.scan(line, line.length));
    }

    @Test
    void errorMessagesDoNotQuoteTheLine() {
        // A bare word in the data may be anything, a password included: the error says where, not what.
        MalformedMessageException e = refused(
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"password\":hunter2sekrit}}}");
        assertTrue(e.getMessage().contains("invalid JSON at column"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertFalse(e.getMessage().contains("sekrit"), e.getMessage());
    }

    @Test
    void hugeNumberInDataIsAccepted() throws MalformedMessageException {
        String digits = "9".repeat(400);
        String line = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"n\":" + digits + ",\"f\":-"
                + digits + "." + digits + "e-400},\"emitted_at\":1}}";
        ScannedMessage message = scan(line);
        assertEquals("{\"n\":" + digits + ",\"f\":-" + digits + "." + digits + "e-400}", data(line, message));
    }

    @Test
    void hugeStringInDataIsAccepted() throws MalformedMessageException {
        String big = "x".repeat(3 * 1024 * 1024);
        String line = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"" + big + "\":\"" + big + "\"}}}";
        ScannedMessage message = scan(line);
        assertEquals(2 * big.length() + 7, message.dataEnd() - message.dataStart());
    }

    @Test
    void veryDeepNestingInDataIsAccepted() throws MalformedMessageException {
        int depth = 5000;
        String nested = "{\"a\":".repeat(depth) + "[".repeat(depth) + "1" + "]".repeat(depth) + "}".repeat(depth);
        String line = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":" + nested + ",\"emitted_at\":1}}";
        ScannedMessage message = scan(line);
        assertTrue(message.isRecord());
        assertEquals(nested, data(line, message));
    }

    @Test
    void byteOrderMarkBeforeTheObjectIsAccepted() throws MalformedMessageException {
        String line = "\uFEFF{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":1}}}";
        ScannedMessage message = scan(line);
        assertTrue(message.isRecord());
        assertEquals("{\"a\":1}", data(line, message));
    }

    @Test
    void everyCorpusLineIsScanned() throws IOException {
        Map<String, Long> recordsByFile = new TreeMap<>();
        assertEquals(6, Corpus.messageFiles().size(), "corpus message files");
        for (Path file : Corpus.messageFiles()) {
            long records = 0;
            int lineNumber = 0;
            for (byte[] line : Corpus.lines(Files.readAllBytes(file))) {
                lineNumber++;
                ScannedMessage message;
                try {
                    message = scanner.scan(line, line.length);
                } catch (MalformedMessageException e) {
                    throw new AssertionError(file.getFileName() + " line " + lineNumber + ": " + e.getMessage(), e);
                }
                assertFalse(message.isBlank(), file.getFileName() + " line " + lineNumber);
                if (message.isRecord()) {
                    records++;
                    assertTrue(message.dataStart() >= 0 && message.dataEnd() > message.dataStart());
                    assertEquals('{', line[message.dataStart()]);
                    assertEquals('}', line[message.dataEnd() - 1]);
                }
            }
            recordsByFile.put(file.getFileName().toString(), records);
        }
        Map<String, Long> expected = new TreeMap<>();
        expected.put("messages__faros__bitbucket_all-streams.log", 71L);
        expected.put("messages__faros__github_pg-raw_namespace_public.log", 111L);
        expected.put("messages__faros__jira_all-streams.log", 151L);
        expected.put("messages__faros__octopus_all-streams.log", 12L);
        expected.put("messages__faros__phabricator_all-streams.log", 24L);
        expected.put("messages__faros_local_cli__test_src_input.jsonl", 0L);
        assertEquals(expected, recordsByFile);
    }

    @Test
    void corpusRecordsOfTheGithubFileHaveNamespacePublic() throws IOException, MalformedMessageException {
        Path file = Corpus.file("messages__faros__github_pg-raw_namespace_public.log");
        for (byte[] line : Corpus.lines(Files.readAllBytes(file))) {
            ScannedMessage message = scanner.scan(line, line.length);
            if (message.isRecord()) {
                assertEquals("public", message.namespace());
                assertTrue(message.stream().startsWith("_airbyte_raw_mytestsource__github__"), message.stream());
            }
        }
    }

    @Test
    void aTraceErrorGivesItsTypeAndMessage() throws MalformedMessageException {
        ScannedMessage message = scan("{\"type\":\"TRACE\",\"trace\":{\"type\":\"ERROR\",\"emitted_at\":1.0,"
                + "\"error\":{\"failure_type\":\"system_error\",\"message\":\"source crashed\",\"stack_trace\":\"x\"}}}");
        assertEquals("TRACE", message.type());
        assertEquals("ERROR", message.traceType());
        assertEquals("source crashed", message.traceErrorMessage());
    }

    @Test
    void traceFieldsOfTheWrongKindAreSkippedAndTheLineStillReadToItsEnd() throws MalformedMessageException {
        // Whatever a trace holds, only a string type and a string error.message are taken; the
        // rest of the line must still be read, so the record-less TRACE is not refused.
        ScannedMessage message = scan("{\"type\":\"TRACE\",\"trace\":{\"type\":{\"a\":[1]},\"error\":[\"message\"],"
                + "\"stream_status\":\"x\"},\"after\":1}");
        assertEquals("TRACE", message.type());
        assertNull(message.traceType());
        assertNull(message.traceErrorMessage());

        message = scan("{\"type\":\"TRACE\",\"trace\":{\"error\":{\"message\":{\"text\":\"no\"},\"failure_type\":\"x\"}},\"after\":1}");
        assertNull(message.traceErrorMessage());
        assertNull(message.traceType());

        message = scan("{\"type\":\"TRACE\",\"trace\":[{\"type\":\"ERROR\"}],\"after\":{\"type\":\"x\"}}");
        assertEquals("TRACE", message.type());
        assertNull(message.traceType());

        message = scan("{\"type\":\"TRACE\",\"trace\":{\"kind\":\"ERROR\",\"error\":{\"internal_message\":\"internal\"}}}");
        assertNull(message.traceType());
        assertNull(message.traceErrorMessage());
    }

    @Test
    void aStreamStateGivesItsStreamsNameAndNamespace() throws MalformedMessageException {
        ScannedMessage message = scan("{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":"
                + "{\"name\":\"users\",\"namespace\":\"public\"},\"stream_state\":{\"namespace\":\"no\"}}}}");
        assertEquals("STREAM", message.stateType());
        assertEquals("users", message.stateStreamName());
        assertEquals("public", message.stateStreamNamespace());
    }

    @Test
    void aStreamDescriptorsOtherOrNonStringFieldsAreNotItsNamespace() throws MalformedMessageException {
        ScannedMessage message = scan("{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":"
                + "{\"name\":\"users\",\"alias\":\"other\",\"namespace\":null}}}}");
        assertEquals("users", message.stateStreamName());
        assertNull(message.stateStreamNamespace());

        message = scan("{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":"
                + "{\"namespace\":{\"name\":\"x\"},\"name\":\"users\"}}},\"after\":1}");
        assertEquals("users", message.stateStreamName());
        assertNull(message.stateStreamNamespace());
    }

    @Test
    void aTopLevelStringThatIsNotValidJsonIsRefusedAsNotJson() {
        // The string is read to its end first: a bad escape inside it is a JSON error, not "not an object".
        assertRefused("\"a\\qb\"", "invalid JSON");
        assertRefused("\"abc", "invalid JSON");
    }
}
