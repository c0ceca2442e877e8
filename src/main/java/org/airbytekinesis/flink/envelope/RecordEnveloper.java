package org.airbytekinesis.flink.envelope;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.airbytekinesis.flink.BadInputException;
import org.airbytekinesis.flink.airbyte.AirbyteMessageScanner;
import org.airbytekinesis.flink.airbyte.MalformedMessageException;
import org.airbytekinesis.flink.airbyte.ScannedMessage;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.DestinationStats;
import org.airbytekinesis.flink.state.StateMessage;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads each AirbyteMessage line: a RECORD becomes its Kinesis envelope, addressed to the
 * record's Kinesis stream; a STATE goes to the {@link #STATES} side output with
 * {@code destinationStats.recordCount} added; every other type (LOG, TRACE, CONTROL, unknown) is
 * counted and not sent anywhere, and a source's TRACE ERROR is logged as a warning. Blank lines
 * are skipped. A line that is not a valid AirbyteMessage, or a record of a stream the catalog
 * lacks, stops the job with an error naming the file and line.
 *
 * <p>The record counts since the last STATE are checkpointed with the input position, so a
 * restored job counts on from where the checkpoint left off.
 */
public class RecordEnveloper extends ProcessFunction<InputLine, KinesisEnvelope> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RecordEnveloper.class);

    /** STATE messages, in input order per source. */
    public static final OutputTag<StateMessage> STATES =
            new OutputTag<>("airbyte-states", TypeInformation.of(StateMessage.class));

    /** Accumulator of RECORD lines enveloped, over all streams. */
    public static final String RECORDS_ACCUMULATOR = "records";
    /** Prefix of the per-Kinesis-stream record accumulators. */
    public static final String STREAM_ACCUMULATOR_PREFIX = "records:";
    /** Prefix of the accumulators of messages that are not records, by type. */
    public static final String MESSAGE_TYPE_ACCUMULATOR_PREFIX = "messages:";

    /** Kinesis accepts at most 1 MiB of data plus partition key per record. */
    public static final int MAX_KINESIS_RECORD_BYTES = 1024 * 1024;

    /** Key of the count of all records since the last STATE of any kind. */
    private static final String ALL_STREAMS = "";

    private final StreamRoutes routes;
    private final DataFormat dataFormat;

    private transient AirbyteMessageScanner scanner;
    private transient EnvelopeWriter writer;
    private transient LongCounter records;
    private transient Map<String, LongCounter> recordsByStream;
    private transient Map<String, LongCounter> messagesByType;
    /** Records since the last state: per Kinesis stream, and in all under {@link #ALL_STREAMS}. */
    private transient Map<String, Long> sinceLastState;
    private transient ListState<Tuple2<String, Long>> checkpointedCounts;

    public RecordEnveloper(StreamRoutes routes, DataFormat dataFormat) {
        this.routes = routes;
        this.dataFormat = dataFormat;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointedCounts = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("records-since-last-state", Types.TUPLE(Types.STRING, Types.LONG)));
        sinceLastState = new HashMap<>();
        for (Tuple2<String, Long> count : checkpointedCounts.get()) {
            sinceLastState.merge(count.f0, count.f1, Long::sum);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointedCounts.clear();
        for (Map.Entry<String, Long> count : sinceLastState.entrySet()) {
            checkpointedCounts.add(Tuple2.of(count.getKey(), count.getValue()));
        }
    }

    @Override
    public void open(OpenContext openContext) {
        scanner = new AirbyteMessageScanner();
        writer = new EnvelopeWriter(dataFormat);
        records = getRuntimeContext().getLongCounter(RECORDS_ACCUMULATOR);
        recordsByStream = new HashMap<>();
        for (String kinesisStream : routes.kinesisStreams().values()) {
            recordsByStream.put(kinesisStream, getRuntimeContext().getLongCounter(STREAM_ACCUMULATOR_PREFIX + kinesisStream));
        }
        messagesByType = new HashMap<>();
    }

    @Override
    public void processElement(InputLine line, Context ctx, Collector<KinesisEnvelope> out) {
        ScannedMessage message;
        try {
            message = scanner.scan(line.bytes, line.bytes.length);
        } catch (MalformedMessageException e) {
            throw new BadInputException(line.source, line.lineNumber, e.getMessage());
        }
        if (message.isBlank()) {
            return;
        }
        if (message.isRecord()) {
            out.collect(envelope(line, message));
        } else if (message.isState()) {
            ctx.output(STATES, stateWithStats(line, message));
        } else {
            countOther(line, message);
        }
    }

    private KinesisEnvelope envelope(InputLine line, ScannedMessage message) {
        String kinesisStream = routes.kinesisStreamFor(message.namespace(), message.stream());
        if (kinesisStream == null) {
            throw new BadInputException(line.source, line.lineNumber,
                    routes.describeMissing(message.namespace(), message.stream()));
        }
        String id = randomUuid();
        // The protocol requires emitted_at; a record without one gets the time it was read.
        String emittedAt = message.emittedAt() != null
                ? message.emittedAt()
                : Long.toString(System.currentTimeMillis());
        byte[] payload = writer.write(id, emittedAt, line.bytes, message.dataStart(), message.dataEnd());
        if (payload.length + id.length() > MAX_KINESIS_RECORD_BYTES) {
            throw new BadInputException(line.source, line.lineNumber, "the envelope of this record is "
                    + payload.length + " bytes; Kinesis accepts at most " + MAX_KINESIS_RECORD_BYTES
                    + " bytes per record including its partition key");
        }
        records.add(1);
        recordsByStream.get(kinesisStream).add(1);
        sinceLastState.merge(kinesisStream, 1L, Long::sum);
        sinceLastState.merge(ALL_STREAMS, 1L, Long::sum);
        return new KinesisEnvelope(kinesisStream, id, payload);
    }

    /**
     * A STREAM state counts the records of its own stream since that stream's last state; a
     * GLOBAL or LEGACY state counts every record since the last state and covers all streams.
     */
    private StateMessage stateWithStats(InputLine line, ScannedMessage message) {
        long recordCount;
        if ("STREAM".equals(message.stateType())) {
            String kinesisStream = message.stateStreamName() == null
                    ? null
                    : routes.kinesisStreamFor(message.stateStreamNamespace(), message.stateStreamName());
            Long count = kinesisStream == null ? null : sinceLastState.remove(kinesisStream);
            recordCount = count == null ? 0 : count;
            sinceLastState.remove(ALL_STREAMS);
        } else {
            recordCount = sinceLastState.getOrDefault(ALL_STREAMS, 0L);
            sinceLastState.clear();
        }
        byte[] json = DestinationStats.withRecordCount(line.bytes, message.stateStart(), message.stateEnd(),
                recordCount, message.stateHasDestinationStats());
        return new StateMessage(line.source, line.lineNumber, json);
    }

    private void countOther(InputLine line, ScannedMessage message) {
        String type = message.type();
        messagesByType
                .computeIfAbsent(type, t -> getRuntimeContext().getLongCounter(MESSAGE_TYPE_ACCUMULATOR_PREFIX + t))
                .add(1);
        if ("TRACE".equals(type) && "ERROR".equals(message.traceType())) {
            LOG.warn("The source reported an error ({} line {}): {}", line.source, line.lineNumber,
                    message.traceErrorMessage());
        }
    }

    /** A version-4 UUID without SecureRandom's cost; ids need to be unique and spread, not secret. */
    static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
