package org.airbytekinesis.flink.airbyte;

/** A line that is not a usable AirbyteMessage; the message says why, without the line's content. */
public class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String reason) {
        super(reason);
    }
}
