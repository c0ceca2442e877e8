package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AirbyteMessagesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aSucceededConnectionStatusHasNoMessageUnlessGiven() throws Exception {
        assertEquals(MAPPER.readTree("{\"type\":\"CONNECTION_STATUS\",\"connectionStatus\":{\"status\":\"SUCCEEDED\"}}"),
                MAPPER.readTree(AirbyteMessages.connectionStatus(true, null)));
        assertEquals(MAPPER.readTree("{\"type\":\"CONNECTION_STATUS\",\"connectionStatus\":{\"status\":\"FAILED\","
                        + "\"message\":\"config: region must be a string\"}}"),
                MAPPER.readTree(AirbyteMessages.connectionStatus(false, "config: region must be a string")));
    }

    @Test
    void aTraceErrorCarriesItsMessagesFailureTypeAndTheTime() throws Exception {
        long before = System.currentTimeMillis();
        JsonNode message = MAPPER.readTree(AirbyteMessages.traceError("stream x failed", "at line 3", "system_error"));
        long after = System.currentTimeMillis();
        assertEquals("TRACE", message.get("type").textValue());
        JsonNode trace = message.get("trace");
        assertEquals("ERROR", trace.get("type").textValue());
        double emittedAt = trace.get("emitted_at").doubleValue();
        assertTrue(emittedAt >= before && emittedAt <= after, () -> String.valueOf(emittedAt));
        assertEquals(MAPPER.readTree("{\"message\":\"stream x failed\",\"internal_message\":\"at line 3\",\"failure_type\":\"system_error\"}"),
                trace.get("error"));

        JsonNode withoutInternal = MAPPER.readTree(AirbyteMessages.traceError("bad config", null, "config_error")).get("trace").get("error");
        assertFalse(withoutInternal.has("internal_message"));
        assertEquals("config_error", withoutInternal.get("failure_type").textValue());
    }
}
