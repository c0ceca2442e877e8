package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Wraps the job's source so that a sync's one-time start work (replacing {@code overwrite}
 * streams) runs exactly when the job starts afresh, and never when it restores state. Flink
 * creates a source's split enumerator anew only when there is no completed checkpoint to restore
 * (a new job, or a failure before the first checkpoint, after which everything is read again);
 * otherwise it restores the enumerator from the checkpoint or savepoint. The work runs in the
 * enumerator's {@code start()}, on the coordinator's thread, before the wrapped enumerator
 * starts, so no split (and no record) is handed out before it is done.
 *
 * <p>Everything else, including the enumerator's checkpoint and its serializer, is the wrapped
 * source's own: checkpoints and savepoints stay compatible with the unwrapped source.
 */
public final class SyncStartSource<T, SplitT extends SourceSplit, EnumChkT>
        implements Source<T, SplitT, EnumChkT>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    /** A sync's start work. Exceptions fail the job. */
    public interface SyncStart extends Serializable {
        /** The job starts with no state: the start of a sync (or its retry from the beginning). */
        void freshStart() throws Exception;

        /** The job restored a checkpoint or savepoint: the sync goes on. */
        void restored() throws Exception;
    }

    private final Source<T, SplitT, EnumChkT> source;
    private final SyncStart start;

    public SyncStartSource(Source<T, SplitT, EnumChkT> source, SyncStart start) {
        this.source = source;
        this.start = start;
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SourceReader<T, SplitT> createReader(SourceReaderContext readerContext) throws Exception {
        return source.createReader(readerContext);
    }

    @Override
    public SplitEnumerator<SplitT, EnumChkT> createEnumerator(SplitEnumeratorContext<SplitT> context) throws Exception {
        return new StartingEnumerator<>(source.createEnumerator(context), start, true);
    }

    @Override
    public SplitEnumerator<SplitT, EnumChkT> restoreEnumerator(SplitEnumeratorContext<SplitT> context, EnumChkT checkpoint)
            throws Exception {
        return new StartingEnumerator<>(source.restoreEnumerator(context, checkpoint), start, false);
    }

    @Override
    public SimpleVersionedSerializer<SplitT> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<EnumChkT> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    @SuppressWarnings("unchecked")
    public TypeInformation<T> getProducedType() {
        return ((ResultTypeQueryable<T>) source).getProducedType();
    }

    /** Runs the start work in {@code start()}, then hands over to the wrapped enumerator. */
    static final class StartingEnumerator<SplitT extends SourceSplit, EnumChkT> implements SplitEnumerator<SplitT, EnumChkT> {
        private final SplitEnumerator<SplitT, EnumChkT> enumerator;
        private final SyncStart start;
        private final boolean fresh;

        StartingEnumerator(SplitEnumerator<SplitT, EnumChkT> enumerator, SyncStart start, boolean fresh) {
            this.enumerator = enumerator;
            this.start = start;
            this.fresh = fresh;
        }

        @Override
        public void start() {
            try {
                if (fresh) {
                    start.freshStart();
                } else {
                    start.restored();
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("the sync's start failed: " + e.getMessage(), e);
            }
            enumerator.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            enumerator.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<SplitT> splits, int subtaskId) {
            enumerator.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            enumerator.addReader(subtaskId);
        }

        @Override
        public EnumChkT snapshotState(long checkpointId) throws Exception {
            return enumerator.snapshotState(checkpointId);
        }

        @Override
        public void close() throws IOException {
            enumerator.close();
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            enumerator.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            enumerator.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
            enumerator.handleSourceEvent(subtaskId, sourceEvent);
        }
    }
}
