package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines at {@code \n}, dropping a {@code \r} just before it. Bytes are
 * kept as they are (no charset decoding), and a last line without a newline is still a line.
 */
final class LineSplitter {
    private final InputStream in;
    private byte[] buffer;
    private int position;
    private int limit;
    private boolean endOfStream;

    LineSplitter(InputStream in, int bufferSize) {
        this.in = in;
        this.buffer = new byte[bufferSize];
    }

    /** The next line, or null at the end of the stream. */
    byte[] nextLine() throws IOException {
        int scanFrom = position;
        while (true) {
            for (int i = scanFrom; i < limit; i++) {
                if (buffer[i] == '\n') {
                    byte[] line = copyLine(position, i);
                    position = i + 1;
                    return line;
                }
            }
            if (endOfStream) {
                if (position < limit) {
                    byte[] line = copyLine(position, limit);
                    position = limit;
                    return line;
                }
                return null;
            }
            scanFrom = limit - position;
            fill();
            scanFrom += position;
        }
    }

    private byte[] copyLine(int start, int newlineOrEnd) {
        int end = newlineOrEnd;
        if (end > start && buffer[end - 1] == '\r' && newlineOrEnd < limit) {
            end--;
        }
        return Arrays.copyOfRange(buffer, start, end);
    }

    /** Moves the unread bytes to the front, grows the buffer if a line fills it, and reads more. */
    private void fill() throws IOException {
        int unread = limit - position;
        if (position > 0) {
            System.arraycopy(buffer, position, buffer, 0, unread);
        } else if (unread == buffer.length) {
            buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        position = 0;
        limit = unread;
        int read = in.read(buffer, limit, buffer.length - limit);
        if (read < 0) {
            endOfStream = true;
        } else {
            limit += read;
        }
    }
}
