package org.airbytekinesis.flink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardLimitsTest {
    private static final List<ShardLimits.Shard> TWO = List.of(new ShardLimits.Shard("low", "0"),
            new ShardLimits.Shard("high", BigInteger.ONE.shiftLeft(127).toString()));

    @Test
    void aShardTakesASecondsWorthOfRecordsAtOnceThenRefusesUntilTimeRefillsIt() {
        long[] now = {0};
        ShardLimits limits = new ShardLimits(TWO, ShardLimits.RECORDS_PER_SECOND, ShardLimits.BYTES_PER_SECOND, () -> now[0]);
        assertEquals(1_000, takeAll(limits, 0), "1,000 records per second");
        assertTrue(limits.tryTake(1, 10), "the other shard has its own allowance");
        now[0] += 50_000_000;
        assertEquals(50, takeAll(limits, 0), "50 ms later 50 records fit again");
        now[0] += 5_000_000_000L;
        assertEquals(1_000, takeAll(limits, 0), "a long pause refills one second's worth, no more");
    }

    private static int takeAll(ShardLimits limits, int shard) {
        int taken = 0;
        while (limits.tryTake(shard, 10)) {
            taken++;
        }
        return taken;
    }

    @Test
    void aShardTakesAMebibyteOfDataAndKeysPerSecond() {
        ShardLimits limits = new ShardLimits(TWO);
        assertTrue(limits.tryTake(0, 1_048_576));
        // 100 KB come back only after ~100 ms, whatever this machine's pauses between the calls.
        assertFalse(limits.tryTake(0, 100_000), "the bytes, not the record count, are used up");
        assertTrue(limits.tryTake(1, 100_000), "the other shard has its own");
    }

    @Test
    void anEntryGoesToTheShardOfItsKeysMd5OrOfItsExplicitHashKey() {
        ShardLimits limits = new ShardLimits(TWO);
        assertEquals(0, limits.shardOf("ignored", "0"));
        assertEquals(1, limits.shardOf("ignored", BigInteger.ONE.shiftLeft(127).toString()));
        // MD5("a") = 0cc175b9...: below the middle; MD5("b") = 92eb5ffe...: above it.
        assertEquals("low", limits.shardId(limits.shardOf("a", null)));
        assertEquals("high", limits.shardId(limits.shardOf("b", null)));
    }
}
