package org.airbytekinesis.flink.deadletter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.airbytekinesis.flink.airbyte.Utf8;

/**
 * One dead letter as one JSON line:
 * {@code {"reason":..,"message":..,"source":..,"line":..,"failed_at":..,"original":..,"original_base64":..}}.
 * {@code original_base64} holds the line byte for byte; {@code original} repeats it as text when
 * it is valid UTF-8 (null otherwise), for people reading the file.
 */
public final class DeadLetterJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DeadLetterJson() {}

    public static byte[] toJsonLine(DeadLetter deadLetter) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("reason", deadLetter.reason);
        json.put("message", deadLetter.message);
        json.put("source", deadLetter.source);
        json.put("line", deadLetter.lineNumber);
        json.put("failed_at", Instant.now().toString());
        byte[] original = deadLetter.original;
        if (Utf8.isValid(original, original.length)) {
            json.put("original", new String(original, StandardCharsets.UTF_8));
        } else {
            json.putNull("original");
        }
        json.put("original_base64", Base64.getEncoder().encodeToString(original));
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
