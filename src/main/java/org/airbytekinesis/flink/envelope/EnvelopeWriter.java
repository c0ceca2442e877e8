package org.airbytekinesis.flink.envelope;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.airbytekinesis.flink.config.DataFormat;

/**
 * Writes the Kinesis envelope
 * {@code {"_airbyte_ab_id":"<id>","_airbyte_emitted_at":<emitted_at>,"_airbyte_data":<data>}}
 * straight from the record's raw bytes: the data text is copied with insignificant whitespace
 * removed and, for {@link DataFormat#STRING}, escaped into a JSON string. Nothing is parsed into
 * values, so numbers, escapes and unicode come out exactly as they came in.
 *
 * <p>Not thread-safe: one instance per operator.
 */
public final class EnvelopeWriter {
    private static final byte[] ID_PREFIX = ascii("{\"_airbyte_ab_id\":\"");
    private static final byte[] EMITTED_AT_PREFIX = ascii("\",\"_airbyte_emitted_at\":");
    private static final byte[] DATA_PREFIX = ascii(",\"_airbyte_data\":");

    private final DataFormat dataFormat;
    private byte[] buffer = new byte[4096];
    private int size;

    public EnvelopeWriter(DataFormat dataFormat) {
        this.dataFormat = dataFormat;
    }

    /**
     * @param id the record id, also the partition key
     * @param emittedAt the record's emitted_at as JSON number text
     * @param line the input line holding the data object at {@code [dataStart, dataEnd)}
     */
    public byte[] write(String id, String emittedAt, byte[] line, int dataStart, int dataEnd) {
        size = 0;
        ensureCapacity(ID_PREFIX.length + id.length() + EMITTED_AT_PREFIX.length + emittedAt.length()
                + DATA_PREFIX.length + 2 * (dataEnd - dataStart) + 3);
        append(ID_PREFIX);
        appendAscii(id);
        append(EMITTED_AT_PREFIX);
        appendAscii(emittedAt);
        append(DATA_PREFIX);
        if (dataFormat == DataFormat.STRING) {
            buffer[size++] = '"';
            copyCompact(line, dataStart, dataEnd, true);
            buffer[size++] = '"';
        } else {
            copyCompact(line, dataStart, dataEnd, false);
        }
        buffer[size++] = '}';
        return Arrays.copyOf(buffer, size);
    }

    /**
     * Copies JSON text without whitespace outside strings. Inside a JSON string no raw control
     * character can occur (the scanner has validated the JSON), so when the text is quoted only
     * {@code "} and {@code \} need a backslash.
     */
    private void copyCompact(byte[] in, int start, int end, boolean quote) {
        byte[] out = buffer;
        int o = size;
        boolean inString = false;
        boolean escaped = false;
        for (int i = start; i < end; i++) {
            byte b = in[i];
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (b == '\\') {
                    escaped = true;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            } else if (b == '"') {
                inString = true;
            }
            if (quote && (b == '"' || b == '\\')) {
                out[o++] = '\\';
            }
            out[o++] = b;
        }
        size = o;
    }

    private void append(byte[] bytes) {
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
    }

    private void appendAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            buffer[size++] = (byte) text.charAt(i);
        }
    }

    private void ensureCapacity(int needed) {
        if (buffer.length < needed) {
            buffer = new byte[Math.max(needed, buffer.length * 2)];
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
