package org.airbytekinesis.flink.source;

/**
 * One line of input, byte-exact, with where it came from. A Flink POJO, so it is serialised
 * without Kryo.
 */
public class InputLine {
    /** The file (or other source) the line came from, for messages. */
    public String source;
    /**
     * Identifies the source's content: the same for a replay of the same input, different for
     * other input (a file's path, size and modification time; stdin and the run).
     */
    public String sourceId;
    /** 1-based line number within the source. */
    public long lineNumber;
    /** The line's bytes without its line terminator ({@code \n} or {@code \r\n}). */
    public byte[] bytes;

    public InputLine() {}

    public InputLine(String source, long lineNumber, byte[] bytes) {
        this(source, source, lineNumber, bytes);
    }

    public InputLine(String source, String sourceId, long lineNumber, byte[] bytes) {
        this.source = source;
        this.sourceId = sourceId;
        this.lineNumber = lineNumber;
        this.bytes = bytes;
    }

    @Override
    public String toString() {
        return source + ":" + lineNumber + " (" + bytes.length + " bytes)";
    }
}
