package org.airbytekinesis.flink.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.airbytekinesis.flink.airbyte.Utf8;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Wraps the connector's Kinesis sink of one stream:
 *
 * <ul>
 *   <li>every checkpoint sends what the writer buffered and waits until it is written. The async
 *       sink on its own only waits for requests in flight and keeps its buffer in the
 *       checkpoint; then a completed checkpoint would not mean "written to Kinesis", and a STATE
 *       released on it could come before its records;
 *   <li>the bytes the writer holds stay within its {@link SinkMemory}: a record that does not fit
 *       makes the writer send what it has and wait for it first (backpressure, not an
 *       OutOfMemoryError);
 *   <li>a permanent error or one past the retry deadline ({@link PutRecordsInterceptor}) fails
 *       the writer with that error.
 * </ul>
 *
 * Writer state and its serializer are the wrapped sink's own (and stay empty after each flush),
 * so savepoints stay compatible.
 */
public final class FlushOnCheckpointSink<StateT> implements Sink<KinesisEnvelope>, SupportsWriterState<KinesisEnvelope, StateT> {
    private static final long serialVersionUID = 1L;

    private final StatefulSink<KinesisEnvelope, StateT> sink;
    private final String stream;
    private final SinkMemory memory;
    private final Duration retryDeadline;

    public FlushOnCheckpointSink(StatefulSink<KinesisEnvelope, StateT> sink, String stream, SinkMemory memory,
            Duration retryDeadline) {
        this.sink = sink;
        this.stream = stream;
        this.memory = memory;
        this.retryDeadline = retryDeadline;
    }

    @Override
    @Deprecated
    public SinkWriter<KinesisEnvelope> createWriter(InitContext context) throws IOException {
        SinkWriterAccount account = new SinkWriterAccount(stream, memory, retryDeadline);
        account.attach(context.getMailboxExecutor());
        return new Writer<>(withAccount(account, () -> sink.createWriter(context)), account);
    }

    @Override
    public SinkWriter<KinesisEnvelope> createWriter(WriterInitContext context) throws IOException {
        SinkWriterAccount account = new SinkWriterAccount(stream, memory, retryDeadline);
        account.attach(context.getMailboxExecutor());
        return new Writer<>(withAccount(account, () -> sink.createWriter(context)), account);
    }

    @Override
    public StatefulSinkWriter<KinesisEnvelope, StateT> restoreWriter(WriterInitContext context, Collection<StateT> state)
            throws IOException {
        SinkWriterAccount account = new SinkWriterAccount(stream, memory, retryDeadline);
        account.attach(context.getMailboxExecutor());
        return new Writer<>(withAccount(account, () -> sink.restoreWriter(context, state)), account);
    }

    @Override
    public SimpleVersionedSerializer<StateT> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    private interface WriterFactory {
        SinkWriter<KinesisEnvelope> create() throws IOException;
    }

    /** The connector builds the writer's Kinesis client here; its interceptor takes the account. */
    private static SinkWriter<KinesisEnvelope> withAccount(SinkWriterAccount account, WriterFactory factory)
            throws IOException {
        SinkWriterAccount.CREATING.set(account);
        try {
            return factory.create();
        } finally {
            SinkWriterAccount.CREATING.remove();
        }
    }

    private static final class Writer<StateT> implements StatefulSinkWriter<KinesisEnvelope, StateT> {
        private final StatefulSinkWriter<KinesisEnvelope, StateT> writer;
        private final SinkWriterAccount account;

        @SuppressWarnings("unchecked")
        Writer(SinkWriter<KinesisEnvelope> writer, SinkWriterAccount account) {
            // The async sink's writers are stateful; the cast only recovers the type the
            // deprecated factory method erases.
            this.writer = (StatefulSinkWriter<KinesisEnvelope, StateT>) writer;
            this.account = account;
        }

        @Override
        public void write(KinesisEnvelope element, Context context) throws IOException, InterruptedException {
            failIfFatal();
            long bytes = SinkWriterAccount.footprint(element.payload.length + Utf8.encodedLength(element.partitionKey));
            while (!account.tryHold(bytes)) {
                drain();
            }
            writer.write(element, context);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            drain();
        }

        /** Sends everything buffered and waits until it is written: nothing is held after it. */
        private void drain() throws IOException, InterruptedException {
            writer.flush(true);
            failIfFatal();
            account.releasedAll();
        }

        private void failIfFatal() {
            PermanentKinesisError fatal = account.fatal();
            if (fatal != null) {
                throw fatal;
            }
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
            try {
                writer.close();
            } finally {
                account.releasedAll();
            }
        }
    }
}
