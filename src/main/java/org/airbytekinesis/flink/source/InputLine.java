package org.airbytekinesis.flink.source;

/**
 * One line of input, byte-exact, with where it came from. A Flink POJO, so it is serialised
 * without Kryo.
 *
 * <p>Besides the lines to process ({@link #LINE}), a file reader emits two kinds of markers:
 * {@link #REPLAYED} lines, read again after a restore only so that the record counts since the
 * last STATE are recounted from the input itself (nothing is sent for them), and one
 * {@link #END_OF_FILE} after a file's last line.
 */
public class InputLine {
    /** A line to process. */
    public static final byte LINE = 0;
    /**
     * A line before the restored position, read again after a restore: counted towards the
     * next STATE's {@code recordCount} as it was the first time, never sent or dead-lettered.
     */
    public static final byte REPLAYED = 1;
    /**
     * After the last line of a file: {@link #lineNumber} is the file's number of lines and
     * {@link #bytes} its URI (UTF-8), for what is done with the file once it is durable.
     */
    public static final byte END_OF_FILE = 2;

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
    /** {@link #LINE}, {@link #REPLAYED} or {@link #END_OF_FILE}. */
    public byte kind;

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

    /** The marker that ends a file of {@code lines} lines. */
    public static InputLine endOfFile(String source, String sourceId, long lines, String fileUri) {
        InputLine marker = new InputLine(source, sourceId, lines, fileUri.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        marker.kind = END_OF_FILE;
        return marker;
    }

    @Override
    public String toString() {
        return source + ":" + lineNumber + (kind == END_OF_FILE ? " (end of file)" : kind == REPLAYED ? " (replayed)" : "")
                + " (" + bytes.length + " bytes)";
    }
}
