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
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Turns each RECORD line into its Kinesis envelope, addressed to the record's Kinesis stream.
 * Blank lines and other message types are skipped (they carry no data for Kinesis). A line that
 * is not a valid AirbyteMessage, or a record of a stream the catalog lacks, stops the job with
 * an error naming the file and line.
 */
public class RecordEnveloper extends RichFlatMapFunction<InputLine, KinesisEnvelope> {
    private static final long serialVersionUID = 1L;

    /** Accumulator of RECORD lines enveloped, over all streams. */
    public static final String RECORDS_ACCUMULATOR = "records";
    /** Prefix of the per-Kinesis-stream record accumulators. */
    public static final String STREAM_ACCUMULATOR_PREFIX = "records:";

    /** Kinesis accepts at most 1 MiB of data plus partition key per record. */
    public static final int MAX_KINESIS_RECORD_BYTES = 1024 * 1024;

    private final StreamRoutes routes;
    private final DataFormat dataFormat;

    private transient AirbyteMessageScanner scanner;
    private transient EnvelopeWriter writer;
    private transient LongCounter records;
    private transient Map<String, LongCounter> recordsByStream;

    public RecordEnveloper(StreamRoutes routes, DataFormat dataFormat) {
        this.routes = routes;
        this.dataFormat = dataFormat;
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
    }

    @Override
    public void flatMap(InputLine line, Collector<KinesisEnvelope> out) {
        ScannedMessage message;
        try {
            message = scanner.scan(line.bytes, line.bytes.length);
        } catch (MalformedMessageException e) {
            throw new BadInputException(line.source, line.lineNumber, e.getMessage());
        }
        if (!message.isRecord()) {
            return;
        }
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
        out.collect(new KinesisEnvelope(kinesisStream, id, payload));
    }

    /** A version-4 UUID without SecureRandom's cost; ids need to be unique and spread, not secret. */
    static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
