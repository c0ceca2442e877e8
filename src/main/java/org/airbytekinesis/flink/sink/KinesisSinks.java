package org.airbytekinesis.flink.sink;

import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.kinesis.sink.KinesisStreamsSink;

/**
 * Builds the Flink {@link KinesisStreamsSink} of one Kinesis stream. {@code bufferSize} is the
 * PutRecords batch size; the connector's byte, time and in-flight limits stay at their defaults.
 * Failed entries of a partly failed PutRecords are retried by the connector, and errors it does
 * not consider fatal are retried rather than failing the job. Every checkpoint flushes the sink
 * ({@link FlushOnCheckpointSink}), so a completed checkpoint means the records are in Kinesis.
 */
public final class KinesisSinks {
    /** The connector's default batch byte limit (PutRecords accepts 5 MiB per call). */
    private static final long DEFAULT_MAX_BATCH_BYTES = 5L * 1024 * 1024;

    private final KinesisConnection connection;
    private final int bufferSize;
    private final int maxRecordSizeBytes;

    public KinesisSinks(KinesisConnection connection, int bufferSize, int maxRecordSizeBytes) {
        this.connection = connection;
        this.bufferSize = bufferSize;
        this.maxRecordSizeBytes = maxRecordSizeBytes;
    }

    public Sink<KinesisEnvelope> forStream(String kinesisStream) {
        return new FlushOnCheckpointSink<>(KinesisStreamsSink.<KinesisEnvelope>builder()
                .setKinesisClientProperties(connection.clientProperties())
                .setStreamName(kinesisStream)
                .setSerializationSchema(new EnvelopeSerialization.Payload())
                .setPartitionKeyGenerator(new EnvelopeSerialization.PartitionKey())
                .setMaxBatchSize(bufferSize)
                .setMaxRecordSizeInBytes(maxRecordSizeBytes)
                // A batch must hold at least one record of the largest size.
                .setMaxBatchSizeInBytes(Math.max(DEFAULT_MAX_BATCH_BYTES, maxRecordSizeBytes))
                .setFailOnError(false)
                .build());
    }
}
