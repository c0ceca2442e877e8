package org.airbytekinesis.flink.deadletter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.airbytekinesis.flink.airbyte.Utf8;

/**
 * One dead letter as one JSON line:
 * {@code {"reason":..,"message":..,"source":..,"line":..,"failed_at":..,"original":..,"original_base64":..}}.
 * {@code original_base64} holds the line byte for byte; {@code original} repeats it as text when
 * it is valid UTF-8 (null otherwise), for people reading the file.
 *
 * <p>A cut dead letter (a line too large for a Kinesis record, see {@link KinesisDeadLetter})
 * holds only a prefix of the line in {@code original_base64} (and {@code original}, when the
 * line is UTF-8, cut at a character boundary), and adds {@code original_bytes} (the whole line's
 * size), {@code original_sha256} (hex SHA-256 of the whole line) and
 * {@code "original_truncated": true}. Whole dead letters have none of these three fields.
 */
public final class DeadLetterJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DeadLetterJson() {}

    public static byte[] toJsonLine(DeadLetter deadLetter) {
        return toJsonLine(deadLetter, Instant.now().toString());
    }

    static byte[] toJsonLine(DeadLetter deadLetter, String failedAt) {
        byte[] original = deadLetter.original;
        ObjectNode json = head(deadLetter.reason, deadLetter.message, deadLetter.source, deadLetter.lineNumber, failedAt);
        if (Utf8.isValid(original, original.length)) {
            json.put("original", new String(original, StandardCharsets.UTF_8));
        } else {
            json.putNull("original");
        }
        json.put("original_base64", Base64.getEncoder().encodeToString(original));
        return bytes(json);
    }

    /**
     * A dead letter holding the first {@code prefixLength} bytes of its line; {@code message} and
     * {@code source} as given (they may be cut too).
     *
     * @param asText whether the line is UTF-8 and the prefix ends at a character boundary
     */
    static byte[] toCutJsonLine(DeadLetter deadLetter, String message, String source, String failedAt,
            int prefixLength, boolean asText, String sha256) {
        byte[] original = deadLetter.original;
        ObjectNode json = head(deadLetter.reason, message, source, deadLetter.lineNumber, failedAt);
        if (asText) {
            json.put("original", new String(original, 0, prefixLength, StandardCharsets.UTF_8));
        } else {
            json.putNull("original");
        }
        json.put("original_base64", Base64.getEncoder().encodeToString(Arrays.copyOf(original, prefixLength)));
        json.put("original_bytes", original.length);
        json.put("original_sha256", sha256);
        json.put("original_truncated", true);
        return bytes(json);
    }

    /** The UTF-8 bytes {@code text} takes as a JSON string value, quotes left out. */
    static int escapedLength(String text) {
        return bytes(text).length - 2;
    }

    private static ObjectNode head(String reason, String message, String source, long line, String failedAt) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("reason", reason);
        json.put("message", message);
        json.put("source", source);
        json.put("line", line);
        json.put("failed_at", failedAt);
        return json;
    }

    /** One mapper writes every dead letter and measures every string, so the sizes agree. */
    private static byte[] bytes(Object json) {
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
