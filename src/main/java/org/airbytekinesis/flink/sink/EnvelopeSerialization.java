package org.airbytekinesis.flink.sink;

import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kinesis.sink.PartitionKeyGenerator;

/** The sink's view of an envelope: its payload is the record data, its id the partition key. */
final class EnvelopeSerialization {
    private EnvelopeSerialization() {}

    static final class Payload implements SerializationSchema<KinesisEnvelope> {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] serialize(KinesisEnvelope envelope) {
            return envelope.payload;
        }
    }

    static final class PartitionKey implements PartitionKeyGenerator<KinesisEnvelope> {
        private static final long serialVersionUID = 1L;

        @Override
        public String apply(KinesisEnvelope envelope) {
            return envelope.partitionKey;
        }
    }
}
