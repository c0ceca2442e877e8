package org.airbytekinesis.flink.testing;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/** Kinesis records read back as a KCL 3 consumer reads them: deaggregated by KCL 3's {@link AggregatorUtil}. */
public final class Deaggregation {
    private Deaggregation() {}

    /** The user records in these Kinesis records (plain ones pass through as they are). */
    public static List<KinesisClientRecord> userRecords(List<Record> kinesisRecords) {
        return new AggregatorUtil().deaggregate(kinesisRecords.stream().map(KinesisClientRecord::fromRecord)
                .collect(Collectors.toList()));
    }

    /** The user records in one Kinesis record of this data and partition key. */
    public static List<KinesisClientRecord> userRecords(byte[] data, String partitionKey) {
        return userRecords(List.of(Record.builder().data(SdkBytes.fromByteArray(data)).partitionKey(partitionKey)
                .sequenceNumber("1").build()));
    }

    /** The bytes of a record's data, leaving the buffer as it was. */
    public static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
