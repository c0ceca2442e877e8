package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.airbyte.FieldPath;
import org.junit.jupiter.api.Test;

class PartitionKeyReaderTest {
    private final PartitionKeyReader reader = new PartitionKeyReader();

    /** The key of {@code data}, read from inside a line as the enveloper reads it. */
    private String key(String data, String... pointers) {
        byte[] line = ("{\"data\":" + data + "}").getBytes(StandardCharsets.UTF_8);
        int start = "{\"data\":".length();
        List<FieldPath> fields = new ArrayList<>();
        for (String pointer : pointers) {
            fields.add(FieldPath.parsePointer(pointer));
        }
        return reader.read(line, start, line.length - 1, fields);
    }

    @Test
    void theKeyIsTheJsonTextOfTheValueSoDifferentJsonIsADifferentKey() {
        assertEquals("1", key("{\"id\":1}", "/id"));
        assertEquals("1.0", key("{\"id\":1.0}", "/id"));
        assertEquals("\"1\"", key("{\"id\":\"1\"}", "/id"));
        assertEquals("1E+3", key("{\"id\":1E+3}", "/id"));
        assertEquals("-0", key("{\"id\":-0}", "/id"));
        assertEquals("true", key("{\"id\":true}", "/id"));
        assertEquals("10000000000000000000000.1234", key("{\"id\": 10000000000000000000000.1234 }", "/id"),
                "numbers keep their literal, however large");
    }

    @Test
    void stringsAreWrittenWithTheFewestEscapesSoOneStringIsOneKey() {
        assertEquals("\"é\"", key("{\"id\":\"\\u00e9\"}", "/id"));
        assertEquals("\"é\"", key("{\"id\":\"é\"}", "/id"));
        assertEquals("\"a/b\"", key("{\"id\":\"a\\/b\"}", "/id"));
        assertEquals("\"q\\\"b\\\\\\n\"", key("{\"id\":\"q\\\"b\\\\\\u000a\"}", "/id"), "quote, backslash, newline stay escaped");
        assertEquals("\"日本😀\"", key("{\"id\":\"\\u65e5本\\ud83d\\ude00\"}", "/id"));
    }

    @Test
    void nestedFieldsAndFieldNamesWithSlashesAreFound() {
        assertEquals("\"C-7\"", key("{\"a\":[1,{\"id\":2}],\"customer\":{\"name\":\"x\",\"id\":\"C-7\"}}", "/customer/id"));
        assertEquals("5", key("{\"a/b\":{\"c~d\":5}}", "/a~1b/c~0d"));
        assertEquals("7", key("{\"x\":{\"deep\":{\"er\":[{\"id\":1}]}},\"id\":7}", "/id"), "a same-named field deeper down is not it");
    }

    @Test
    void aCompositeKeyIsTheJsonArrayOfItsValues() {
        assertEquals("[42,\"eu\"]", key("{\"region\":\"eu\",\"id\":42}", "/id", "/region"));
        assertNotEquals(key("{\"a\":\"1,2\",\"b\":\"3\"}", "/a", "/b"), key("{\"a\":\"1\",\"b\":\"2,3\"}", "/a", "/b"));
    }

    @Test
    void aMissingNullOrStructuredValueGivesNoKeyAndSaysWhy() {
        assertNull(key("{\"other\":1}", "/id"));
        assertEquals("the field /id is missing", reader.problem());
        assertNull(key("{\"id\":null}", "/id"));
        assertEquals("the field /id is null", reader.problem());
        assertNull(key("{\"id\":{\"a\":1}}", "/id"));
        assertEquals("the field /id is an object", reader.problem());
        assertNull(key("{\"id\":[1]}", "/id"));
        assertEquals("the field /id is an array", reader.problem());
        assertNull(key("{\"customer\":\"C-7\"}", "/customer/id"), "a path through a value that is not an object");
        assertEquals("the field /customer/id is missing", reader.problem());
        assertNull(key("{\"customer\":{\"id\":null}}", "/customer/id"));
        assertEquals("the field /customer/id is null", reader.problem());
        assertNull(key("{\"id\":42}", "/id", "/region"), "one part of a composite key missing");
        assertEquals("the field /region is missing", reader.problem());
        assertEquals("42", key("{\"id\":42}", "/id"));
        assertNull(reader.problem(), "a key read leaves no problem behind");
    }

    @Test
    void whenAMemberComesTwiceTheLastOneCountsAsJsonReadersTakeIt() {
        assertEquals("2", key("{\"id\":1,\"id\":2}", "/id"));
        assertNull(key("{\"id\":1,\"id\":null}", "/id"));
        assertEquals("\"b\"", key("{\"c\":{\"id\":\"a\"},\"c\":{\"id\":\"b\"}}", "/c/id"));
        assertNull(key("{\"c\":{\"id\":\"a\"},\"c\":{}}", "/c/id"));
    }

    @Test
    void aKeyOverTwoHundredFiftySixCharactersBecomesItsStableDigest() {
        String limit = "\"" + "x".repeat(254) + "\"";
        assertEquals(limit, key("{\"id\":" + limit + "}", "/id"), "256 characters with the quotes: kept");
        String emoji = "😀".repeat(254);
        assertEquals("\"" + emoji + "\"", key("{\"id\":\"" + emoji + "\"}", "/id"), "characters are code points, not UTF-16 units");

        String longer = key("{\"id\":\"" + "x".repeat(255) + "\"}", "/id");
        assertTrue(longer.matches("sha256:[0-9a-f]{64}"), longer);
        assertEquals(71, longer.length());
        assertEquals(reader.digest("\"" + "x".repeat(255) + "\""), longer, "the digest of the key's text");
        byte[] data = ("{\"id\":\"" + "x".repeat(255) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals(longer, new PartitionKeyReader().read(data, 0, data.length, List.of(FieldPath.parsePointer("/id"))),
                "the same in another reader (run)");
        assertNotEquals(longer, key("{\"id\":\"" + "x".repeat(254) + "y\"}", "/id"));
        // A known SHA-256: of the three characters "abc" (quotes included in the key text).
        assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", reader.digest("abc"));
    }
}
