package org.airbytekinesis.flink.sink;

import java.time.Duration;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.kinesis.sink.KinesisStreamsSink;

/**
 * Builds the Flink {@link KinesisStreamsSink} of one Kinesis stream, wrapped so that every
 * checkpoint flushes it, its memory is bounded in bytes and its errors are classified
 * ({@link FlushOnCheckpointSink}, {@link PutRecordsInterceptor}). {@code bufferSize} is the
 * PutRecords batch size.
 *
 * <p><b>Request size.</b> Kinesis counts data plus partition key toward the 5 MiB of a PutRecords
 * request; the connector sizes a batch by data alone, and a request over the limit is rejected
 * whole, retried, rebuilt identically and rejected again, for ever. So a batch's data is capped
 * at 5 MiB less room for the keys of a full batch: {@code bufferSize} times the longest key the
 * stream can get. Whatever the record size, key length or {@code bufferSize}, no request is over.
 */
public final class KinesisSinks {
    /** PutRecords accepts at most 5 MiB per request, data and partition keys together. */
    static final long REQUEST_LIMIT_BYTES = 5L * 1024 * 1024;
    /** Record partition keys are {@code _airbyte_ab_id}s by default: UUIDs, 36 ASCII characters. */
    static final int RECORD_KEY_BYTES = 36;
    /** Any partition key: at most 256 Unicode characters of up to 4 bytes (dead letters, keys from data). */
    static final int ANY_KEY_BYTES = 256 * 4;
    /** How long a record waits in the connector's buffer, and at most in an open aggregate. */
    static final long MAX_TIME_IN_BUFFER_MS = 5_000;

    private final KinesisConnection connection;
    private final int bufferSize;
    private final int maxRecordSizeBytes;
    private final SinkMemory memory;
    private final Duration retryDeadline;
    private final int recordKeyBytes;
    private final boolean perKeyOrder;
    /** The largest aggregate with {@code aggregation: kpl}; 0 writes records one by one. */
    private final int aggregateMaxBytes;

    /** With the config's defaults for memory and retries; for tests. */
    public KinesisSinks(KinesisConnection connection, int bufferSize, int maxRecordSizeBytes) {
        this(connection, bufferSize, maxRecordSizeBytes, SinkMemory.of(SinkMemory.DEFAULT_BUDGET_MB, 1),
                Duration.ofSeconds(DestinationConfig.DEFAULT_RETRY_DEADLINE_SECONDS));
    }

    public KinesisSinks(KinesisConnection connection, int bufferSize, int maxRecordSizeBytes, SinkMemory memory,
            Duration retryDeadline) {
        this(connection, bufferSize, maxRecordSizeBytes, memory, retryDeadline, RECORD_KEY_BYTES, false, 0);
    }

    private KinesisSinks(KinesisConnection connection, int bufferSize, int maxRecordSizeBytes, SinkMemory memory,
            Duration retryDeadline, int recordKeyBytes, boolean perKeyOrder, int aggregateMaxBytes) {
        this.connection = connection;
        this.bufferSize = bufferSize;
        this.maxRecordSizeBytes = maxRecordSizeBytes;
        this.memory = memory;
        this.retryDeadline = retryDeadline;
        this.recordKeyBytes = recordKeyBytes;
        this.perKeyOrder = perKeyOrder;
        this.aggregateMaxBytes = aggregateMaxBytes;
    }

    /** Sinks whose records are keyed by values from their data ({@code partitionKey}), up to 256 characters. */
    public KinesisSinks withKeysFromData() {
        return new KinesisSinks(connection, bufferSize, maxRecordSizeBytes, memory, retryDeadline, ANY_KEY_BYTES, perKeyOrder,
                aggregateMaxBytes);
    }

    /** Sinks that write the records of one key in input order ({@code ordering: per_key}, {@link KeyOrder}). */
    public KinesisSinks withPerKeyOrder() {
        return new KinesisSinks(connection, bufferSize, maxRecordSizeBytes, memory, retryDeadline, recordKeyBytes, true,
                aggregateMaxBytes);
    }

    /**
     * Sinks that pack a stream's records into KPL aggregates of up to {@code maxBytes}
     * ({@code aggregation: kpl}), within the record limit beside the aggregate's key. Dead
     * letters are not aggregated.
     */
    public KinesisSinks withKplAggregation(int maxBytes) {
        return new KinesisSinks(connection, bufferSize, maxRecordSizeBytes, memory, retryDeadline, recordKeyBytes,
                perKeyOrder, Math.min(maxBytes, maxRecordSizeBytes - recordKeyBytes));
    }

    /** The sink of a catalog stream's Kinesis stream. */
    public Sink<KinesisEnvelope> forStream(String kinesisStream) {
        KplAggregation aggregation = aggregateMaxBytes == 0 ? null
                : new KplAggregation(aggregateMaxBytes, MAX_TIME_IN_BUFFER_MS, ShardMapLoader.of(connection));
        return build(kinesisStream, recordKeyBytes, perKeyOrder, aggregation);
    }

    /** The sink of the dead-letter stream, whose keys are {@code source:line}. */
    public Sink<KinesisEnvelope> forDeadLetters(String kinesisStream) {
        return build(kinesisStream, ANY_KEY_BYTES, false, null);
    }

    private Sink<KinesisEnvelope> build(String kinesisStream, int maxKeyBytes, boolean inKeyOrder,
            KplAggregation aggregation) {
        return new FlushOnCheckpointSink<>(KinesisStreamsSink.<KinesisEnvelope>builder()
                .setKinesisClientProperties(connection.clientProperties())
                .setStreamName(kinesisStream)
                .setSerializationSchema(new EnvelopeSerialization.Payload())
                .setPartitionKeyGenerator(new EnvelopeSerialization.PartitionKey())
                .setMaxBatchSize(bufferSize)
                .setMaxRecordSizeInBytes(maxRecordSizeBytes)
                .setMaxBatchSizeInBytes(batchDataBytes(bufferSize, maxRecordSizeBytes, maxKeyBytes))
                .setMaxTimeInBufferMS(MAX_TIME_IN_BUFFER_MS)
                .setFailOnError(false)
                .build(), kinesisStream, memory, retryDeadline, inKeyOrder, aggregation);
    }

    /**
     * The most data one batch may carry, so that data plus keys stays within the request limit.
     * An account whose record limit was raised above what fits beside the keys gets requests as
     * large as one such record (the connector needs a batch to hold at least one record).
     */
    static long batchDataBytes(int bufferSize, int maxRecordSizeBytes, int maxKeyBytes) {
        long keys = (long) bufferSize * maxKeyBytes;
        return Math.max(REQUEST_LIMIT_BYTES - keys, maxRecordSizeBytes);
    }
}
