package org.airbytekinesis.flink.state;

/**
 * An Airbyte STATE message on its way to release: the line to print once every record before
 * it is durable, and where it came from. A Flink POJO.
 */
public class StateMessage {
    /** The input the STATE came from. */
    public String source;
    /** Its 1-based line number in that input; lines of one source arrive in this order. */
    public long lineNumber;
    /** The message to print, UTF-8 JSON on one line, {@code destinationStats} included. */
    public byte[] json;

    public StateMessage() {}

    public StateMessage(String source, long lineNumber, byte[] json) {
        this.source = source;
        this.lineNumber = lineNumber;
        this.json = json;
    }

    @Override
    public String toString() {
        return "STATE from " + source + " line " + lineNumber;
    }
}
