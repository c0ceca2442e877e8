package org.airbytekinesis.flink.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.aggregation.StreamAggregator;
import org.airbytekinesis.flink.airbyte.Utf8;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

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
 *       the writer with that error;
 *   <li>with {@code ordering: per_key}, a record whose key has an earlier record not yet written
 *       waits ({@link KeyOrder}); it goes at the next record that finds its key free, or at the
 *       next checkpoint.
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
    private final boolean perKeyOrder;
    private final KplAggregation aggregation;

    public FlushOnCheckpointSink(StatefulSink<KinesisEnvelope, StateT> sink, String stream, SinkMemory memory,
            Duration retryDeadline, boolean perKeyOrder) {
        this(sink, stream, memory, retryDeadline, perKeyOrder, null);
    }

    /** @param aggregation how to aggregate records, or null to write them one by one */
    FlushOnCheckpointSink(StatefulSink<KinesisEnvelope, StateT> sink, String stream, SinkMemory memory,
            Duration retryDeadline, boolean perKeyOrder, KplAggregation aggregation) {
        this.sink = sink;
        this.stream = stream;
        this.memory = memory;
        this.retryDeadline = retryDeadline;
        this.perKeyOrder = perKeyOrder;
        this.aggregation = aggregation;
    }

    @Override
    @Deprecated
    public SinkWriter<KinesisEnvelope> createWriter(InitContext context) throws IOException {
        return wrap(context.getMailboxExecutor(), context.getProcessingTimeService(), context.metricGroup(),
                () -> sink.createWriter(context));
    }

    @Override
    public SinkWriter<KinesisEnvelope> createWriter(WriterInitContext context) throws IOException {
        return wrap(context.getMailboxExecutor(), context.getProcessingTimeService(), context.metricGroup(),
                () -> sink.createWriter(context));
    }

    @Override
    public StatefulSinkWriter<KinesisEnvelope, StateT> restoreWriter(WriterInitContext context, Collection<StateT> state)
            throws IOException {
        return wrap(context.getMailboxExecutor(), context.getProcessingTimeService(), context.metricGroup(),
                () -> sink.restoreWriter(context, state));
    }

    @Override
    public SimpleVersionedSerializer<StateT> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    private interface WriterFactory {
        SinkWriter<KinesisEnvelope> create() throws IOException;
    }

    /**
     * The connector's writer with an account of its own. The connector builds the writer's
     * Kinesis client in {@code factory}; the client's interceptor takes the account from there.
     */
    private Writer<StateT> wrap(MailboxExecutor mailbox, ProcessingTimeService time, MetricGroup metrics,
            WriterFactory factory) throws IOException {
        SinkWriterAccount account = new SinkWriterAccount(stream, memory, retryDeadline, perKeyOrder, aggregation != null);
        account.attach(mailbox);
        // User records Kinesis acknowledged (under aggregation, the records inside each aggregate),
        // labelled by stream like the enveloper's records{stream}.
        account.countAcknowledgedInto(metrics.addGroup(RecordEnveloper.STREAM_LABEL, stream)
                .counter("recordsAcknowledged", new ThreadSafeSimpleCounter()));
        SinkWriterAccount.CREATING.set(account);
        try {
            return new Writer<>(factory.create(), account, aggregation, time);
        } finally {
            SinkWriterAccount.CREATING.remove();
        }
    }

    private static final class Writer<StateT> implements StatefulSinkWriter<KinesisEnvelope, StateT> {
        /** The connector's element converter reads neither timestamp nor watermark. */
        private static final Context NO_CONTEXT = new Context() {
            @Override
            public long currentWatermark() {
                return Long.MIN_VALUE;
            }

            @Override
            public Long timestamp() {
                return null;
            }
        };

        private final StatefulSinkWriter<KinesisEnvelope, StateT> writer;
        private final SinkWriterAccount account;
        private final KeyOrder order;
        private final KplAggregation aggregation;
        /** Made at the first record: only writers that get records ask Kinesis for the shards. */
        private StreamAggregator aggregator;
        private final ProcessingTimeService time;
        /** When the aggregate timer fires next; -1 while none is set. */
        private long timerAt = -1;

        @SuppressWarnings("unchecked")
        Writer(SinkWriter<KinesisEnvelope> writer, SinkWriterAccount account, KplAggregation aggregation,
                ProcessingTimeService time) {
            // The async sink's writers are stateful; the cast only recovers the type the
            // deprecated factory method erases.
            this.writer = (StatefulSinkWriter<KinesisEnvelope, StateT>) writer;
            this.account = account;
            this.order = account.keyOrder();
            this.aggregation = aggregation;
            this.time = time;
        }

        @Override
        public void write(KinesisEnvelope element, Context context) throws IOException, InterruptedException {
            failIfFatal();
            if (aggregation == null) {
                send(element, context);
                return;
            }
            if (aggregator == null) {
                ShardMap shards = aggregation.shards.load(account.stream());
                account.aggregatingFor(shards);
                aggregator = new StreamAggregator(account.stream(), shards, aggregation.maxBytes, aggregation.maxAgeMillis);
            }
            aggregator.add(element, time.getCurrentProcessingTime(), this::send);
            // Open aggregates are bytes the account does not see yet: a quarter of the writer's
            // share at most (one aggregate per shard of a stream with many shards adds up).
            if (aggregator.openBytes() > Math.max(aggregation.maxBytes, account.shareBytes() / 4)) {
                aggregator.flushAll(this::send);
            }
            scheduleExpiry();
        }

        /** A timer for the oldest open aggregate, unless one is set already. */
        private void scheduleExpiry() {
            long due = aggregator.nextDeadlineMillis();
            if (due < 0 || (timerAt >= 0 && timerAt <= due)) {
                return;
            }
            timerAt = due;
            time.registerTimer(due, now -> {
                timerAt = -1;
                failIfFatal();
                aggregator.flushExpired(now, this::send);
                scheduleExpiry();
            });
        }

        private void send(KinesisEnvelope element) throws IOException, InterruptedException {
            send(element, NO_CONTEXT);
        }

        /** Hands a Kinesis record to the connector, within memory and key order. */
        private void send(KinesisEnvelope element, Context context) throws IOException, InterruptedException {
            long bytes = SinkWriterAccount.footprint(element.payload.length + Utf8.encodedLength(element.partitionKey));
            while (!account.tryHold(bytes)) {
                drainConnector();
            }
            if (order == null) {
                writer.write(element, context);
                return;
            }
            for (KinesisEnvelope next = order.nextReady(); next != null; next = order.nextReady()) {
                writer.write(next, NO_CONTEXT);
            }
            if (order.offer(element)) {
                writer.write(element, context);
            }
        }

        /** Every checkpoint and the end of input: everything buffered goes, and is written. */
        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            failIfFatal();
            if (aggregator != null) {
                aggregator.flushAll(this::send);
            }
            drainConnector();
        }

        /**
         * Sends everything the connector has and waits until it is written: nothing is held after
         * it. With records waiting for their key, one round per record of the most repeated key.
         */
        private void drainConnector() throws IOException, InterruptedException {
            writer.flush(true);
            failIfFatal();
            while (order != null && order.hasWaiting()) {
                for (KinesisEnvelope next = order.nextWaiting(); next != null; next = order.nextWaiting()) {
                    writer.write(next, NO_CONTEXT);
                }
                writer.flush(true);
                failIfFatal();
            }
            account.releasedAll();
        }

        private void failIfFatal() throws IOException {
            PermanentKinesisError fatal = account.fatal();
            if (fatal != null) {
                throw fatal;
            }
            String misplaced = account.misplaced();
            if (misplaced != null) {
                throw new IOException("Kinesis stream " + account.stream() + " was resharded while the job wrote to it ("
                        + misplaced + "): restarting from the last checkpoint to aggregate for its new shards");
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
