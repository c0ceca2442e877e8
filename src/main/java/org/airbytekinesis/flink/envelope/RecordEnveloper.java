package org.airbytekinesis.flink.envelope;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.airbytekinesis.flink.BadInputException;
import org.airbytekinesis.flink.airbyte.AirbyteMessageScanner;
import org.airbytekinesis.flink.airbyte.FieldPath;
import org.airbytekinesis.flink.airbyte.MalformedMessageException;
import org.airbytekinesis.flink.airbyte.ScannedMessage;
import org.airbytekinesis.flink.airbyte.Utf8;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.IdMode;
import org.airbytekinesis.flink.deadletter.DeadLetter;
import org.airbytekinesis.flink.deadletter.DeadLetterReason;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.DestinationStats;
import org.airbytekinesis.flink.state.StateMessage;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.MetricGroup;
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
 * are skipped. A line that cannot be delivered (not a valid AirbyteMessage, a record of a stream
 * the catalog lacks, a record without the field its partition key is read from, an envelope
 * over the size limit) goes to the {@link #DEAD_LETTERS} side output with its reason, or, with
 * {@code onBadInput: fail}, stops the job naming file and line.
 * Every line is counted once: lines = records + dead letters + skipped.
 *
 * <p>The record counts since the last STATE are kept per input and are not part of this
 * operator's state: after a restore the file reader replays the lines before its restored
 * position ({@link InputLine#REPLAYED}), which are counted here exactly as the first time and
 * sent nowhere. So the counts follow the input they count, whatever parallelism the job is
 * restored with. An input's counts are dropped at its end ({@link InputLine#END_OF_FILE}),
 * whose marker goes on to the STATE releaser.
 */
public class RecordEnveloper extends ProcessFunction<InputLine, KinesisEnvelope> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RecordEnveloper.class);

    /** STATE messages, in input order per source. */
    public static final OutputTag<StateMessage> STATES =
            new OutputTag<>("airbyte-states", TypeInformation.of(StateMessage.class));

    /** Lines that cannot be delivered, with their reason. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    /** Accumulator of input lines read. */
    public static final String LINES_ACCUMULATOR = "lines";
    /** Accumulator of RECORD lines enveloped, over all streams. */
    public static final String RECORDS_ACCUMULATOR = "records";
    /** Accumulator of input bytes read: each line's bytes and one for its end. */
    public static final String BYTES_READ_ACCUMULATOR = "bytes-read";
    /** Accumulator of blank lines. */
    public static final String BLANK_ACCUMULATOR = "blank-lines";
    /** Prefix of the per-reason dead-letter accumulators. */
    public static final String DEAD_LETTER_ACCUMULATOR_PREFIX = "dead-letter:";
    /** Prefix of the per-Kinesis-stream record accumulators. */
    public static final String STREAM_ACCUMULATOR_PREFIX = "records:";
    /** Prefix of the accumulators of messages that are not records, by type. */
    public static final String MESSAGE_TYPE_ACCUMULATOR_PREFIX = "messages:";
    /** Prefix of the per-Kinesis-stream accumulators of envelope bytes (the Kinesis records' data). */
    public static final String BYTES_ACCUMULATOR_PREFIX = "bytes:";

    /** Metric label keys: reporters show {@code records{stream="..."}}, one series per value. */
    public static final String STREAM_LABEL = "stream";
    public static final String REASON_LABEL = "reason";
    public static final String TYPE_LABEL = "type";

    /** The protocol's message types besides RECORD and STATE. */
    private static final java.util.Set<String> KNOWN_TYPES =
            java.util.Set.of("LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL", "DESTINATION_CATALOG");

    /** Key of the count of all records since the last STATE of any kind. */
    private static final String ALL_STREAMS = "";

    private final StreamRoutes routes;
    private final EnvelopeSettings settings;

    private transient AirbyteMessageScanner scanner;
    private transient EnvelopeWriter writer;
    private transient PartitionKeyReader keyReader;
    private transient Map<String, Counter> counters;
    private transient Counter lines;
    private transient Counter bytesRead;
    private transient Counter records;
    private transient Map<String, Counter> recordsByStream;
    private transient Map<String, Counter> bytesByStream;
    private transient MessageDigest md5;
    private transient String lastSourceId;
    private transient byte[] lastSourceIdBytes;
    /** Records since the last state, per input: per Kinesis stream, and in all under {@link #ALL_STREAMS}. */
    private transient Map<String, Map<String, Long>> sinceLastState;

    public RecordEnveloper(StreamRoutes routes, EnvelopeSettings settings) {
        this.routes = routes;
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) throws NoSuchAlgorithmException {
        scanner = new AirbyteMessageScanner();
        writer = new EnvelopeWriter(settings.dataFormat());
        keyReader = new PartitionKeyReader();
        md5 = MessageDigest.getInstance("MD5");
        sinceLastState = new HashMap<>();
        counters = new HashMap<>();
        lines = counter(LINES_ACCUMULATOR);
        bytesRead = counter(BYTES_READ_ACCUMULATOR);
        records = counter(RECORDS_ACCUMULATOR);
        recordsByStream = new HashMap<>();
        bytesByStream = new HashMap<>();
        for (String kinesisStream : routes.kinesisStreams().values()) {
            // Every stream is in the summary, 0 or not; looked up per record without building names.
            recordsByStream.put(kinesisStream, counter(STREAM_ACCUMULATOR_PREFIX + kinesisStream));
            bytesByStream.put(kinesisStream, counter(BYTES_ACCUMULATOR_PREFIX + kinesisStream));
        }
    }

    @Override
    public void processElement(InputLine line, Context ctx, Collector<KinesisEnvelope> out) {
        if (line.kind == InputLine.END_OF_FILE) {
            sinceLastState.remove(line.sourceId);
            ctx.output(STATES, StateMessage.inputCompleted(line.source, line.lineNumber,
                    new String(line.bytes, StandardCharsets.UTF_8)));
            return;
        }
        if (line.kind == InputLine.REPLAYED) {
            recount(line);
            return;
        }
        lines.add(1);
        bytesRead.add(line.bytes.length + 1L);
        ScannedMessage message;
        try {
            message = scanner.scan(line.bytes, line.bytes.length);
        } catch (MalformedMessageException e) {
            reject(line, e.reason(), e.getMessage(), ctx);
            return;
        }
        if (message.isBlank()) {
            counter(BLANK_ACCUMULATOR).add(1);
        } else if (message.isRecord()) {
            envelope(line, message, ctx, out);
        } else if (message.isState()) {
            counter(MESSAGE_TYPE_ACCUMULATOR_PREFIX + message.type()).add(1);
            ctx.output(STATES, stateWithStats(line, message));
        } else {
            countOther(line, message);
        }
    }

    /**
     * A line read again after a restore: its record, or its STATE, moves the counts as the first
     * time; nothing is sent, dead-lettered or counted in the metrics (that was done before).
     */
    private void recount(InputLine line) {
        ScannedMessage message;
        try {
            message = scanner.scan(line.bytes, line.bytes.length);
        } catch (MalformedMessageException e) {
            return;
        }
        if (message.isRecord()) {
            String kinesisStream = routes.kinesisStreamFor(message.namespace(), message.stream());
            if (kinesisStream == null) {
                return;
            }
            String id = settings.idMode() == IdMode.POSITION ? positionId(line) : randomUuid();
            String key = partitionKey(line, message, kinesisStream, id);
            if (key != null && !tooLarge(id, key, line, message)) {
                countRecord(line, kinesisStream);
            }
        } else if (message.isState()) {
            takeRecordCount(line, message);
        }
    }

    /** Whether the record's envelope and key would be over the limit (its size does not depend on the id chosen). */
    private boolean tooLarge(String id, String key, InputLine line, ScannedMessage message) {
        return writer.write(id, emittedAt(message), line.bytes, message.dataStart(), message.dataEnd()).length
                + Utf8.encodedLength(key) > settings.maxRecordSizeBytes();
    }

    /** The record's partition key: its id, or read from its data; null when the data lacks it. */
    private String partitionKey(InputLine line, ScannedMessage message, String kinesisStream, String id) {
        List<FieldPath> fields = settings.partitionKeys().of(kinesisStream);
        return fields.isEmpty() ? id : keyReader.read(line.bytes, message.dataStart(), message.dataEnd(), fields);
    }

    private void countRecord(InputLine line, String kinesisStream) {
        Map<String, Long> counts = countsOf(line);
        counts.merge(kinesisStream, 1L, Long::sum);
        counts.merge(ALL_STREAMS, 1L, Long::sum);
    }

    /** The protocol requires emitted_at; a record without one gets the time it was read. */
    private static String emittedAt(ScannedMessage message) {
        return message.emittedAt() != null ? message.emittedAt() : Long.toString(System.currentTimeMillis());
    }

    private void envelope(InputLine line, ScannedMessage message, Context ctx, Collector<KinesisEnvelope> out) {
        String kinesisStream = routes.kinesisStreamFor(message.namespace(), message.stream());
        if (kinesisStream == null) {
            reject(line, DeadLetterReason.STREAM_NOT_IN_CATALOG,
                    routes.describeMissing(message.namespace(), message.stream()), ctx);
            return;
        }
        String id = settings.idMode() == IdMode.POSITION ? positionId(line) : randomUuid();
        String key = partitionKey(line, message, kinesisStream, id);
        if (key == null) {
            reject(line, DeadLetterReason.MISSING_PARTITION_KEY, "no partition key for Kinesis stream " + kinesisStream
                    + ": " + keyReader.problem() + " (partitionKey)", ctx);
            return;
        }
        byte[] payload = writer.write(id, emittedAt(message), line.bytes, message.dataStart(), message.dataEnd());
        // Kinesis counts the partition key into the record size.
        if (payload.length + Utf8.encodedLength(key) > settings.maxRecordSizeBytes()) {
            reject(line, DeadLetterReason.RECORD_TOO_LARGE, "the envelope of this record is " + payload.length
                    + " bytes; at most " + settings.maxRecordSizeBytes()
                    + " bytes per record including its partition key are accepted (maxRecordSizeBytes)", ctx);
            return;
        }
        records.add(1);
        recordsByStream.get(kinesisStream).add(1);
        bytesByStream.get(kinesisStream).add(payload.length);
        countRecord(line, kinesisStream);
        out.collect(new KinesisEnvelope(kinesisStream, key, payload));
    }

    private void reject(InputLine line, DeadLetterReason reason, String why, Context ctx) {
        if (settings.badInputPolicy() == BadInputPolicy.FAIL) {
            throw new BadInputException(line.source, line.lineNumber, why);
        }
        counter(DEAD_LETTER_ACCUMULATOR_PREFIX + reason.code()).add(1);
        ctx.output(DEAD_LETTERS, new DeadLetter(reason, why, line.source, line.lineNumber, line.bytes));
    }

    /**
     * An accumulator (for the end-of-run summary) and a Flink metric of the same count. Counts
     * per stream, reason or type are one metric name in a labelled group ({@code addGroup(key,
     * value)}), so reporters show one series per label value rather than one name per stream.
     */
    private Counter counter(String name) {
        Counter counter = counters.get(name);
        if (counter == null) {
            counter = new Counter(getRuntimeContext().getLongCounter(name), metric(getRuntimeContext().getMetricGroup(), name));
            counters.put(name, counter);
        }
        return counter;
    }

    /** The metric of an accumulator name: {@code records:_users} is {@code records} with {@code stream="_users"}. */
    static org.apache.flink.metrics.Counter metric(MetricGroup group, String accumulatorName) {
        if (accumulatorName.startsWith(STREAM_ACCUMULATOR_PREFIX)) {
            return group.addGroup(STREAM_LABEL, accumulatorName.substring(STREAM_ACCUMULATOR_PREFIX.length())).counter("records");
        }
        if (accumulatorName.startsWith(BYTES_ACCUMULATOR_PREFIX)) {
            return group.addGroup(STREAM_LABEL, accumulatorName.substring(BYTES_ACCUMULATOR_PREFIX.length())).counter("bytes");
        }
        if (accumulatorName.startsWith(DEAD_LETTER_ACCUMULATOR_PREFIX)) {
            return group.addGroup(REASON_LABEL, accumulatorName.substring(DEAD_LETTER_ACCUMULATOR_PREFIX.length()))
                    .counter("deadLetters");
        }
        if (accumulatorName.startsWith(MESSAGE_TYPE_ACCUMULATOR_PREFIX)) {
            return group.addGroup(TYPE_LABEL, accumulatorName.substring(MESSAGE_TYPE_ACCUMULATOR_PREFIX.length()))
                    .counter("messages");
        }
        switch (accumulatorName) {
            case BLANK_ACCUMULATOR:
                return group.counter("blankLines");
            case BYTES_READ_ACCUMULATOR:
                return group.counter("bytesRead");
            default:
                return group.counter(accumulatorName);
        }
    }

    /**
     * A STREAM state counts the records of its own stream since that stream's last state; a
     * GLOBAL or LEGACY state counts every record since the last state and covers all streams.
     * Counts are per input: files read side by side do not count into each other's states.
     */
    private StateMessage stateWithStats(InputLine line, ScannedMessage message) {
        byte[] json = DestinationStats.withRecordCount(line.bytes, message.stateStart(), message.stateEnd(),
                takeRecordCount(line, message), message.stateHasDestinationStats());
        return new StateMessage(line.source, line.lineNumber, json);
    }

    /** The records this STATE counts, which start counting anew after it. */
    private long takeRecordCount(InputLine line, ScannedMessage message) {
        long recordCount;
        if ("STREAM".equals(message.stateType())) {
            String kinesisStream = message.stateStreamName() == null
                    ? null
                    : routes.kinesisStreamFor(message.stateStreamNamespace(), message.stateStreamName());
            Map<String, Long> counts = countsOf(line);
            Long count = kinesisStream == null ? null : counts.remove(kinesisStream);
            recordCount = count == null ? 0 : count;
            counts.remove(ALL_STREAMS);
        } else {
            Map<String, Long> counts = sinceLastState.remove(line.sourceId);
            recordCount = counts == null ? 0 : counts.getOrDefault(ALL_STREAMS, 0L);
        }
        return recordCount;
    }

    /** An input's record counts since its last state: per Kinesis stream, and {@link #ALL_STREAMS}. */
    private Map<String, Long> countsOf(InputLine line) {
        return sinceLastState.computeIfAbsent(line.sourceId, s -> new HashMap<>());
    }

    private void countOther(InputLine line, ScannedMessage message) {
        if (!KNOWN_TYPES.contains(message.type()) && !counters.containsKey(MESSAGE_TYPE_ACCUMULATOR_PREFIX + message.type())) {
            // Types are case-sensitive: a "record" is not a RECORD. Counted, and said once.
            LOG.warn("{} line {}: unknown message type \"{}\" (counted, not sent to Kinesis)",
                    line.source, line.lineNumber, message.type());
        }
        counter(MESSAGE_TYPE_ACCUMULATOR_PREFIX + message.type()).add(1);
        if ("TRACE".equals(message.type()) && "ERROR".equals(message.traceType())) {
            LOG.warn("The source reported an error ({} line {}): {}", line.source, line.lineNumber,
                    message.traceErrorMessage());
        }
    }

    /**
     * A name-based UUID (version 3, as {@link UUID#nameUUIDFromBytes}) of where the record was
     * read, {@code sourceId + "\n" + lineNumber}: a replay of the same input gives the same id,
     * so consumers can drop duplicates; MD5 spreads the ids, and so the partition keys, evenly
     * over the shards. The digest and the source's bytes are kept, not made per record.
     */
    private String positionId(InputLine line) {
        if (line.sourceId != lastSourceId) {
            lastSourceId = line.sourceId;
            lastSourceIdBytes = (line.sourceId + "\n").getBytes(StandardCharsets.UTF_8);
        }
        md5.update(lastSourceIdBytes);
        md5.update(Long.toString(line.lineNumber).getBytes(StandardCharsets.US_ASCII));
        byte[] hash = md5.digest();
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x30);
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (hash[i] & 0xff);
            lsb = (lsb << 8) | (hash[i + 8] & 0xff);
        }
        return new UUID(msb, lsb).toString();
    }

    /** A version-4 UUID without SecureRandom's cost; ids need to be unique and spread, not secret. */
    static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    /** One count, kept both as an accumulator and as a metric. */
    private static final class Counter {
        private final LongCounter accumulator;
        private final org.apache.flink.metrics.Counter metric;

        Counter(LongCounter accumulator, org.apache.flink.metrics.Counter metric) {
            this.accumulator = accumulator;
            this.metric = metric;
        }

        void add(long n) {
            accumulator.add(n);
            metric.inc(n);
        }
    }
}
