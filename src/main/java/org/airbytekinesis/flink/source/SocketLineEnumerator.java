package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the single split to the first reader that asks; every reader that asks is told there are
 * no more splits, so readers without the split end at once. A split given back (its reader failed
 * before a checkpoint held it) goes to the next reader that asks.
 */
public final class SocketLineEnumerator implements SplitEnumerator<SocketLineSplit, SocketLineEnumerator.State> {
    private static final Logger LOG = LoggerFactory.getLogger(SocketLineEnumerator.class);

    private final SplitEnumeratorContext<SocketLineSplit> context;
    private SocketLineSplit unassigned;

    SocketLineEnumerator(SplitEnumeratorContext<SocketLineSplit> context, State state) {
        this.context = context;
        this.unassigned = state.unassigned;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        if (unassigned != null && context.registeredReaders().containsKey(subtaskId)) {
            LOG.info("Assigning {} to reader {}", unassigned, subtaskId);
            context.assignSplit(unassigned, subtaskId);
            unassigned = null;
        }
        context.signalNoMoreSplits(subtaskId);
    }

    @Override
    public void addSplitsBack(List<SocketLineSplit> splits, int subtaskId) {
        if (!splits.isEmpty()) {
            LOG.info("Reader {} gave back {}", subtaskId, splits);
            unassigned = splits.get(0);
        }
    }

    @Override
    public void addReader(int subtaskId) {
        // The reader asks for the split when it starts.
    }

    @Override
    public State snapshotState(long checkpointId) {
        return new State(unassigned);
    }

    @Override
    public void close() {}

    /** The split while no reader holds it; null once a reader does (the reader checkpoints it). */
    public static final class State {
            final SocketLineSplit unassigned;

        State(SocketLineSplit unassigned) {
            this.unassigned = unassigned;
        }

        /** The split no reader holds, or null. */
        public SocketLineSplit unassigned() {
            return unassigned;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof State && Objects.equals(((State) other).unassigned, unassigned);
        }

        @Override
        public int hashCode() {
            return Objects.hashCode(unassigned);
        }

        @Override
        public String toString() {
            return "SocketLineEnumerator.State{unassigned=" + unassigned + "}";
        }
    }

    /** Version 1: a boolean (split present), then the split as in {@link SocketLineSplit.Serializer}. */
    public static final class StateSerializer implements SimpleVersionedSerializer<State> {
        public static final StateSerializer INSTANCE = new StateSerializer();
        static final int VERSION = 1;

        @Override
        public int getVersion() {
            return VERSION;
        }

        @Override
        public byte[] serialize(State state) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(64);
            out.writeBoolean(state.unassigned != null);
            if (state.unassigned != null) {
                SocketLineSplit.Serializer.write(state.unassigned, out);
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public State deserialize(int version, byte[] serialized) throws IOException {
            if (version != VERSION) {
                throw new IOException("unknown version " + version + " of the socket source's enumerator state (this"
                        + " build reads " + VERSION + ")");
            }
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            State state = new State(in.readBoolean() ? SocketLineSplit.Serializer.read(in) : null);
            if (in.available() > 0) {
                throw new IOException("socket source enumerator state: " + in.available() + " unexpected bytes");
            }
            return state;
        }
    }
}
