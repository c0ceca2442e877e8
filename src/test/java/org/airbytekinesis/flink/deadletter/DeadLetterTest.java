package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How a dead letter shows in Flink's logs and errors. */
class DeadLetterTest {

    @Test
    void aDeadLetterIsDescribedByWhereItCameFromAndWhyNeverByTheLine() {
        DeadLetter deadLetter = new DeadLetter(DeadLetterReason.NOT_JSON, "not JSON", "/data/in.jsonl", 42,
                "{\"card\":\"4111\"".getBytes(StandardCharsets.UTF_8));
        String text = deadLetter.toString();
        assertTrue(text.contains("/data/in.jsonl") && text.contains("42") && text.contains("not_json")
                && text.contains("not JSON"), text);
        assertFalse(text.contains("4111"), text);
    }
}
