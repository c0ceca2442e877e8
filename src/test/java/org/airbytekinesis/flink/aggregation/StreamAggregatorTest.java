package org.airbytekinesis.flink.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.junit.jupiter.api.Test;
import org.airbytekinesis.flink.testing.Deaggregation;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

class StreamAggregatorTest {
    private static final BigInteger SPACE = BigInteger.ONE.shiftLeft(128);

    /** Four shards of uneven size, as a stream is after splits. */
    private static final ShardMap FOUR = new ShardMap(List.of(
            new ShardMap.Shard("s-0", "0"),
            new ShardMap.Shard("s-1", SPACE.divide(BigInteger.valueOf(8)).toString()),
            new ShardMap.Shard("s-2", SPACE.divide(BigInteger.valueOf(2)).toString()),
            new ShardMap.Shard("s-3", SPACE.multiply(BigInteger.valueOf(3)).divide(BigInteger.valueOf(4)).toString())));

    private final List<KinesisEnvelope> emitted = new ArrayList<>();

    @Test
    void everyAggregateHoldsOnlyRecordsOfTheShardItsOwnKeyGoesTo() throws Exception {
        List<KinesisEnvelope> input = records(2_000, 120);
        aggregateAll(input, 5_000);

        int users = 0;
        for (KinesisEnvelope kinesisRecord : emitted) {
            String shard = FOUR.shardIdOf(kinesisRecord.partitionKey);
            for (KinesisClientRecord user : deaggregate(kinesisRecord)) {
                assertEquals(shard, FOUR.shardIdOf(user.partitionKey()), "user record in its aggregate's shard");
                users++;
            }
            assertTrue(kinesisRecord.payload.length <= 5_000, "aggregate within its limit: " + kinesisRecord.payload.length);
        }
        assertEquals(input.size(), users);
        assertEquals(4, groupByShard(input).size(), "the keys cover all four shards");
        assertTrue(emitted.size() < input.size() / 20, "records packed: " + emitted.size() + " Kinesis records");
    }

    @Test
    void aRecordTooBigToShareGoesAloneAfterTheAggregateBeforeItInItsShard() throws Exception {
        ShardMap one = new ShardMap(List.of(new ShardMap.Shard("only", "0")));
        StreamAggregator aggregator = new StreamAggregator("s", one, 1_000, 1_000);
        KinesisEnvelope small1 = record("a", 100);
        KinesisEnvelope small2 = record("b", 100);
        KinesisEnvelope big = record("c", 2_000);
        aggregator.add(small1, 0, emitted::add);
        aggregator.add(small2, 0, emitted::add);
        aggregator.add(big, 0, emitted::add);

        assertEquals(2, emitted.size());
        assertEquals(List.of("a", "b"), deaggregate(emitted.get(0)).stream().map(KinesisClientRecord::partitionKey).collect(java.util.stream.Collectors.toList()));
        assertEquals(big, emitted.get(1), "the big record as it is, a plain Kinesis record");
        assertEquals(0, aggregator.openBytes(), "nothing left open");
    }

    @Test
    void theOpenBytesAreTheSizesOfTheOpenAggregatesAndNoneAfterAFlush() throws Exception {
        StreamAggregator aggregator = new StreamAggregator("s", FOUR, 50_000, 1_000);
        List<KinesisEnvelope> input = records(40, 100);
        for (KinesisEnvelope record : input) {
            aggregator.add(record, 0, emitted::add);
        }
        assertTrue(emitted.isEmpty(), "nothing full yet");
        long open = aggregator.openBytes();
        aggregator.flushAll(emitted::add);
        long written = 0;
        for (KinesisEnvelope kinesisRecord : emitted) {
            written += kinesisRecord.payload.length;
        }
        assertEquals(written, open, "what was open is what went");
        assertEquals(0, aggregator.openBytes());
    }

    @Test
    void anAggregateOfOneRecordGoesAsThatPlainRecord() throws Exception {
        StreamAggregator aggregator = new StreamAggregator("s", FOUR, 5_000, 1_000);
        KinesisEnvelope only = record("lonely", 50);
        aggregator.add(only, 0, emitted::add);
        aggregator.flushAll(emitted::add);

        assertEquals(List.of(only), emitted);
    }

    @Test
    void anAggregateGoesWhenItsAgeReachesTheLimitAndNotBefore() throws Exception {
        ShardMap one = new ShardMap(List.of(new ShardMap.Shard("only", "0")));
        StreamAggregator aggregator = new StreamAggregator("s", one, 50_000, 1_000);
        aggregator.add(record("a", 10), 100, emitted::add);
        aggregator.add(record("b", 10), 900, emitted::add);
        assertEquals(1_100, aggregator.nextDeadlineMillis(), "due by its first record's time");

        aggregator.flushExpired(1_099, emitted::add);
        assertTrue(emitted.isEmpty());
        aggregator.flushExpired(1_100, emitted::add);
        assertEquals(1, emitted.size());
        assertEquals(2, deaggregate(emitted.get(0)).size());
        assertEquals(-1, aggregator.nextDeadlineMillis());
    }

    @Test
    void aFullAggregateGoesBeforeTheRecordThatWouldOverfillIt() throws Exception {
        ShardMap one = new ShardMap(List.of(new ShardMap.Shard("only", "0")));
        StreamAggregator aggregator = new StreamAggregator("s", one, 2_000, 1_000);
        for (int i = 0; i < 30; i++) {
            aggregator.add(record("k" + i, 100), 0, emitted::add);
        }
        aggregator.flushAll(emitted::add);
        int total = 0;
        for (KinesisEnvelope aggregate : emitted) {
            assertTrue(aggregate.payload.length <= 2_000);
            // Full: the next record (about 150 bytes framed) would not have fit.
            total += deaggregate(aggregate).size();
        }
        assertEquals(30, total);
        for (int i = 0; i < emitted.size() - 1; i++) {
            assertTrue(emitted.get(i).payload.length > 2_000 - 160, "aggregate " + i + " is full: " + emitted.get(i).payload.length);
        }
    }

    private static List<KinesisEnvelope> records(int count, int size) {
        List<KinesisEnvelope> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(record("key-" + (i % 333), size + i % 7));
        }
        return out;
    }

    private static KinesisEnvelope record(String key, int size) {
        byte[] data = (key + ":" + "x".repeat(size)).getBytes(StandardCharsets.UTF_8);
        return new KinesisEnvelope("s", key, data);
    }

    private static Map<String, List<KinesisEnvelope>> groupByShard(List<KinesisEnvelope> records) {
        Map<String, List<KinesisEnvelope>> byShard = new HashMap<>();
        for (KinesisEnvelope record : records) {
            byShard.computeIfAbsent(FOUR.shardIdOf(record.partitionKey), k -> new ArrayList<>()).add(record);
        }
        return byShard;
    }

    private static List<KinesisClientRecord> deaggregate(KinesisEnvelope kinesisRecord) {
        return Deaggregation.userRecords(kinesisRecord.payload, kinesisRecord.partitionKey);
    }

    /** Every record through one aggregator, then the rest flushed: what it emitted. */
    private List<KinesisEnvelope> aggregateAll(List<KinesisEnvelope> input, int maxBytes) throws Exception {
        StreamAggregator aggregator = new StreamAggregator("s", FOUR, maxBytes, 1_000);
        for (KinesisEnvelope record : input) {
            aggregator.add(record, 0, emitted::add);
        }
        aggregator.flushAll(emitted::add);
        return emitted;
    }


    @Test
    void deaggregatedRecordsEqualTheInputsByteForByteInInputOrderWithinEachShard() throws Exception {
        List<KinesisEnvelope> input = records(300, 40);
        aggregateAll(input, 3_000);
        Map<String, List<KinesisEnvelope>> out = new HashMap<>();
        for (KinesisEnvelope kinesisRecord : emitted) {
            for (KinesisClientRecord user : deaggregate(kinesisRecord)) {
                out.computeIfAbsent(FOUR.shardIdOf(user.partitionKey()), k -> new ArrayList<>())
                        .add(new KinesisEnvelope("s", user.partitionKey(), Deaggregation.bytes(user.data())));
            }
        }
        Map<String, List<KinesisEnvelope>> expected = groupByShard(input);
        assertEquals(expected.keySet(), out.keySet());
        for (String shard : expected.keySet()) {
            List<KinesisEnvelope> want = expected.get(shard);
            List<KinesisEnvelope> got = out.get(shard);
            assertEquals(want.size(), got.size(), "records of " + shard);
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).partitionKey, got.get(i).partitionKey);
                assertArrayEquals(want.get(i).payload, got.get(i).payload);
            }
        }
    }
}
