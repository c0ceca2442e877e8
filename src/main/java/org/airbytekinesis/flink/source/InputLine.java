package org.airbytekinesis.flink.source;

/**
 * One line of input, byte-exact, with where it came from. A Flink POJO, so it is serialised
 * without Kryo.
 */
public class InputLine {
    /** The file (or other source) the line came from, for messages. */
    public String source;
    /** 1-based line number within the source. */
    public long lineNumber;
    /** The line's bytes without its line terminator ({@code \n} or {@code \r\n}). */
    public byte[] bytes;

    public InputLine() {}

    public InputLine(String source, long lineNumber, byte[] bytes) {
        this.source = source;
        this.lineNumber = lineNumber;
        this.bytes = bytes;
    }

    @Override
    public String toString() {
        return source + ":" + lineNumber + " (" + bytes.length + " bytes)";
    }
}
