package org.airbytekinesis.flink.aggregation;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The open shards of a stream and the hash-key ranges they own. Kinesis puts a record in the shard
 * whose range holds the MD5 of its partition key, read as a 128-bit unsigned number; an aggregate
 * must hold only user records of one shard, or a consumer that checks the range (the KCL and
 * Flink's consumer do) drops the others. Ranges are kept as two unsigned longs, so that finding a
 * key's shard is one MD5 and a binary search. Immutable and thread-safe.
 */
public final class ShardMap {
    private static final BigInteger LONG_MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final String[] shardIds;
    private final long[] startHigh;
    private final long[] startLow;
    /** The writer's task and the SDK's threads both look shards up. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(KplAggregate::md5);

    /** One open shard: its id and the first hash key of its range (decimal, as Kinesis lists it). */
    public static final class Shard {
        final String id;
        final BigInteger startingHashKey;

        public Shard(String id, String startingHashKey) {
            this.id = id;
            this.startingHashKey = new BigInteger(startingHashKey);
        }
    }

    /**
     * @param openShards the shards that take records now; together their ranges cover the hash
     *     space, so each starts where the one before it ends
     */
    public ShardMap(List<Shard> openShards) {
        if (openShards.isEmpty()) {
            throw new IllegalArgumentException("a stream has at least one open shard");
        }
        List<Shard> sorted = new ArrayList<>(openShards);
        sorted.sort(Comparator.comparing(shard -> shard.startingHashKey));
        int n = sorted.size();
        shardIds = new String[n];
        startHigh = new long[n];
        startLow = new long[n];
        for (int i = 0; i < n; i++) {
            Shard shard = sorted.get(i);
            shardIds[i] = shard.id;
            startHigh[i] = shard.startingHashKey.shiftRight(64).longValue();
            startLow[i] = shard.startingHashKey.and(LONG_MASK).longValue();
        }
    }

    public int size() {
        return shardIds.length;
    }

    public String shardId(int index) {
        return shardIds[index];
    }

    /** The index of the shard a record with this partition key goes to. */
    public int shardOf(String partitionKey) {
        byte[] hash = MD5.get().digest(partitionKey.getBytes(StandardCharsets.UTF_8));
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (hash[i] & 0xFF);
            low = (low << 8) | (hash[i + 8] & 0xFF);
        }
        // The last shard whose range starts at or below the hash.
        int lo = 0;
        int hi = shardIds.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (compare(startHigh[mid], startLow[mid], high, low) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The id of the shard a record with this partition key goes to. */
    public String shardIdOf(String partitionKey) {
        return shardIds[shardOf(partitionKey)];
    }

    private static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        int byHigh = Long.compareUnsigned(aHigh, bHigh);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(aLow, bLow);
    }
}
