package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.aggregation.KplAggregate;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.core.SdkBytes;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.OperatorIOMetricGroup;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/**
 * The wrapper around the connector's Kinesis writer, with a fake connector that buffers what it
 * is given and writes it to "Kinesis" only when told to flush everything, reporting what Kinesis
 * wrote to the writer's account as the client's {@link PutRecordsInterceptor} does.
 */
@SuppressWarnings("deprecation") // the connector's sink is a StatefulSink
class FlushOnCheckpointSinkTest {
    private static final String STREAM = "orders";
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    /** Room for every test that is not about memory. */
    private static final SinkMemory ROOMY = SinkMemory.of(64, 1);
    /** A share of one byte and an empty pool: a writer holds one record at a time. */
    private static final SinkMemory NONE_TO_SPARE = SinkMemory.of(0, 1);
    private static final long MAX_AGE_MS = 5_000;

    // ---- the connector, faked -----------------------------------------------------------------

    /** The connector's async sink: its writer state is the partition keys of its buffered records. */
    static final class FakeConnectorSink implements StatefulSink<KinesisEnvelope, String> {
        private static final long serialVersionUID = 1L;

        final transient List<FakeConnectorWriter> writers = new ArrayList<>();
        final transient SimpleVersionedSerializer<String> serializer = new SimpleVersionedSerializer<>() {
            @Override
            public int getVersion() {
                return 1;
            }

            @Override
            public byte[] serialize(String state) {
                return state.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String deserialize(int version, byte[] serialized) {
                return new String(serialized, StandardCharsets.UTF_8);
            }
        };

        @Override
        public SinkWriter<KinesisEnvelope> createWriter(Sink.InitContext context) {
            return restoreWriter((WriterInitContext) null, List.of());
        }

        @Override
        public StatefulSinkWriter<KinesisEnvelope, String> restoreWriter(WriterInitContext context,
                Collection<String> recoveredState) {
            FakeConnectorWriter writer = new FakeConnectorWriter(recoveredState);
            writers.add(writer);
            return writer;
        }

        @Override
        public SimpleVersionedSerializer<String> getWriterStateSerializer() {
            return serializer;
        }

        FakeConnectorWriter writer() {
            assertEquals(1, writers.size(), "one writer made");
            return writers.get(0);
        }
    }

    /** The connector's async writer (its sink's type is the deprecated StatefulSink's). */
    static final class FakeConnectorWriter implements StatefulSink.StatefulSinkWriter<KinesisEnvelope, String> {
        /** Taken while the writer is made, as the interceptor of the connector's client takes it. */
        final SinkWriterAccount account = SinkWriterAccount.CREATING.get();
        final List<KinesisEnvelope> buffer = new ArrayList<>();
        final List<KinesisEnvelope> inKinesis = new ArrayList<>();
        /** What the wrapper asked of it, in order: "write <key>", "flush <endOfInput>", "snapshot <id>". */
        final List<String> calls = new ArrayList<>();
        final List<SinkWriter.Context> contexts = new ArrayList<>();
        final List<Watermark> watermarks = new ArrayList<>();
        /** Whether the client's interceptor reports what Kinesis wrote to the account. */
        boolean interceptorReports = true;
        /** What else happens while a flush sends the buffer: Kinesis answering with an error, say. */
        Runnable duringFlush = () -> {};
        boolean closed;

        FakeConnectorWriter(Collection<String> restored) {
            restored.forEach(key -> buffer.add(record(key, "restored")));
        }

        @Override
        public void write(KinesisEnvelope element, Context context) {
            calls.add("write " + element.partitionKey);
            contexts.add(context);
            buffer.add(element);
        }

        /** Like the async sink: {@code false} only waits for requests in flight, {@code true} sends the buffer too. */
        @Override
        public void flush(boolean endOfInput) {
            calls.add("flush " + endOfInput);
            if (endOfInput) {
                kinesisWritesTheBuffer();
            }
            duringFlush.run();
        }

        /** Kinesis acknowledges everything buffered, as the interceptor reports it. */
        void kinesisWritesTheBuffer() {
            if (!interceptorReports) {
                inKinesis.addAll(buffer);
                buffer.clear();
                return;
            }
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (KinesisEnvelope record : buffer) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey(record.partitionKey)
                        .data(SdkBytes.fromByteArray(record.payload)).build());
                account.released(SinkWriterAccount.footprint(record.payload.length + record.partitionKey.length()));
                if (account.keyOrder() != null) {
                    account.keyOrder().written(record.partitionKey);
                }
            }
            account.acknowledged(entries);
            account.progress();
            inKinesis.addAll(buffer);
            buffer.clear();
        }

        @Override
        public void writeWatermark(Watermark watermark) {
            watermarks.add(watermark);
        }

        @Override
        public List<String> snapshotState(long checkpointId) {
            calls.add("snapshot " + checkpointId);
            return buffer.stream().map(record -> record.partitionKey).collect(Collectors.toList());
        }

        @Override
        public void close() {
            closed = true;
        }

        List<String> writes() {
            return calls.stream().filter(call -> call.startsWith("write ")).collect(Collectors.toList());
        }
    }

    // ---- the task around the writer, faked ----------------------------------------------------

    /** Processing time moved by hand; due timers fire in time order. */
    static final class ManualTime implements ProcessingTimeService {
        long now = 1_000;
        final List<Long> timersSet = new ArrayList<>();
        private final Map<Long, List<ProcessingTimeCallback>> pending = new HashMap<>();

        @Override
        public long getCurrentProcessingTime() {
            return now;
        }

        @Override
        public ScheduledFuture<?> registerTimer(long timestamp, ProcessingTimeCallback target) {
            timersSet.add(timestamp);
            pending.computeIfAbsent(timestamp, t -> new ArrayList<>()).add(target);
            return null;
        }

        void advanceTo(long time) throws Exception {
            now = time;
            while (true) {
                Long due = pending.keySet().stream().filter(t -> t <= time).min(Long::compare).orElse(null);
                if (due == null) {
                    return;
                }
                for (ProcessingTimeCallback callback : pending.remove(due)) {
                    callback.onProcessingTime(time);
                }
            }
        }

        boolean hasPendingTimers() {
            return !pending.isEmpty();
        }
    }


    /** The writer's metric group; counters are kept by their path, e.g. {@code stream=orders.recordsAcknowledged}. */
    static final class RecordingMetrics extends UnregisteredMetricsGroup implements SinkWriterMetricGroup {
        final Map<String, Counter> counters;
        private final String path;

        RecordingMetrics() {
            this(new HashMap<>(), "");
        }

        private RecordingMetrics(Map<String, Counter> counters, String path) {
            this.counters = counters;
            this.path = path;
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new RecordingMetrics(counters, path + key + "=" + value + ".");
        }

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            counters.put(path + name, counter);
            return counter;
        }

        @Override
        public OperatorIOMetricGroup getIOMetricGroup() {
            return UnregisteredMetricsGroup.createOperatorIOMetricGroup();
        }

        @Override
        public Counter getNumRecordsOutErrorsCounter() {
            return new SimpleCounter();
        }

        @Override
        public Counter getNumRecordsSendErrorsCounter() {
            return new SimpleCounter();
        }

        @Override
        public Counter getNumRecordsSendCounter() {
            return new SimpleCounter();
        }

        @Override
        public Counter getNumBytesSendCounter() {
            return new SimpleCounter();
        }

        @Override
        public void setCurrentSendTimeGauge(Gauge<Long> currentSendTimeGauge) {}
    }

    /** A writer's init context (either kind) that only has what the wrapper uses. */
    private <T> T initContext(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "getMailboxExecutor":
                    return mailbox;
                case "getProcessingTimeService":
                    return time;
                case "metricGroup":
                    return metrics;
                default:
                    throw new UnsupportedOperationException(method.getName());
            }
        }));
    }

    private final ManualTime time = new ManualTime();
    private final RecordingMailbox mailbox = new RecordingMailbox();
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final FakeConnectorSink connectorSink = new FakeConnectorSink();

    private StatefulSinkWriter<KinesisEnvelope, String> writer(SinkMemory memory, boolean perKeyOrder,
            KplAggregation aggregation) throws IOException {
        FlushOnCheckpointSink<String> sink = new FlushOnCheckpointSink<>(connectorSink, STREAM, memory, DEADLINE, perKeyOrder,
                aggregation);
        return sink.restoreWriter(initContext(WriterInitContext.class), List.of());
    }

    private StatefulSinkWriter<KinesisEnvelope, String> writer() throws IOException {
        return writer(ROOMY, false, null);
    }

    private static KinesisEnvelope record(String key, String payload) {
        return new KinesisEnvelope(STREAM, key, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static final SinkWriter.Context INPUT_CONTEXT = new SinkWriter.Context() {
        @Override
        public long currentWatermark() {
            return 42;
        }

        @Override
        public Long timestamp() {
            return 7L;
        }
    };

    private static List<String> keys(List<KinesisEnvelope> records) {
        return records.stream().map(record -> record.partitionKey).collect(Collectors.toList());
    }

    /** The user records in Kinesis records, as a consumer reads them: "key:payload". */
    private static List<String> userRecords(List<KinesisEnvelope> kinesisRecords) {
        List<String> out = new ArrayList<>();
        for (KinesisEnvelope record : kinesisRecords) {
            Deaggregation.userRecords(record.payload, record.partitionKey).forEach(user -> out.add(user.partitionKey()
                    + ":" + new String(Deaggregation.bytes(user.data()), StandardCharsets.UTF_8)));
        }
        return out;
    }

    // ---- checkpoints --------------------------------------------------------------------------

    @Test
    void everyRecordWrittenBeforeACheckpointIsInKinesisBeforeTheCheckpointsStateIsTaken() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("b", "2"), INPUT_CONTEXT);
        FakeConnectorWriter connector = connectorSink.writer();
        assertEquals(List.of(), connector.inKinesis, "the connector buffers them");

        // What Flink does at a checkpoint barrier: flush(false), then snapshotState.
        writer.flush(false);
        List<String> state = writer.snapshotState(1);

        assertEquals(List.of("a", "b"), keys(connector.inKinesis));
        assertEquals(List.of(), state, "no record is left in the checkpoint: they are all in Kinesis");
        assertEquals(List.of("write a", "write b", "flush true", "snapshot 1"), connector.calls,
                "the connector was told to send its buffer, not only to wait for requests in flight");
    }

    @Test
    void theWritersStateIsTheConnectorsOwnSoSavepointsStayCompatible() throws Exception {
        FlushOnCheckpointSink<String> sink = new FlushOnCheckpointSink<>(connectorSink, STREAM, ROOMY, DEADLINE, false);
        assertSame(connectorSink.getWriterStateSerializer(), sink.getWriterStateSerializer());

        StatefulSinkWriter<KinesisEnvelope, String> writer = sink.restoreWriter(initContext(WriterInitContext.class),
                List.of("from-an-old-savepoint-1", "from-an-old-savepoint-2"));

        assertEquals(List.of("from-an-old-savepoint-1", "from-an-old-savepoint-2"), writer.snapshotState(5),
                "the connector got the restored state, and its state is the writer's");
        writer.flush(false);
        assertEquals(List.of("from-an-old-savepoint-1", "from-an-old-savepoint-2"), keys(connectorSink.writer().inKinesis),
                "the restored records are written at the first checkpoint");
        assertEquals(List.of(), writer.snapshotState(6));
    }

    @Test
    void writersMadeEitherWayWriteThroughTheConnector() throws Exception {
        FlushOnCheckpointSink<String> sink = new FlushOnCheckpointSink<>(connectorSink, STREAM, ROOMY, DEADLINE, false);
        SinkWriter<KinesisEnvelope> fromWriterContext = sink.createWriter(initContext(WriterInitContext.class));
        SinkWriter<KinesisEnvelope> fromOldContext = sink.createWriter(initContext(Sink.InitContext.class));

        fromWriterContext.write(record("a", "1"), INPUT_CONTEXT);
        fromOldContext.write(record("b", "2"), INPUT_CONTEXT);
        fromWriterContext.flush(false);
        fromOldContext.flush(false);

        assertEquals(2, connectorSink.writers.size());
        assertEquals(List.of("a"), keys(connectorSink.writers.get(0).inKinesis));
        assertEquals(List.of("b"), keys(connectorSink.writers.get(1).inKinesis));
    }

    @Test
    void theConnectorsClientFindsTheWritersAccountOnlyWhileTheWriterIsBeingMade() throws Exception {
        writer();
        SinkWriterAccount account = connectorSink.writer().account;
        assertNotNull(account, "the interceptor of the writer's client gets the account");
        assertEquals(STREAM, account.stream());
        assertNull(SinkWriterAccount.CREATING.get(), "a client made later, for another writer, does not take it");
    }

    @Test
    void watermarksGoToTheConnector() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.writeWatermark(new Watermark(123));
        assertEquals(List.of(new Watermark(123)), connectorSink.writer().watermarks);
    }

    @Test
    void recordsKinesisAcknowledgedAreCountedUnderTheirStream() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("b", "2"), INPUT_CONTEXT);
        writer.flush(false);

        Counter acknowledged = metrics.counters.get(RecordEnveloper.STREAM_LABEL + "=" + STREAM + ".recordsAcknowledged");
        assertNotNull(acknowledged, "metrics " + metrics.counters.keySet());
        assertEquals(2, acknowledged.getCount());
    }

    @Test
    void aBackoffTheClientAsksForWaitsInTheWritersOwnMailbox() throws Exception {
        writer();
        connectorSink.writer().account.pauseWriter(1);
        assertEquals(1, mailbox.mails.size(), "the pause is a mail of the writer's task: " + mailbox.descriptions);
    }

    // ---- errors -------------------------------------------------------------------------------

    @Test
    void aPermanentErrorFromKinesisFailsTheNextRecordWithThatErrorAndSendsNothingMore() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        FakeConnectorWriter connector = connectorSink.writer();
        PermanentKinesisError refused = new PermanentKinesisError("Kinesis stream orders refused records for good", true);
        connector.account.fail(refused);

        assertSame(refused, assertThrows(PermanentKinesisError.class, () -> writer.write(record("b", "2"), INPUT_CONTEXT)));
        assertEquals(List.of("write a"), connector.calls);
    }

    @Test
    void aCheckpointAfterAPermanentErrorFailsAtOnceWithoutSendingMore() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        FakeConnectorWriter connector = connectorSink.writer();
        PermanentKinesisError refused = new PermanentKinesisError("Kinesis stream orders refused records for good", true);
        connector.account.fail(refused);

        assertSame(refused, assertThrows(PermanentKinesisError.class, () -> writer.flush(false)));
        assertEquals(List.of("write a"), connector.calls);
    }

    @Test
    void aPermanentErrorKinesisAnswersWhileTheCheckpointFlushesFailsTheCheckpoint() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        PermanentKinesisError refused = new PermanentKinesisError("Kinesis stream orders refused records for good", true);
        FakeConnectorWriter connector = connectorSink.writer();
        connector.duringFlush = () -> connector.account.fail(refused);

        assertSame(refused, assertThrows(PermanentKinesisError.class, () -> writer.flush(false)));
    }

    @Test
    void aStreamReshardedUnderAnAggregatingWriterFailsItNamingTheStreamSoTheJobRestarts() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer();
        connectorSink.writer().account.misplaced("a record for shardId-0 went to shardId-7");

        IOException error = assertThrows(IOException.class, () -> writer.write(record("a", "1"), INPUT_CONTEXT));
        assertEquals("Kinesis stream orders was resharded while the job wrote to it (a record for shardId-0 went to"
                + " shardId-7): restarting from the last checkpoint to aggregate for its new shards", error.getMessage());
        assertThrows(IOException.class, () -> writer.flush(false), "nor does a checkpoint complete");
    }

    // ---- memory -------------------------------------------------------------------------------

    @Test
    void withoutMemoryToSpareEachRecordWaitsUntilTheOneBeforeIsWritten() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(NONE_TO_SPARE, false, null);
        // Records of one byte with long keys: the key takes memory too.
        String key = "k".repeat(100);
        writer.write(record(key + "1", "x"), INPUT_CONTEXT);
        writer.write(record(key + "2", "x"), INPUT_CONTEXT);
        writer.write(record(key + "3", "x"), INPUT_CONTEXT);

        FakeConnectorWriter connector = connectorSink.writer();
        assertEquals(List.of("write " + key + "1", "flush true", "write " + key + "2", "flush true", "write " + key + "3"),
                connector.calls);
        assertEquals(List.of(key + "1", key + "2"), keys(connector.inKinesis));
        writer.close();
    }

    @Test
    void aWriterHoldsNothingAfterItsConnectorWroteEverythingEvenWhenNoAnswerWasAccountedFor() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(NONE_TO_SPARE, false, null);
        FakeConnectorWriter connector = connectorSink.writer();
        connector.interceptorReports = false;
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("b", "2"), INPUT_CONTEXT);
        writer.write(record("c", "3"), INPUT_CONTEXT);

        assertEquals(List.of("write a", "flush true", "write b", "flush true", "write c"), connector.calls,
                "each drain frees the writer's memory, or it would wait for ever");
        writer.close();
    }

    @Test
    void closingTheWriterClosesTheConnectorAndGivesItsMemoryBackToTheTaskManager() throws Exception {
        long pool = NONE_TO_SPARE.pool().get();
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(NONE_TO_SPARE, false, null);
        writer.write(record("a", "1"), INPUT_CONTEXT);
        assertTrue(NONE_TO_SPARE.pool().get() < pool, "the record was taken on credit from the pool");

        writer.close();

        assertTrue(connectorSink.writer().closed);
        assertEquals(pool, NONE_TO_SPARE.pool().get());
    }

    // ---- ordering: per_key --------------------------------------------------------------------

    @Test
    void withPerKeyOrderARecordWaitsUntilKinesisHasWrittenTheOneBeforeOfItsKey() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, true, null);
        FakeConnectorWriter connector = connectorSink.writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("a", "2"), INPUT_CONTEXT);
        writer.write(record("b", "1"), INPUT_CONTEXT);
        assertEquals(List.of("write a", "write b"), connector.writes(), "a's second record waits, b's goes");

        connector.kinesisWritesTheBuffer(); // a batch the connector sent on its own
        writer.write(record("c", "1"), INPUT_CONTEXT);

        assertEquals(List.of("write a", "write b", "write a", "write c"), connector.writes(),
                "the waiting record goes first at the next record");
        assertEquals("2", new String(connector.buffer.get(0).payload, StandardCharsets.UTF_8));
        SinkWriter.Context waited = connector.contexts.get(2);
        assertNull(waited.timestamp(), "a record that waited goes without a made-up timestamp");
        assertEquals(Long.MIN_VALUE, waited.currentWatermark(), "nor a made-up watermark");
        assertSame(INPUT_CONTEXT, connector.contexts.get(3), "a record that goes at once keeps its context");
    }

    @Test
    void aCheckpointWritesTheWaitingRecordsOneRoundPerRecordOfTheMostRepeatedKey() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, true, null);
        FakeConnectorWriter connector = connectorSink.writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("a", "2"), INPUT_CONTEXT);
        writer.write(record("a", "3"), INPUT_CONTEXT);
        writer.write(record("b", "1"), INPUT_CONTEXT);

        writer.flush(false);

        assertEquals(List.of("write a", "write b", "flush true", "write a", "flush true", "write a", "flush true"),
                connector.calls);
        assertEquals(List.of("a:1", "b:1", "a:2", "a:3"), userRecords(connector.inKinesis));
        assertEquals(List.of(), writer.snapshotState(1));
    }

    @Test
    void aPermanentErrorInALaterRoundOfTheCheckpointFailsIt() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, true, null);
        FakeConnectorWriter connector = connectorSink.writer();
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("a", "2"), INPUT_CONTEXT);
        writer.write(record("a", "3"), INPUT_CONTEXT);
        PermanentKinesisError refused = new PermanentKinesisError("Kinesis stream orders refused records for good", true);
        AtomicInteger flushes = new AtomicInteger();
        connector.duringFlush = () -> {
            if (flushes.incrementAndGet() == 2) {
                connector.account.fail(refused);
            }
        };

        assertSame(refused, assertThrows(PermanentKinesisError.class, () -> writer.flush(false)));
        assertEquals(List.of("write a", "flush true", "write a", "flush true"), connector.calls, "a:3 is not sent");
    }

    // ---- aggregation: kpl ---------------------------------------------------------------------

    /** A stream of {@code count} shards splitting the hash space evenly. */
    private static ShardMap shards(int count) {
        BigInteger step = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(count));
        List<ShardMap.Shard> shards = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            shards.add(new ShardMap.Shard("shardId-" + i, step.multiply(BigInteger.valueOf(i)).toString()));
        }
        return new ShardMap(shards);
    }

    /** A partition key that hashes to the shard. */
    private static String keyOn(ShardMap map, int shard) {
        for (int n = 0;; n++) {
            if (map.shardOf("key-" + n) == shard) {
                return "key-" + n;
            }
        }
    }

    private final List<String> shardListings = new ArrayList<>();

    private KplAggregation aggregation(int maxBytes, ShardMap map) {
        return new KplAggregation(maxBytes, MAX_AGE_MS, stream -> {
            shardListings.add(stream);
            return map;
        });
    }

    @Test
    void aCheckpointSendsTheOpenAggregatesAndWaitsUntilKinesisHasThem() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, false, aggregation(50_000, shards(1)));
        assertEquals(List.of(), shardListings, "a writer asks for the shards only when it gets records");
        writer.write(record("a", "1"), INPUT_CONTEXT);
        writer.write(record("b", "2"), INPUT_CONTEXT);
        writer.write(record("c", "3"), INPUT_CONTEXT);
        FakeConnectorWriter connector = connectorSink.writer();
        assertEquals(List.of(), connector.calls, "the records wait in their shard's aggregate");

        writer.flush(false);

        assertEquals(List.of(STREAM), shardListings, "asked once");
        assertEquals(1, connector.inKinesis.size(), "one Kinesis record");
        assertEquals(List.of("a:1", "b:2", "c:3"), userRecords(connector.inKinesis));
        assertEquals(3, metrics.counters.get(RecordEnveloper.STREAM_LABEL + "=" + STREAM + ".recordsAcknowledged").getCount(),
                "user records are counted, not aggregates");
    }

    @Test
    void anOpenAggregateGoesWhenItIsMaxAgeOldWithoutACheckpoint() throws Exception {
        ShardMap map = shards(2);
        String onFirst = keyOn(map, 0);
        String onSecond = keyOn(map, 1);
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, false, aggregation(50_000, map));
        FakeConnectorWriter connector = connectorSink.writer();
        time.now = 1_000;
        writer.write(record(onFirst, "1"), INPUT_CONTEXT);
        time.now = 2_000;
        writer.write(record(onSecond, "2"), INPUT_CONTEXT);
        writer.write(record(onFirst, "3"), INPUT_CONTEXT);
        assertEquals(List.of(6_000L), time.timersSet, "one timer at a time, for the oldest aggregate");

        time.advanceTo(5_999);
        assertEquals(List.of(), connector.calls);
        time.advanceTo(6_000);
        assertEquals(List.of(onFirst + ":1", onFirst + ":3"), userRecords(connector.buffer), "the first shard's aggregate");
        time.advanceTo(7_000);
        assertEquals(List.of(onFirst + ":1", onFirst + ":3", onSecond + ":2"), userRecords(connector.buffer));

        assertEquals(List.of(6_000L, 7_000L), time.timersSet);
        assertFalse(time.hasPendingTimers(), "no aggregate open, no timer");
    }

    @Test
    void anAggregateTimerAfterAPermanentErrorFailsTheWriterInsteadOfSending() throws Exception {
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, false, aggregation(50_000, shards(1)));
        writer.write(record("a", "1"), INPUT_CONTEXT);
        FakeConnectorWriter connector = connectorSink.writer();
        PermanentKinesisError refused = new PermanentKinesisError("Kinesis stream orders refused records for good", true);
        connector.account.fail(refused);

        assertSame(refused, assertThrows(PermanentKinesisError.class, () -> time.advanceTo(1_000 + MAX_AGE_MS)));
        assertEquals(List.of(), connector.calls);
    }

    @Test
    void openAggregatesGoOnceTheyHoldMoreThanAQuarterOfTheWritersShare() throws Exception {
        SinkMemory memory = SinkMemory.of(1, 13); // a share of 40,329 bytes: a quarter is about 10 KB
        ShardMap map = shards(16);
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(memory, false, aggregation(2_000, map));
        FakeConnectorWriter connector = connectorSink.writer();
        String payload = "p".repeat(500);
        // One record per shard in turn: no aggregate comes near 2,000 bytes, but together they grow.
        for (int i = 0; i < 16; i++) {
            writer.write(record(keyOn(map, i % 16), payload), INPUT_CONTEXT);
        }
        assertEquals(List.of(), connector.calls, "16 records, about 8.6 KB, stay open");
        for (int i = 16; i < 24; i++) {
            writer.write(record(keyOn(map, i % 16), payload), INPUT_CONTEXT);
        }
        int sent = userRecords(connector.buffer).size();
        assertTrue(sent >= 17 && sent < 24, "24 records, about 13 KB: the open aggregates went once over 10 KB; sent " + sent);
        writer.close();
    }

    @Test
    void anAggregateOfExactlyMaxBytesWaitsForItsShardsNextRecord() throws Exception {
        byte[] payload = "p".repeat(100).getBytes(StandardCharsets.UTF_8);
        KplAggregate two = new KplAggregate();
        two.add("a", payload);
        two.add("a", payload);
        int maxBytes = two.toBytes().length;
        SinkMemory memory = SinkMemory.of(1, 2000); // a share of 262 bytes: maxBytes is the larger limit
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(memory, false, aggregation(maxBytes, shards(1)));
        FakeConnectorWriter connector = connectorSink.writer();
        writer.write(new KinesisEnvelope(STREAM, "a", payload), INPUT_CONTEXT);
        writer.write(new KinesisEnvelope(STREAM, "a", payload), INPUT_CONTEXT);
        assertEquals(List.of(), connector.calls, "a full aggregate is within the limit");

        writer.write(new KinesisEnvelope(STREAM, "a", payload), INPUT_CONTEXT);
        assertEquals(1, connector.buffer.size());
        assertEquals(2, userRecords(connector.buffer).size(), "the next record closed it");
        writer.close();
    }

    @Test
    void withPerKeyOrderAnAggregatingWriterHasOneUnwrittenRecordPerShard() throws Exception {
        // Aggregates of one record each (two do not fit), all on one shard, with different keys.
        StatefulSinkWriter<KinesisEnvelope, String> writer = writer(ROOMY, true, aggregation(150, shards(1)));
        FakeConnectorWriter connector = connectorSink.writer();
        String payload = "p".repeat(100);
        writer.write(record("x", payload), INPUT_CONTEXT);
        writer.write(record("y", payload), INPUT_CONTEXT); // closes x's aggregate: x goes
        writer.write(record("z", payload), INPUT_CONTEXT); // closes y's: y waits, its shard has x unwritten

        assertEquals(List.of("write x"), connector.writes());
        writer.flush(false);
        assertEquals(List.of("x", "y", "z"), keys(connector.inKinesis));
    }
}
