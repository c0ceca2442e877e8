package org.airbytekinesis.flink.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.apache.flink.kinesis.shaded.com.amazonaws.services.kinesis.clientlibrary.types.UserRecord;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * The aggregated record format, checked by the deaggregators Kinesis consumers really use: KCL
 * 3's {@link AggregatorUtil} and the KCL 1 {@link UserRecord} that Flink's own Kinesis consumer
 * runs (shaded in the connector jar). Each must give back every user record, byte for byte, with
 * its own partition key.
 */
class KplAggregateTest {
    private static final String AGGREGATE_KEY = "aggregate-key";

    private static final class UserData {
        private final String key;
        private final byte[] data;

        UserData(String key, byte[] data) {
            this.key = key;
            this.data = data;
        }

        String key() {
            return key;
        }

        byte[] data() {
            return data;
        }
    }

    @Test
    void kcl3GetsEveryUserRecordBackByteForByteWithItsOwnPartitionKey() {
        List<UserData> users = sample(new Random(1), 300);
        byte[] aggregate = aggregateOf(users);

        List<KinesisClientRecord> out = new AggregatorUtil().deaggregate(List.of(kclRecord(aggregate)));

        assertEquals(users.size(), out.size());
        for (int i = 0; i < users.size(); i++) {
            assertEquals(users.get(i).key(), out.get(i).partitionKey(), "key of record " + i);
            assertArrayEquals(users.get(i).data(), Deaggregation.bytes(out.get(i).data()), "data of record " + i);
            assertTrue(out.get(i).aggregated());
            assertEquals(i, out.get(i).subSequenceNumber());
        }
    }

    @Test
    void flinksConsumerDeaggregatorGetsEveryUserRecordBackByteForByte() {
        List<UserData> users = sample(new Random(2), 300);
        byte[] aggregate = aggregateOf(users);

        List<UserRecord> out = UserRecord.deaggregate(List.of(kcl1Record(aggregate)));

        assertEquals(users.size(), out.size());
        for (int i = 0; i < users.size(); i++) {
            assertEquals(users.get(i).key(), out.get(i).getPartitionKey(), "key of record " + i);
            assertArrayEquals(users.get(i).data(), Deaggregation.bytes(out.get(i).getData()), "data of record " + i);
            assertTrue(out.get(i).isAggregated());
        }
    }

    @Test
    void theUserRecordsOfAKinesisRecordAreCountedFromItsMessageAndAPlainEnvelopeIsOne() {
        for (int n : new int[] {2, 17, 300}) {
            KplAggregate aggregate = new KplAggregate();
            for (UserData user : sample(new Random(n), n)) {
                aggregate.add(user.key, user.data);
            }
            assertEquals(n, KplAggregate.userRecords(aggregate.toBytes()));
        }
        assertEquals(1, KplAggregate.userRecords("{\"_airbyte_ab_id\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, KplAggregate.userRecords(new byte[0]));
    }

    @Test
    void repeatedKeysEmptyDataAndNonAsciiKeysRoundTrip() {
        List<UserData> users = List.of(
                new UserData("k", new byte[0]),
                new UserData("k", "second".getBytes(StandardCharsets.UTF_8)),
                new UserData("ключ-🔑", "third".getBytes(StandardCharsets.UTF_8)),
                new UserData("k", new byte[] {0, (byte) 0xFF, 0x7F}));
        KplAggregate aggregate = new KplAggregate();
        users.forEach(user -> aggregate.add(user.key(), user.data()));
        KplAggregate distinctKeys = new KplAggregate();
        for (int i = 0; i < users.size(); i++) {
            distinctKeys.add(users.get(i).key() + i, users.get(i).data());
        }
        assertTrue(aggregate.sizeBytes() < distinctKeys.sizeBytes(), "a repeated key is stored once");

        List<KinesisClientRecord> out = new AggregatorUtil().deaggregate(List.of(kclRecord(aggregate.toBytes())));

        assertEquals(users.size(), out.size());
        for (int i = 0; i < users.size(); i++) {
            assertEquals(users.get(i).key(), out.get(i).partitionKey());
            assertArrayEquals(users.get(i).data(), Deaggregation.bytes(out.get(i).data()));
        }
    }

    @Test
    void theSizeKnownBeforeAddingIsTheSizeWritten() {
        Random random = new Random(3);
        KplAggregate aggregate = new KplAggregate();
        for (int i = 0; i < 2_000; i++) {
            // Sizes around the varint steps (127/128, 16383/16384) of the lengths and indexes.
            byte[] data = new byte[random.nextInt(4) == 0 ? 16_380 + random.nextInt(8) : 120 + random.nextInt(16)];
            String key = i % 3 == 0 ? "same" : "key-" + i;
            int predicted = aggregate.sizeWith(key, data);
            aggregate.add(key, data);
            assertEquals(predicted, aggregate.sizeBytes(), "after record " + i);
        }
        assertEquals(aggregate.sizeBytes(), aggregate.toBytes().length);
        for (int size : new int[] {0, 1, 127, 128, 16_383, 16_384, 1_000_000}) {
            KplAggregate one = new KplAggregate();
            one.add("ключ", new byte[size]);
            assertEquals(one.toBytes().length, KplAggregate.sizeOfOne("ключ", new byte[size]), "one record of " + size + " bytes");
        }
    }

    @Test
    void aCorruptedAggregateIsNotUnpackedByTheConsumers() {
        byte[] aggregate = aggregateOf(sample(new Random(4), 10));
        aggregate[aggregate.length / 2] ^= 1;

        // The MD5 trailer no longer matches: both hand the record over as it is, not as users' records.
        List<KinesisClientRecord> kcl3 = new AggregatorUtil().deaggregate(List.of(kclRecord(aggregate)));
        assertEquals(1, kcl3.size());
        assertEquals(AGGREGATE_KEY, kcl3.get(0).partitionKey());
        List<UserRecord> kcl1 = UserRecord.deaggregate(List.of(kcl1Record(aggregate)));
        assertEquals(1, kcl1.size());
        assertEquals(AGGREGATE_KEY, kcl1.get(0).getPartitionKey());
    }

    @Test
    void consumersFilteringByTheShardsHashRangeKeepRecordsWhoseKeysHashThere() {
        List<UserData> users = sample(new Random(5), 200);
        BigInteger lowHalfEnd = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
        ShardMap halves = new ShardMap(List.of(new ShardMap.Shard("low", "0"), new ShardMap.Shard("high", lowHalfEnd.add(BigInteger.ONE).toString())));
        List<UserData> low = new ArrayList<>();
        for (UserData user : users) {
            if (halves.shardIdOf(user.key()).equals("low")) {
                low.add(user);
            }
        }
        assertTrue(low.size() > 50 && low.size() < 150, "about half the keys hash low: " + low.size());

        List<KinesisClientRecord> out = new AggregatorUtil().deaggregate(List.of(kclRecord(aggregateOf(low))), BigInteger.ZERO, lowHalfEnd);
        List<UserRecord> outKcl1 = UserRecord.deaggregate(List.of(kcl1Record(aggregateOf(low))), BigInteger.ZERO, lowHalfEnd);

        assertEquals(low.size(), out.size(), "the KCL drops none of a shard's own records");
        assertEquals(low.size(), outKcl1.size(), "Flink's consumer drops none of a shard's own records");
        List<KinesisClientRecord> mixed = new AggregatorUtil().deaggregate(List.of(kclRecord(aggregateOf(users))), BigInteger.ZERO, lowHalfEnd);
        // Why aggregates are per shard: one record of another shard and KCL 3 drops the whole aggregate.
        assertEquals(0, mixed.size(), "KCL 3 keeps none of an aggregate that holds records of another shard");
    }

    private static List<UserData> sample(Random random, int count) {
        List<UserData> users = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(700)];
            random.nextBytes(data);
            users.add(new UserData(java.util.UUID.nameUUIDFromBytes(data).toString() + i, data));
        }
        return users;
    }

    private static byte[] aggregateOf(List<UserData> users) {
        KplAggregate aggregate = new KplAggregate();
        users.forEach(user -> aggregate.add(user.key(), user.data()));
        return aggregate.toBytes();
    }

    private static KinesisClientRecord kclRecord(byte[] data) {
        return KinesisClientRecord.fromRecord(Record.builder()
                .data(SdkBytes.fromByteArray(data))
                .partitionKey(AGGREGATE_KEY)
                .sequenceNumber("49590338271490256608559692538361571095921575989136588898")
                .build());
    }

    private static org.apache.flink.kinesis.shaded.com.amazonaws.services.kinesis.model.Record kcl1Record(byte[] data) {
        return new org.apache.flink.kinesis.shaded.com.amazonaws.services.kinesis.model.Record()
                .withData(ByteBuffer.wrap(data))
                .withPartitionKey(AGGREGATE_KEY)
                .withSequenceNumber("49590338271490256608559692538361571095921575989136588898");
    }

}
