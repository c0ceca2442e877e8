package org.airbytekinesis.flink.airbyte;

/**
 * What {@link AirbyteMessageScanner} found in one line. Reused from line to line, so copy what
 * must outlive the next scan. For a RECORD, the data is a byte range of the scanned line, kept
 * as the source wrote it.
 */
public final class ScannedMessage {
    /** The AirbyteMessage {@code type} of the line, or null for a blank line. */
    String type;

    String stream;
    String namespace;
    /** The raw JSON text of {@code record.emitted_at}, or null when absent or null. */
    String emittedAt;

    int dataStart;
    int dataEnd;

    int stateStart;
    int stateEnd;
    String stateType;
    String stateStreamNamespace;
    String stateStreamName;
    boolean stateHasDestinationStats;

    String traceType;
    String traceErrorMessage;

    void reset() {
        type = null;
        stream = null;
        namespace = null;
        emittedAt = null;
        dataStart = -1;
        dataEnd = -1;
        stateStart = -1;
        stateEnd = -1;
        stateType = null;
        stateStreamNamespace = null;
        stateStreamName = null;
        stateHasDestinationStats = false;
        traceType = null;
        traceErrorMessage = null;
    }

    public boolean isBlank() {
        return type == null;
    }

    public boolean isRecord() {
        return "RECORD".equals(type);
    }

    public boolean isState() {
        return "STATE".equals(type);
    }

    public String type() {
        return type;
    }

    public String stream() {
        return stream;
    }

    /** May be null. */
    public String namespace() {
        return namespace;
    }

    /** May be null. */
    public String emittedAt() {
        return emittedAt;
    }

    /** Offset of the data object's opening brace in the scanned line. */
    public int dataStart() {
        return dataStart;
    }

    /** Offset just after the data object's closing brace. */
    public int dataEnd() {
        return dataEnd;
    }

    /** Offset of the state object's opening brace, for a STATE message. */
    public int stateStart() {
        return stateStart;
    }

    /** Offset just after the state object's closing brace. */
    public int stateEnd() {
        return stateEnd;
    }

    /** {@code STREAM}, {@code GLOBAL}, {@code LEGACY}, or null when absent (a LEGACY state). */
    public String stateType() {
        return stateType;
    }

    /** For a STREAM state: its stream's namespace (may be null). */
    public String stateStreamNamespace() {
        return stateStreamNamespace;
    }

    /** For a STREAM state: its stream's name, or null. */
    public String stateStreamName() {
        return stateStreamName;
    }

    public boolean stateHasDestinationStats() {
        return stateHasDestinationStats;
    }

    /** For a TRACE message: its type ({@code ERROR}, {@code STREAM_STATUS}, ...), or null. */
    public String traceType() {
        return traceType;
    }

    /** For an ERROR trace: its message, or null. */
    public String traceErrorMessage() {
        return traceErrorMessage;
    }
}
