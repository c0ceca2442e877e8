package org.airbytekinesis.flink.airbyte;

import org.airbytekinesis.flink.deadletter.DeadLetterReason;

/** A line that is not a usable AirbyteMessage; the message says why, without the line's content. */
public class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public MalformedMessageException(DeadLetterReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
