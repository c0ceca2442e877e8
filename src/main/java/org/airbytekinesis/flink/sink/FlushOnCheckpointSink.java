package org.airbytekinesis.flink.sink;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Wraps an async sink so that every checkpoint sends what it buffered and waits until it is
 * written. The async sink on its own only waits for requests in flight and keeps its buffer in
 * the checkpoint; then a completed checkpoint would not mean "written to Kinesis", and a STATE
 * released on it could come before its records. Writer state and its serializer are the wrapped
 * sink's own (and stay empty after each flush), so savepoints stay compatible.
 */
public final class FlushOnCheckpointSink<InputT, StateT> implements Sink<InputT>, SupportsWriterState<InputT, StateT> {
    private static final long serialVersionUID = 1L;

    private final StatefulSink<InputT, StateT> sink;

    public FlushOnCheckpointSink(StatefulSink<InputT, StateT> sink) {
        this.sink = sink;
    }

    @Override
    @Deprecated
    public SinkWriter<InputT> createWriter(InitContext context) throws IOException {
        return new Writer<>(sink.createWriter(context));
    }

    @Override
    public SinkWriter<InputT> createWriter(WriterInitContext context) throws IOException {
        return new Writer<>(sink.createWriter(context));
    }

    @Override
    public StatefulSinkWriter<InputT, StateT> restoreWriter(WriterInitContext context, Collection<StateT> state)
            throws IOException {
        return new Writer<>(sink.restoreWriter(context, state));
    }

    @Override
    public SimpleVersionedSerializer<StateT> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    private static final class Writer<InputT, StateT> implements StatefulSinkWriter<InputT, StateT> {
        private final StatefulSinkWriter<InputT, StateT> writer;

        @SuppressWarnings("unchecked")
        Writer(SinkWriter<InputT> writer) {
            // The async sink's writers are stateful; the cast only recovers the type the
            // deprecated factory method erases.
            this.writer = (StatefulSinkWriter<InputT, StateT>) writer;
        }

        @Override
        public void write(InputT element, Context context) throws IOException, InterruptedException {
            writer.write(element, context);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            writer.flush(true);
        }

        @Override
        public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
            writer.writeWatermark(watermark);
        }

        @Override
        public List<StateT> snapshotState(long checkpointId) throws IOException {
            return writer.snapshotState(checkpointId);
        }

        @Override
        public void close() throws Exception {
            writer.close();
        }
    }
}
