package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How a STATE or the end of a file shows in Flink's logs and errors. */
class StateMessageTest {

    @Test
    void aStateOrTheEndOfAFileIsDescribedAsSuchByWhereItCameFromNotByItsContent() {
        StateMessage state = new StateMessage("/data/in.jsonl", 42, "{\"secret\":1}".getBytes(StandardCharsets.UTF_8));
        StateMessage end = StateMessage.inputCompleted("/data/in.jsonl", 42, "file:///data/in.jsonl");
        for (StateMessage message : new StateMessage[] {state, end}) {
            String text = message.toString();
            assertTrue(text.contains("/data/in.jsonl") && text.contains("42"), text);
            assertFalse(text.contains("secret"), text);
        }
        assertTrue(state.toString().contains("STATE") && !state.toString().contains("end"), state.toString());
        assertTrue(end.toString().contains("end") && !end.toString().contains("STATE"), end.toString());
    }
}
