package org.airbytekinesis.flink.envelope;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Kinesis record on its way to a stream: the target stream, the partition key and the
 * envelope's UTF-8 JSON bytes. A Flink POJO, so it is serialised without Kryo.
 */
public class KinesisEnvelope {
    /** The Kinesis stream this record goes to. */
    public String kinesisStream;
    /** The record's partition key: its {@code _airbyte_ab_id}, or a value of its data ({@code partitionKey}). */
    public String partitionKey;
    /** The envelope JSON, UTF-8. */
    public byte[] payload;

    public KinesisEnvelope() {}

    public KinesisEnvelope(String kinesisStream, String partitionKey, byte[] payload) {
        this.kinesisStream = kinesisStream;
        this.partitionKey = partitionKey;
        this.payload = payload;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KinesisEnvelope)) {
            return false;
        }
        KinesisEnvelope other = (KinesisEnvelope) o;
        return Objects.equals(kinesisStream, other.kinesisStream)
                && Objects.equals(partitionKey, other.partitionKey)
                && Arrays.equals(payload, other.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kinesisStream, partitionKey) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "KinesisEnvelope{" + kinesisStream + ", " + partitionKey + ", " + payload.length + " bytes}";
    }
}
