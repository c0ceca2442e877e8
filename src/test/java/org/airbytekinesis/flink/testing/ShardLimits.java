package org.airbytekinesis.flink.testing;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The write limits of one stream's shards as Kinesis enforces them: each shard takes 1,000
 * records/s and 1 MiB/s (data plus partition key); an entry beyond either is refused with
 * {@code ProvisionedThroughputExceededException}, the others in the same request still go in.
 * Each shard is a pair of token buckets holding one second's worth, refilled continuously (the
 * service allows short bursts in the same way). The shard of an entry is the one whose hash-key
 * range holds the MD5 of its partition key, or its explicit hash key. Thread-safe.
 *
 * <p>Used by {@link KinesisFaultProxy#setShardLimits} to answer PutRecords for the stream itself,
 * with each entry's real shard id.
 */
public final class ShardLimits {
    public static final long RECORDS_PER_SECOND = 1_000;
    public static final long BYTES_PER_SECOND = 1_048_576;

    private final String[] shardIds;
    private final BigInteger[] starts;
    private final long recordsPerSecond;
    private final long bytesPerSecond;
    private final double[] recordTokens;
    private final double[] byteTokens;
    private final long[] refilledAt;
    private final LongSupplier clock;

    /** One open shard: id and first hash key (decimal), as ListShards gives them. */
    public static final class Shard {
        final String id;
        final BigInteger start;

        public Shard(String id, String startingHashKey) {
            this.id = id;
            this.start = new BigInteger(startingHashKey);
        }
    }

    public ShardLimits(List<Shard> shards) {
        this(shards, RECORDS_PER_SECOND, BYTES_PER_SECOND);
    }

    public ShardLimits(List<Shard> shards, long recordsPerSecond, long bytesPerSecond) {
        this(shards, recordsPerSecond, bytesPerSecond, System::nanoTime);
    }

    /** @param nanoClock the time the buckets refill by (a test's own clock, or {@link System#nanoTime}) */
    ShardLimits(List<Shard> shards, long recordsPerSecond, long bytesPerSecond, LongSupplier nanoClock) {
        this.clock = nanoClock;
        List<Shard> sorted = new ArrayList<>(shards);
        sorted.sort(Comparator.comparing(shard -> shard.start));
        shardIds = sorted.stream().map(shard -> shard.id).toArray(String[]::new);
        starts = sorted.stream().map(shard -> shard.start).toArray(BigInteger[]::new);
        this.recordsPerSecond = recordsPerSecond;
        this.bytesPerSecond = bytesPerSecond;
        recordTokens = new double[shardIds.length];
        byteTokens = new double[shardIds.length];
        refilledAt = new long[shardIds.length];
        long now = clock.getAsLong();
        for (int i = 0; i < shardIds.length; i++) {
            recordTokens[i] = recordsPerSecond;
            byteTokens[i] = bytesPerSecond;
            refilledAt[i] = now;
        }
    }

    public int shardCount() {
        return shardIds.length;
    }

    /** The shard (index) of an entry. */
    public int shardOf(String partitionKey, String explicitHashKey) {
        BigInteger hash = explicitHashKey != null ? new BigInteger(explicitHashKey)
                : new BigInteger(1, md5().digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
        int shard = 0;
        while (shard + 1 < starts.length && starts[shard + 1].compareTo(hash) <= 0) {
            shard++;
        }
        return shard;
    }

    public String shardId(int shard) {
        return shardIds[shard];
    }

    /** Takes one record of {@code bytes} (data plus key) from the shard's allowance, if it has room now. */
    public synchronized boolean tryTake(int shard, long bytes) {
        long now = clock.getAsLong();
        double seconds = (now - refilledAt[shard]) / 1e9;
        refilledAt[shard] = now;
        recordTokens[shard] = Math.min(recordsPerSecond, recordTokens[shard] + seconds * recordsPerSecond);
        byteTokens[shard] = Math.min(bytesPerSecond, byteTokens[shard] + seconds * bytesPerSecond);
        if (recordTokens[shard] < 1 || byteTokens[shard] < bytes) {
            return false;
        }
        recordTokens[shard] -= 1;
        byteTokens[shard] -= bytes;
        return true;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
