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

    void reset() {
        type = null;
        stream = null;
        namespace = null;
        emittedAt = null;
        dataStart = -1;
        dataEnd = -1;
    }

    public boolean isBlank() {
        return type == null;
    }

    public boolean isRecord() {
        return "RECORD".equals(type);
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
}
