package org.airbytekinesis.flink.envelope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.airbytekinesis.flink.airbyte.AirbyteMessageScanner;
import org.airbytekinesis.flink.airbyte.FieldPath;

/**
 * Reads a record's partition key from the raw text of its {@code data}, the way the envelope
 * takes the data: no tree, no number conversion.
 *
 * <p>The key is the JSON text of the field's value, so values that are different JSON are
 * different keys: {@code 1}, {@code 1.0} and {@code "1"} (a string keeps its quotes). Numbers keep
 * their literal as written; strings are written again with the fewest escapes, so {@code "\u00e9"}
 * and {@code "é"}, the same string, are the same key; {@code true} and {@code false} are
 * themselves. A key of several fields is the JSON array of their values, {@code [42,"eu"]},
 * which no other combination of values writes. A field that is missing, {@code null}, an object
 * or an array (in any part of a composite key) leaves the record without a key
 * ({@link #problem()} says which). When an object has a member twice, the last one counts, as
 * most JSON readers take it.
 *
 * <p>Kinesis takes keys of at most 256 characters: a longer key is replaced by
 * {@code sha256:} and the hex SHA-256 of its UTF-8 bytes (71 characters), the same for the same
 * value in every run.
 */
public final class PartitionKeyReader {
    /** Kinesis's limit, in Unicode characters. */
    public static final int MAX_KEY_CHARACTERS = 256;

    private static final JsonFactory JSON = AirbyteMessageScanner.newJsonFactory();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder text = new StringBuilder();
    private String problem;
    private final MessageDigest sha256;

    public PartitionKeyReader() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * The key of the record whose data (a JSON object) is {@code bytes[start, end)}, or null when
     * the record has none ({@link #problem()} says why).
     */
    public String read(byte[] bytes, int start, int end, List<FieldPath> fields) {
        text.setLength(0);
        problem = null;
        boolean composite = fields.size() > 1;
        if (composite) {
            text.append('[');
        }
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            if (!appendValue(bytes, start, end, fields.get(i))) {
                return null;
            }
        }
        if (composite) {
            text.append(']');
        }
        String key = text.toString();
        return key.codePointCount(0, key.length()) <= MAX_KEY_CHARACTERS ? key : digest(key);
    }

    /** Why the last {@link #read} found no key: the field and what it is instead of a value. */
    public String problem() {
        return problem;
    }

    /** {@code sha256:} and the hex SHA-256 of the key's UTF-8 bytes. */
    String digest(String key) {
        byte[] hash = sha256.digest(key.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder("sha256:".length() + 2 * hash.length).append("sha256:");
        for (byte b : hash) {
            hex.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
        return hex.toString();
    }

    private boolean appendValue(byte[] bytes, int start, int end, FieldPath field) {
        try (JsonParser parser = JSON.createParser(bytes, start, end - start)) {
            String found = parser.nextToken() == JsonToken.START_OBJECT ? find(parser, field.keys(), 0) : "missing";
            if (found == null) {
                return true;
            }
            problem = "the field " + field + " is " + found;
            return false;
        } catch (IOException e) {
            // The scanner has read this data as JSON before: this cannot happen.
            throw new IllegalStateException("the record's data could not be read again", e);
        }
    }

    /**
     * Reads the object the parser is at to its end and appends the value at {@code keys[depth..]}
     * (of the last member with that name). Returns null when it did, or, with nothing appended,
     * what is there instead of a value: "missing", "null", "an object", "an array".
     */
    private String find(JsonParser parser, List<String> keys, int depth) throws IOException {
        String wanted = keys.get(depth);
        boolean last = depth == keys.size() - 1;
        int mark = text.length();
        String missing = "missing";
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            boolean match = wanted.equals(parser.currentName());
            JsonToken value = parser.nextToken();
            if (!match) {
                parser.skipChildren();
                continue;
            }
            text.setLength(mark); // a later member of the same name replaces an earlier one
            if (value == JsonToken.START_OBJECT && !last) {
                missing = find(parser, keys, depth + 1);
            } else if (!last || value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                missing = !last ? "missing" : value == JsonToken.START_OBJECT ? "an object" : "an array";
                parser.skipChildren();
            } else if (value == JsonToken.VALUE_NULL) {
                missing = "null";
            } else if (value == JsonToken.VALUE_STRING) {
                appendString(parser.getText());
                missing = null;
            } else {
                text.append(parser.getText()); // a number's literal as written, true, false
                missing = null;
            }
        }
        if (missing != null) {
            text.setLength(mark);
        }
        return missing;
    }

    private void appendString(String value) {
        text.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, text);
        text.append('"');
    }
}
