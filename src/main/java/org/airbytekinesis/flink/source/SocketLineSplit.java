package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The one split of a {@link SocketLineSource}: the server's stream, and how far this run got in
 * it. Immutable; the reader snapshots a new one at every checkpoint. A socket cannot replay, so
 * a reader refuses an unfinished split that had connected (the counts name where the run was).
 */
public final class SocketLineSplit implements SourceSplit {
    private final String splitId;
    private final long linesEmitted;
    private final long connections;
    private final boolean finished;

    /**
     * @param splitId the server's {@code tcp://HOST:PORT}
     * @param linesEmitted lines emitted so far in this run; the next line gets number
     *     {@code linesEmitted + 1}
     * @param connections connections made so far in this run; the next one gets number
     *     {@code connections + 1}
     * @param finished in bounded mode: the server has closed the stream, nothing more is read
     */
    public SocketLineSplit(String splitId, long linesEmitted, long connections, boolean finished) {
        this.splitId = Objects.requireNonNull(splitId, "splitId");
        if (linesEmitted < 0 || connections < 0) {
            throw new IllegalArgumentException("negative count in split " + splitId);
        }
        this.linesEmitted = linesEmitted;
        this.connections = connections;
        this.finished = finished;
    }

    /** The split of a run that has not read anything yet. */
    static SocketLineSplit initial(SocketEndpoint endpoint) {
        return new SocketLineSplit(endpoint.uri(), 0, 0, false);
    }

    @Override
    public String splitId() {
        return splitId;
    }

    public long linesEmitted() {
        return linesEmitted;
    }

    public long connections() {
        return connections;
    }

    public boolean finished() {
        return finished;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof SocketLineSplit)) {
            return false;
        }
        SocketLineSplit that = (SocketLineSplit) other;
        return splitId.equals(that.splitId) && linesEmitted == that.linesEmitted
                && connections == that.connections && finished == that.finished;
    }

    @Override
    public int hashCode() {
        return Objects.hash(splitId, linesEmitted, connections, finished);
    }

    @Override
    public String toString() {
        return "SocketLineSplit{" + splitId + ", linesEmitted=" + linesEmitted + ", connections=" + connections
                + (finished ? ", finished" : "") + "}";
    }

    /** Version 1: split id (modified UTF-8), lines emitted, connections (longs), finished (boolean). */
    public static final class Serializer implements SimpleVersionedSerializer<SocketLineSplit> {
        public static final Serializer INSTANCE = new Serializer();
        static final int VERSION = 1;

        @Override
        public int getVersion() {
            return VERSION;
        }

        @Override
        public byte[] serialize(SocketLineSplit split) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(64);
            write(split, out);
            return out.getCopyOfBuffer();
        }

        @Override
        public SocketLineSplit deserialize(int version, byte[] serialized) throws IOException {
            if (version != VERSION) {
                throw new IOException("unknown version " + version + " of a socket source split (this build reads "
                        + VERSION + ")");
            }
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            SocketLineSplit split = read(in);
            if (in.available() > 0) {
                throw new IOException("socket source split: " + in.available() + " unexpected bytes after the split");
            }
            return split;
        }

        static void write(SocketLineSplit split, DataOutputView out) throws IOException {
            out.writeUTF(split.splitId);
            out.writeLong(split.linesEmitted);
            out.writeLong(split.connections);
            out.writeBoolean(split.finished);
        }

        static SocketLineSplit read(DataInputView in) throws IOException {
            String splitId = in.readUTF();
            long linesEmitted = in.readLong();
            long connections = in.readLong();
            boolean finished = in.readBoolean();
            try {
                return new SocketLineSplit(splitId, linesEmitted, connections, finished);
            } catch (IllegalArgumentException e) {
                throw new IOException("corrupt socket source split: " + e.getMessage(), e);
            }
        }
    }
}
