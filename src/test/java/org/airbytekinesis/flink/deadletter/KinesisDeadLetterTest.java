package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.junit.jupiter.api.Test;

/**
 * Dead letters as Kinesis records: whole when they fit, cut when not, and never over the limit
 * (JSON plus partition key in UTF-8 bytes). Every cut record is checked against the line it came
 * from: size, SHA-256, a byte-exact prefix at a character boundary, and that the next character
 * would not have fitted.
 */
class KinesisDeadLetterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FAILED_AT = "2025-01-02T03:04:05.678901Z";
    private static final int MIN_LIMIT = 1024;
    /** A message that quotes a stream name, with escapes and two-byte characters, ending in ASCII. */
    private static final String CATALOG_MESSAGE = "stream \"" + "\u0001\u00e9".repeat(3) + "\" is not in the catalog";

    @Test
    void aDeadLetterThatFitsIsTheSameJsonAsInAFileKeyedBySourceAndLine() throws Exception {
        DeadLetter deadLetter = deadLetter("/data/in.jsonl", 12, "# a comment".getBytes(StandardCharsets.UTF_8));
        KinesisEnvelope record = KinesisDeadLetter.envelope("dead_letters", deadLetter, MIN_LIMIT, FAILED_AT);
        assertEquals("dead_letters", record.kinesisStream);
        assertEquals("/data/in.jsonl:12", record.partitionKey);
        assertArrayEquals(DeadLetterJson.toJsonLine(deadLetter, FAILED_AT), record.payload);
        JsonNode json = JSON.readTree(record.payload);
        assertEquals("# a comment", json.get("original").textValue());
        assertFalse(json.has("original_truncated") || json.has("original_bytes") || json.has("original_sha256"),
                "a whole dead letter has the shape of a file's: " + json);
    }

    @Test
    void aDeadLetterExactlyAtTheLimitIsWholeAndOneByteBelowItIsCut() throws Exception {
        DeadLetter deadLetter = deadLetter("/data/in.jsonl", 3, ascii(700));
        int size = DeadLetterJson.toJsonLine(deadLetter, FAILED_AT).length + "/data/in.jsonl:3".length();

        for (int limit : new int[] {size, size + 1}) {
            KinesisEnvelope record = KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT);
            assertArrayEquals(DeadLetterJson.toJsonLine(deadLetter, FAILED_AT), record.payload, "limit " + limit);
        }
        KinesisEnvelope cut = KinesisDeadLetter.envelope("s", deadLetter, size - 1, FAILED_AT);
        assertTrue(assertRecordOf(deadLetter, cut, size - 1).get("original_truncated").booleanValue());
    }

    @Test
    void aLineOverTheLimitKeepsItsSizeItsSha256AndTheLongestPrefixThatFits() throws Exception {
        byte[] line = ascii(3 * 1024 * 1024);
        int limit = 1024 * 1024;
        DeadLetter deadLetter = deadLetter("/data/huge.jsonl", 2, line);
        deadLetter.reason = DeadLetterReason.RECORD_TOO_LARGE.code();
        KinesisEnvelope record = KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT);
        JsonNode json = assertRecordOf(deadLetter, record, limit);
        assertEquals("record_too_large", json.get("reason").asText());
        assertEquals(line.length, json.get("original_bytes").longValue());
        assertEquals(sha256(line), json.get("original_sha256").asText());
        // ASCII without escapes costs 1 byte of text and 4/3 bytes of base64: about 3/7 of the limit.
        int prefix = Base64.getDecoder().decode(json.get("original_base64").asText()).length;
        assertTrue(prefix > limit * 3 / 7 - 1024, "prefix of " + prefix + " bytes");
    }

    @Test
    void multiByteTextIsCutAtACharacterBoundaryWhateverTheLimit() throws Exception {
        byte[] line = repeat("aé€😀", 4000);
        DeadLetter deadLetter = deadLetter("/data/text.jsonl", 5, line);
        for (int limit = MIN_LIMIT; limit < MIN_LIMIT + 300; limit++) {
            assertRecordOf(deadLetter, KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT), limit);
        }
    }

    @Test
    void escapesThatInflateTheJsonAreCountedInFull() throws Exception {
        byte[] line = repeat("\u0001\"\\\n\t\u001f\u2028x", 3000);
        DeadLetter deadLetter = deadLetter("/data/escapes.jsonl", 6, line);
        for (int limit = MIN_LIMIT; limit < MIN_LIMIT + 300; limit++) {
            assertRecordOf(deadLetter, KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT), limit);
        }
    }

    @Test
    void aLineThatIsNotUtf8IsCutAtAnyByteAndShowsNoText() throws Exception {
        byte[] line = repeat("é", 2000);
        line[1] = (byte) 0xFF;
        DeadLetter deadLetter = deadLetter("/data/bytes.dat", 7, line);
        deadLetter.reason = DeadLetterReason.INVALID_UTF8.code();
        boolean oddPrefixSeen = false;
        for (int limit = MIN_LIMIT; limit < MIN_LIMIT + 100; limit++) {
            JsonNode json = assertRecordOf(deadLetter, KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT), limit);
            assertTrue(json.get("original").isNull());
            oddPrefixSeen |= Base64.getDecoder().decode(json.get("original_base64").asText()).length % 2 == 1;
        }
        assertTrue(oddPrefixSeen, "some prefixes end inside a two-byte character: bytes are not cut as text");
    }

    @Test
    void thePartitionKeyKeepsTheLast256CodePointsWithoutSplittingAPairAndCountsInUtf8Bytes() throws Exception {
        String source = "/data/" + "😀".repeat(300) + "é.jsonl";
        DeadLetter deadLetter = deadLetter(source, 42, ascii(200));
        String key = KinesisDeadLetter.partitionKey(deadLetter);
        assertEquals(256, key.codePointCount(0, key.length()));
        assertTrue(key.endsWith("😀é.jsonl:42"), key);
        assertTrue(Character.isHighSurrogate(key.charAt(0)), "starts with a whole 😀");
        assertEquals(key, (source + ":42").substring((source + ":42").length() - key.length()));
        assertTrue(key.getBytes(StandardCharsets.UTF_8).length > 900, "4-byte characters: more bytes than chars");

        // The key's bytes count: records near the limit are cut, never over it.
        int whole = DeadLetterJson.toJsonLine(deadLetter, FAILED_AT).length + key.getBytes(StandardCharsets.UTF_8).length;
        for (int limit = whole - 600; limit <= whole; limit += 7) {
            assertRecordOf(deadLetter, KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT), limit);
        }
    }

    @Test
    void aMessageOrSourceTooLargeForTheRecordIsCutTooWithAMark() throws Exception {
        String stream = "é".repeat(5000);
        DeadLetter deadLetter = deadLetter("/data/" + "d/".repeat(3000) + "in.jsonl", 9, ascii(100));
        deadLetter.message = "stream \"" + stream + "\" is not in the catalog";
        KinesisEnvelope record = KinesisDeadLetter.envelope("s", deadLetter, MIN_LIMIT, FAILED_AT);
        JsonNode json = assertRecordOf(deadLetter, record, MIN_LIMIT);
        String message = json.get("message").textValue();
        String source = json.get("source").textValue();
        assertTrue(message.endsWith("…") && deadLetter.message.startsWith(message.substring(0, message.length() - 1)), message);
        assertTrue(source.isEmpty() || source.startsWith("…") && deadLetter.source.endsWith(source.substring(1)), source);
        assertEquals(9, json.get("line").longValue());
    }

    @Test
    void randomLinesSourcesAndLimitsAlwaysGiveAValidRecordWithinTheLimit() throws Exception {
        Random random = new Random(20250102);
        for (int i = 0; i < 400; i++) {
            DeadLetter deadLetter = deadLetter(randomText(random, 1 + random.nextInt(400)), random.nextInt(1_000_000),
                    random.nextBoolean() ? randomText(random, random.nextInt(4000)).getBytes(StandardCharsets.UTF_8)
                            : randomBytes(random, random.nextInt(6000)));
            deadLetter.message = randomText(random, random.nextInt(random.nextInt(10) == 0 ? 3000 : 100));
            int limit = MIN_LIMIT + random.nextInt(4000);
            assertRecordOf(deadLetter, KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT), limit);
        }
    }

    /**
     * At every limit from one too small for any dead letter up to one that keeps all fields, for
     * a source longer than 256 code points: the message is fitted beside its end.
     */
    @Test
    void besideALongSourceMessageSourceAndKeyAreCutOnlyAsFarAsNeededAtEveryLimit() throws Exception {
        scanLimits(withMessage(deadLetter("/data/" + "d/".repeat(150) + "in.jsonl", 9, ascii(100)), CATALOG_MESSAGE));
    }

    /** A source of exactly 256 code points is its own end: no mark, and the message fitted beside all of it. */
    @Test
    void besideASourceOfExactly256CodePointsMessageSourceAndKeyAreCutOnlyAsFarAsNeededAtEveryLimit() throws Exception {
        scanLimits(withMessage(deadLetter("/" + "s".repeat(255), 9, ascii(100)), CATALOG_MESSAGE));
    }

    /**
     * A source of 257 code points whose end with the mark is longer than itself: the fields are
     * cut only when they do not fit whole.
     */
    @Test
    void besideASourceOf257CodePointsMessageSourceAndKeyAreCutOnlyAsFarAsNeededAtEveryLimit() throws Exception {
        scanLimits(withMessage(deadLetter("/data/" + "d".repeat(242) + "/in.jsonl", 9, ascii(100)), CATALOG_MESSAGE));
    }

    /** Escapes of 6 bytes: a cut message can leave room for the one byte of the line, which is still left out. */
    @Test
    void aOneByteLineBesideACutMessageIsNeverKeptWhole() throws Exception {
        scanLimits(withMessage(deadLetter("/data/in.jsonl", 12345, "x".getBytes(StandardCharsets.UTF_8)), "\u0001".repeat(40)));
    }

    @Test
    void aLimitTooSmallForAnEmptyDeadLetterIsRefusedNamingTheLimit() {
        DeadLetter deadLetter = deadLetter("/data/in.jsonl", 1, ascii(10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KinesisDeadLetter.envelope("s", deadLetter, 100, FAILED_AT));
        assertTrue(e.getMessage().contains("maxRecordSizeBytes 100"), e.getMessage());
    }

    /**
     * Envelopes at each limit from too small to the first that keeps message, source and key
     * whole: each a valid record cut only as far as needed; a limit too small for even an empty
     * dead letter is refused by name; the smallest that works keeps a one-character key and
     * nothing of message and source.
     */
    private static void scanLimits(DeadLetter deadLetter) throws Exception {
        int whole = DeadLetterJson.toJsonLine(deadLetter, FAILED_AT).length
                + KinesisDeadLetter.partitionKey(deadLetter).getBytes(StandardCharsets.UTF_8).length;
        boolean fitted = false;
        for (int limit = 200; limit <= whole; limit++) {
            KinesisEnvelope record;
            try {
                record = KinesisDeadLetter.envelope("s", deadLetter, limit, FAILED_AT);
            } catch (IllegalArgumentException e) {
                assertFalse(fitted, "limit " + limit + " refused, a smaller one was not");
                assertTrue(e.getMessage().contains("maxRecordSizeBytes " + limit), e.getMessage());
                continue;
            }
            JsonNode json = assertRecordOf(deadLetter, record, limit);
            if (!fitted) {
                assertEquals(1, record.partitionKey.codePointCount(0, record.partitionKey.length()), "limit " + limit);
                assertEquals("", json.get("message").textValue());
                assertEquals("", json.get("source").textValue());
                fitted = true;
            }
            assertFieldsCutOnlyAsFarAsNeeded(deadLetter, record, limit);
            if (deadLetter.message.equals(json.get("message").textValue()) && deadLetter.source.equals(json.get("source").textValue())
                    && record.partitionKey.equals(KinesisDeadLetter.partitionKey(deadLetter))) {
                return; // from here on only the line's prefix grows
            }
        }
        fail("no limit up to the whole dead letter kept its fields whole");
    }

    /**
     * The fields are fitted before any of the line: the message is kept whole if it fits beside
     * the source's last 256 code points, else its longest start that does (with the mark); the
     * source whole if it fits beside that message, else its longest end; the key likewise. So one
     * more code point of whatever was cut would not have fitted.
     */
    private static void assertFieldsCutOnlyAsFarAsNeeded(DeadLetter deadLetter, KinesisEnvelope record, int limit)
            throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(record.payload);
        if (!json.has("original_truncated")) {
            return;
        }
        String where = "limit " + limit;
        String wholeMessage = deadLetter.message;
        String wholeSource = deadLetter.source;
        String wholeKey = lastCodePoints(wholeSource + ":" + deadLetter.lineNumber, 256);
        String sourceEnd = codePoints(wholeSource) > 256 ? "\u2026" + lastCodePoints(wholeSource, 256) : wholeSource;

        String message = json.get("message").textValue();
        String source = json.get("source").textValue();
        String key = record.partitionKey;
        if (!message.equals(wholeMessage) || !source.equals(wholeSource) || !key.equals(wholeKey)) {
            assertTrue(sizeWithoutLine(json, wholeMessage, wholeSource, wholeKey) > limit, where + ": all fields fit whole");
        }
        if (!message.equals(wholeMessage)) {
            assertTrue(sizeWithoutLine(json, wholeMessage, sourceEnd, wholeKey) > limit, where + ": the whole message fits");
            int kept = message.isEmpty() ? -1 : codePoints(message) - 1;
            if (kept >= 0) {
                assertTrue(message.endsWith("\u2026") && wholeMessage.startsWith(message.substring(0, message.length() - 1)),
                        where + ": " + message);
            }
            if (kept + 1 < codePoints(wholeMessage)) {
                String more = firstCodePoints(wholeMessage, kept + 1) + "\u2026";
                assertTrue(sizeWithoutLine(json, more, sourceEnd, wholeKey) > limit, where + ": " + more + " fits");
            }
        }
        if (!source.equals(wholeSource)) {
            assertTrue(sizeWithoutLine(json, message, wholeSource, wholeKey) > limit, where + ": the whole source fits");
            int kept = source.isEmpty() ? -1 : codePoints(source) - 1;
            if (kept >= 0) {
                assertTrue(source.startsWith("\u2026") && wholeSource.endsWith(source.substring(1)), where + ": " + source);
            }
            if (kept + 1 < codePoints(wholeSource)) {
                String more = "\u2026" + lastCodePoints(wholeSource, kept + 1);
                assertTrue(sizeWithoutLine(json, message, more, wholeKey) > limit, where + ": " + more + " fits");
            }
        }
        if (!key.equals(wholeKey)) {
            assertTrue(wholeKey.endsWith(key), where + ": " + key);
            String more = lastCodePoints(wholeKey, codePoints(key) + 1);
            assertTrue(sizeWithoutLine(json, message, source, more) > limit, where + ": key " + more + " fits");
        }
    }

    /** Bytes of the record with these fields and none of the line. */
    private static int sizeWithoutLine(ObjectNode record, String message, String source, String key) throws Exception {
        ObjectNode json = record.deepCopy();
        json.put("message", message);
        json.put("source", source);
        if (json.get("original").isTextual()) {
            json.put("original", "");
        }
        json.put("original_base64", "");
        return JSON.writeValueAsBytes(json).length + key.getBytes(StandardCharsets.UTF_8).length;
    }

    private static int codePoints(String text) {
        return text.codePointCount(0, text.length());
    }

    private static String firstCodePoints(String text, int count) {
        return text.substring(0, text.offsetByCodePoints(0, count));
    }

    private static String lastCodePoints(String text, int count) {
        return codePoints(text) <= count ? text : text.substring(text.offsetByCodePoints(text.length(), -count));
    }

    private static DeadLetter withMessage(DeadLetter deadLetter, String message) {
        deadLetter.message = message;
        return deadLetter;
    }

    // ------------------------------------------------------------------------------------------

    /** Checks a record against its dead letter and the limit; returns its JSON. */
    private static JsonNode assertRecordOf(DeadLetter deadLetter, KinesisEnvelope record, int limit) throws Exception {
        String key = record.partitionKey;
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        String where = "limit " + limit;
        assertTrue(record.payload.length + keyBytes <= limit,
                where + ": " + record.payload.length + " + " + keyBytes + " bytes of key");
        int keyCodePoints = key.codePointCount(0, key.length());
        assertTrue(keyCodePoints >= 1 && keyCodePoints <= 256, where + ": key of " + keyCodePoints + " code points");
        assertFalse(Character.isLowSurrogate(key.charAt(0)), where + ": key starts inside a pair");

        JsonNode json = JSON.readTree(record.payload);
        byte[] line = deadLetter.original;
        boolean text = isUtf8(line);
        assertEquals(deadLetter.reason, json.get("reason").asText());
        assertEquals(deadLetter.lineNumber, json.get("line").longValue());
        assertEquals(FAILED_AT, json.get("failed_at").asText());
        byte[] kept = Base64.getDecoder().decode(json.get("original_base64").asText());
        if (!json.has("original_truncated")) {
            assertArrayEquals(line, kept, where);
            return json;
        }
        assertTrue(json.get("original_truncated").booleanValue(), where);
        assertEquals(line.length, json.get("original_bytes").longValue(), where);
        assertEquals(sha256(line), json.get("original_sha256").asText(), where);
        assertTrue(kept.length < line.length, where);
        assertArrayEquals(Arrays.copyOf(line, kept.length), kept, where + ": a byte-exact prefix");
        if (text) {
            assertTrue((line[kept.length] & 0xC0) != 0x80, where + ": cut at a character boundary");
            assertEquals(new String(kept, StandardCharsets.UTF_8), json.get("original").textValue(), where);
        } else {
            assertTrue(json.get("original").isNull(), where);
        }
        // The longest prefix: the next character (or byte) would not have fitted; a cut dead
        // letter does not hold the whole line.
        int slack = limit - record.payload.length - keyBytes;
        int next = kept.length + 1;
        while (text && next < line.length && (line[next] & 0xC0) == 0x80) {
            next++;
        }
        if (next == line.length) {
            return json;
        }
        long more = base64Length(next) - base64Length(kept.length)
                + (text ? JSON.writeValueAsBytes(new String(line, kept.length, next - kept.length, StandardCharsets.UTF_8)).length - 2 : 0);
        assertTrue(more > slack, where + ": " + slack + " bytes left, and the next character needs only " + more);
        return json;
    }

    private static long base64Length(int bytes) {
        return Base64.getEncoder().encodeToString(new byte[bytes]).length();
    }

    private static DeadLetter deadLetter(String source, long line, byte[] original) {
        return new DeadLetter(DeadLetterReason.NOT_JSON, "not JSON", source, line, original);
    }

    private static byte[] ascii(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        return bytes;
    }

    private static byte[] repeat(String text, int times) {
        return text.repeat(times).getBytes(StandardCharsets.UTF_8);
    }

    /** Code points of every size, controls, quotes and backslashes among them. */
    private static String randomText(Random random, int codePoints) {
        StringBuilder text = new StringBuilder();
        int[] pool = {'a', 'Z', '0', ' ', '"', '\\', '/', '\n', 0x01, 0x1F, 0x7F, 0xE9, 0x20AC, 0x2028, 0xFFFD, 0x1F600, 0x10FFFF};
        for (int i = 0; i < codePoints; i++) {
            text.appendCodePoint(random.nextInt(3) == 0 ? pool[random.nextInt(pool.length)] : 'a' + random.nextInt(26));
        }
        return text.toString();
    }

    private static byte[] randomBytes(Random random, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return String.format("%064x", new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(bytes)));
    }
}
