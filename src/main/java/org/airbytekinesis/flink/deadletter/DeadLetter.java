package org.airbytekinesis.flink.deadletter;

/**
 * An input line that could not be delivered, byte-exact, with why and where it came from. A
 * Flink POJO.
 */
public class DeadLetter {
    /** A {@link DeadLetterReason} code. */
    public String reason;
    /** What exactly is wrong, without the line's content. */
    public String message;
    public String source;
    /** 1-based line number in the source. */
    public long lineNumber;
    /** The line as it was read, without its line terminator. */
    public byte[] original;

    public DeadLetter() {}

    public DeadLetter(DeadLetterReason reason, String message, String source, long lineNumber, byte[] original) {
        this.reason = reason.code();
        this.message = message;
        this.source = source;
        this.lineNumber = lineNumber;
        this.original = original;
    }

    @Override
    public String toString() {
        return source + " line " + lineNumber + ": " + reason + " (" + message + ")";
    }
}
