package org.airbytekinesis.flink.aggregation;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Kinesis record that carries many user records, in the KPL's aggregated record format, which
 * the KCL, Flink's Kinesis consumer and Lambda's deaggregation library unpack:
 *
 * <pre>
 *   magic 0xF3 0x89 0x9A 0xC2 | AggregatedRecord (protobuf) | MD5 of the protobuf bytes (16 bytes)
 *
 *   message AggregatedRecord {
 *     repeated string partition_key_table = 1;
 *     repeated string explicit_hash_key_table = 2;   // left empty: our records have none
 *     repeated Record records = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes data = 3;
 *     repeated Tag tags = 4;
 *   }
 * </pre>
 *
 * (the KPL's {@code messages.proto}). The encoding is protobuf's own {@link CodedOutputStream};
 * the size is known before each record is added, so an aggregate never grows past its limit.
 * A partition key that repeats is stored once. Not thread-safe: one per shard of one writer.
 */
public final class KplAggregate {
    static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    static final int DIGEST_BYTES = 16;
    /** Magic plus MD5 trailer: what an aggregate adds around its protobuf message. */
    public static final int FRAME_BYTES = MAGIC.length + DIGEST_BYTES;

    private static final int PARTITION_KEY_TABLE = 1;
    private static final int RECORDS = 3;
    private static final int RECORD_PARTITION_KEY_INDEX = 1;
    private static final int RECORD_DATA = 3;

    private final Map<String, Integer> keyIndex = new HashMap<>();
    private final List<String> keys = new ArrayList<>();
    private final List<Entry> records = new ArrayList<>();
    /** The protobuf message's size so far. */
    private int messageBytes;

    private static final class Entry {
        final int keyIndex;
        final byte[] data;
        final int bodyBytes;

        Entry(int keyIndex, byte[] data, int bodyBytes) {
            this.keyIndex = keyIndex;
            this.data = data;
            this.bodyBytes = bodyBytes;
        }
    }

    /** The size of the aggregate with this record added: magic, protobuf message and trailer. */
    public int sizeWith(String partitionKey, byte[] data) {
        Integer index = keyIndex.get(partitionKey);
        int keyBytes = index == null ? keyFieldBytes(partitionKey) : 0;
        int body = recordBodyBytes(index == null ? keys.size() : index, data);
        return FRAME_BYTES + messageBytes + keyBytes + recordFieldBytes(body);
    }

    /** The size of an aggregate of this one record (asked for every record: nothing is allocated). */
    public static int sizeOfOne(String partitionKey, byte[] data) {
        return FRAME_BYTES + keyFieldBytes(partitionKey) + recordFieldBytes(recordBodyBytes(0, data));
    }

    /** An entry of the partition-key table. */
    private static int keyFieldBytes(String partitionKey) {
        return CodedOutputStream.computeStringSize(PARTITION_KEY_TABLE, partitionKey);
    }

    /** A {@code Record} message inside the aggregate: tag, length and body. */
    private static int recordFieldBytes(int body) {
        return CodedOutputStream.computeTagSize(RECORDS) + CodedOutputStream.computeUInt32SizeNoTag(body) + body;
    }

    private static int recordBodyBytes(int keyIndex, byte[] data) {
        return CodedOutputStream.computeUInt64Size(RECORD_PARTITION_KEY_INDEX, keyIndex)
                + CodedOutputStream.computeByteArraySize(RECORD_DATA, data);
    }

    /** Adds a user record (kept by reference until {@link #toBytes}). */
    public void add(String partitionKey, byte[] data) {
        Integer index = keyIndex.get(partitionKey);
        if (index == null) {
            index = keys.size();
            keyIndex.put(partitionKey, index);
            keys.add(partitionKey);
            messageBytes += keyFieldBytes(partitionKey);
        }
        int body = recordBodyBytes(index, data);
        messageBytes += recordFieldBytes(body);
        records.add(new Entry(index, data, body));
    }

    public int count() {
        return records.size();
    }

    /** The aggregate's size in bytes: what {@link #toBytes} returns. */
    public int sizeBytes() {
        return FRAME_BYTES + messageBytes;
    }

    /** The partition key of the first user record, which KPL also gives the aggregate. */
    public String firstPartitionKey() {
        return keys.get(records.get(0).keyIndex);
    }

    /** The data of the only user record (for an aggregate of one, which goes as a plain record). */
    public byte[] onlyData() {
        if (records.size() != 1) {
            throw new IllegalStateException("aggregate of " + records.size() + " records");
        }
        return records.get(0).data;
    }

    /** The Kinesis record: magic, message, MD5 of the message. */
    public byte[] toBytes() {
        byte[] out = new byte[sizeBytes()];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        CodedOutputStream message = CodedOutputStream.newInstance(out, MAGIC.length, messageBytes);
        try {
            for (String key : keys) {
                message.writeString(PARTITION_KEY_TABLE, key);
            }
            for (Entry entry : records) {
                message.writeTag(RECORDS, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
                message.writeUInt32NoTag(entry.bodyBytes);
                message.writeUInt64(RECORD_PARTITION_KEY_INDEX, entry.keyIndex);
                message.writeByteArray(RECORD_DATA, entry.data);
            }
            message.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("aggregate sized wrongly", e);
        }
        MessageDigest md5 = md5();
        md5.update(out, MAGIC.length, messageBytes);
        byte[] digest = md5.digest();
        System.arraycopy(digest, 0, out, MAGIC.length + messageBytes, DIGEST_BYTES);
        return out;
    }

    /**
     * The user records one Kinesis record carries: the records of an aggregate we wrote (counted
     * from its message, without reading their data), else 1. Only for records this job wrote:
     * an envelope is JSON and never starts with the magic.
     */
    public static int userRecords(byte[] kinesisRecordData) {
        if (!startsWithMagic(kinesisRecordData) || kinesisRecordData.length <= FRAME_BYTES) {
            return 1;
        }
        CodedInputStream message = CodedInputStream.newInstance(kinesisRecordData, MAGIC.length,
                kinesisRecordData.length - FRAME_BYTES);
        int records = 0;
        try {
            for (int tag = message.readTag(); tag != 0; tag = message.readTag()) {
                if (com.google.protobuf.WireFormat.getTagFieldNumber(tag) == RECORDS) {
                    records++;
                }
                message.skipField(tag);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("not an aggregate this job wrote", e);
        }
        return records;
    }

    private static boolean startsWithMagic(byte[] data) {
        if (data.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has MD5", e);
        }
    }
}
