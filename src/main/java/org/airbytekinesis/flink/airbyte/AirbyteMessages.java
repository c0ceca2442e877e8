package org.airbytekinesis.flink.airbyte;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The Airbyte messages this destination prints on standard output, one JSON per line. */
public final class AirbyteMessages {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AirbyteMessages() {}

    /** A SPEC message around a ConnectorSpecification. */
    public static String spec(ObjectNode connectorSpecification) {
        ObjectNode message = MAPPER.createObjectNode();
        message.put("type", "SPEC");
        message.set("spec", connectorSpecification);
        return message.toString();
    }

    /** A CONNECTION_STATUS message; the message says what is wrong when it failed. */
    public static String connectionStatus(boolean succeeded, String statusMessage) {
        ObjectNode message = MAPPER.createObjectNode();
        message.put("type", "CONNECTION_STATUS");
        ObjectNode status = message.putObject("connectionStatus");
        status.put("status", succeeded ? "SUCCEEDED" : "FAILED");
        if (statusMessage != null) {
            status.put("message", statusMessage);
        }
        return message.toString();
    }

    /**
     * A TRACE ERROR message, as a destination reports a failed run.
     *
     * @param failureType {@code config_error} (the user must fix something) or {@code system_error}
     */
    public static String traceError(String errorMessage, String internalMessage, String failureType) {
        ObjectNode message = MAPPER.createObjectNode();
        message.put("type", "TRACE");
        ObjectNode trace = message.putObject("trace");
        trace.put("type", "ERROR");
        trace.put("emitted_at", (double) System.currentTimeMillis());
        ObjectNode error = trace.putObject("error");
        error.put("message", errorMessage);
        if (internalMessage != null) {
            error.put("internal_message", internalMessage);
        }
        error.put("failure_type", failureType);
        return message.toString();
    }
}
