package org.airbytekinesis.flink.state;

/**
 * An Airbyte STATE message on its way to release: the line to print once every record before
 * it is durable, and where it came from. A Flink POJO.
 *
 * <p>The end of an input file travels the same way ({@link #inputCompleted}): once released, every
 * record and dead letter of the file is durable and the file may be deleted or moved.
 */
public class StateMessage {
    /** The input the STATE came from. */
    public String source;
    /** Its 1-based line number in that input; lines of one source arrive in this order. */
    public long lineNumber;
    /** The message to print, UTF-8 JSON on one line, {@code destinationStats} included; null for the end of a file. */
    public byte[] json;
    /** For the end of an input file: the file's URI (and {@link #lineNumber} its number of lines); else null. */
    public String completedInput;

    public StateMessage() {}

    public StateMessage(String source, long lineNumber, byte[] json) {
        this.source = source;
        this.lineNumber = lineNumber;
        this.json = json;
    }

    /** The end of the input file {@code fileUri}, after its {@code lines} lines. */
    public static StateMessage inputCompleted(String source, long lines, String fileUri) {
        StateMessage end = new StateMessage(source, lines, null);
        end.completedInput = fileUri;
        return end;
    }

    public boolean isInputCompleted() {
        return completedInput != null;
    }

    @Override
    public String toString() {
        return (isInputCompleted() ? "end of " : "STATE from ") + source + " line " + lineNumber;
    }
}
