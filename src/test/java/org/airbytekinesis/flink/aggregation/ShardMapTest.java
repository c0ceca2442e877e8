package org.airbytekinesis.flink.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardMapTest {
    @Test
    void aKeyGoesToTheShardWhoseRangeHoldsTheMd5OfItAsAnUnsignedNumber() throws Exception {
        Random random = new Random(7);
        List<BigInteger> starts = new ArrayList<>();
        starts.add(BigInteger.ZERO);
        for (int i = 0; i < 40; i++) {
            starts.add(new BigInteger(128, random));
        }
        Collections.sort(starts);
        List<ShardMap.Shard> shards = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            shards.add(new ShardMap.Shard("shard-" + i, starts.get(i).toString()));
        }
        Collections.shuffle(shards, random);
        ShardMap map = new ShardMap(shards);

        for (int k = 0; k < 20_000; k++) {
            String key = "key-" + k + "-é";
            BigInteger hash = new BigInteger(1, MessageDigest.getInstance("MD5").digest(key.getBytes(StandardCharsets.UTF_8)));
            int expected = 0;
            while (expected + 1 < starts.size() && starts.get(expected + 1).compareTo(hash) <= 0) {
                expected++;
            }
            assertEquals("shard-" + expected, map.shardIdOf(key), "key " + key);
        }
    }

    @Test
    void aHashEqualToAShardsFirstKeyBelongsToThatShardAndTheTopOfTheSpaceToTheLast() throws Exception {
        String key = "boundary";
        BigInteger hash = new BigInteger(1, MessageDigest.getInstance("MD5").digest(key.getBytes(StandardCharsets.UTF_8)));
        ShardMap at = new ShardMap(List.of(new ShardMap.Shard("low", "0"), new ShardMap.Shard("from-hash", hash.toString())));
        ShardMap above = new ShardMap(List.of(new ShardMap.Shard("low", "0"), new ShardMap.Shard("above", hash.add(BigInteger.ONE).toString())));

        assertEquals("from-hash", at.shardIdOf(key));
        assertEquals("low", above.shardIdOf(key));
        // Keys whose MD5 has the top bit set (unsigned numbers above 2^127) stay above the middle.
        ShardMap halves = new ShardMap(List.of(new ShardMap.Shard("low", "0"),
                new ShardMap.Shard("high", BigInteger.ONE.shiftLeft(127).toString())));
        int high = 0;
        for (int k = 0; k < 1_000; k++) {
            String probe = "p" + k;
            boolean topBit = (MessageDigest.getInstance("MD5").digest(probe.getBytes(StandardCharsets.UTF_8))[0] & 0x80) != 0;
            assertEquals(topBit ? "high" : "low", halves.shardIdOf(probe));
            high += topBit ? 1 : 0;
        }
        assertEquals(true, high > 400 && high < 600, "both halves probed: " + high);
    }
}
