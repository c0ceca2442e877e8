package org.airbytekinesis.flink.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class WriterBucketsTest {
    private static int subtaskOf(String key, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, 128, parallelism);
    }

    @Test
    void aWriterPerFourOpenShardsAtLeastOneAtMostOnePerSubtask() {
        assertEquals(1, WriterBuckets.bucketsFor(1, 16));
        assertEquals(1, WriterBuckets.bucketsFor(4, 16));
        assertEquals(2, WriterBuckets.bucketsFor(5, 16));
        assertEquals(16, WriterBuckets.bucketsFor(64, 16));
        assertEquals(8, WriterBuckets.bucketsFor(64, 8));
        assertEquals(1, WriterBuckets.bucketsFor(0, 4));
        assertEquals(1, WriterBuckets.bucketsFor(200, 1));
    }

    @Test
    void aStreamsBucketsLandOnSubtasksOfTheirOwnAndOneBucketStreamsAreDealtOutEvenly() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("_big", 4);
        for (int i = 0; i < 8; i++) {
            counts.put("_small" + i, 1);
        }
        WriterBuckets buckets = WriterBuckets.of(counts, 4, 128);

        Set<Integer> bigSubtasks = new HashSet<>();
        Random random = new Random(7);
        for (int i = 0; i < 4_000; i++) {
            bigSubtasks.add(subtaskOf(buckets.keyOf("_big", new UUID(random.nextLong(), random.nextLong()).toString()), 4));
        }
        assertEquals(Set.of(0, 1, 2, 3), bigSubtasks);
        int[] perSubtask = new int[4];
        for (int i = 0; i < 8; i++) {
            perSubtask[subtaskOf(buckets.keyOf("_small" + i, "any"), 4)]++;
        }
        assertEquals(List.of(2, 2, 2, 2), List.of(perSubtask[0], perSubtask[1], perSubtask[2], perSubtask[3]));
        assertEquals(4, buckets.buckets("_big"));
        assertEquals(1, buckets.buckets("_small3"));
    }

    @Test
    void recordsOfOneKeyShareABucketAndKeysSpreadEvenlyOverTheBuckets() {
        WriterBuckets buckets = WriterBuckets.of(Map.of("_users", 2), 2, 128);
        Map<String, Integer> perKey = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            String partitionKey = UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8)}).toString();
            String key = buckets.keyOf("_users", partitionKey);
            assertEquals(key, buckets.keyOf("_users", partitionKey), "the same key, the same bucket");
            perKey.merge(key, 1, Integer::sum);
        }
        assertEquals(2, perKey.size());
        for (int n : perKey.values()) {
            assertTrue(Math.abs(n - 5_000) < 500, "within 10% of half: " + perKey);
        }
    }

    @Test
    void keysAreStringsTheStreamNameWhereItLandsAndSurviveSerialization() throws Exception {
        WriterBuckets buckets = WriterBuckets.of(Map.of("_a", 3), 3, 128);
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            keys.add(buckets.keyOf("_a", "k" + i));
        }
        assertEquals(3, keys.size());
        if (subtaskOf("_a", 3) == 0) {
            assertTrue(keys.contains("_a"), keys.toString());
        }
        WriterBuckets copy = InstantiationUtil.clone(buckets);
        for (int i = 0; i < 300; i++) {
            assertEquals(buckets.keyOf("_a", "k" + i), copy.keyOf("_a", "k" + i));
        }
    }

    @Test
    void moreBucketsThanSubtasksAreCappedAtTheParallelism() {
        WriterBuckets buckets = WriterBuckets.of(Map.of("_a", 9), 2, 128);

        assertEquals(2, buckets.buckets("_a"));
        Set<Integer> subtasks = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            subtasks.add(subtaskOf(buckets.keyOf("_a", "k" + i), 2));
        }
        assertEquals(Set.of(0, 1), subtasks);
    }

    /** A stream name that Flink puts on this subtask (with maximum parallelism 128), or not. */
    private static String streamName(boolean onSubtask, int subtask, int parallelism) {
        for (int i = 0; ; i++) {
            String name = "_stream" + i;
            if ((subtaskOf(name, parallelism) == subtask) == onSubtask) {
                return name;
            }
        }
    }

    @Test
    void aFirstBucketIsKeyedByTheStreamNameWhereThatLandsOnItsSubtask() {
        // Savepoints keyed by stream name (before buckets existed) restore into the same keys.
        String landing = streamName(true, 0, 3);
        WriterBuckets buckets = WriterBuckets.of(Map.of(landing, 1), 3, 128);
        assertEquals(landing, buckets.keyOf(landing, "any"));

        String elsewhere = streamName(false, 0, 3);
        String key = WriterBuckets.of(Map.of(elsewhere, 1), 3, 128).keyOf(elsewhere, "any");
        assertEquals(0, subtaskOf(key, 3));
        assertEquals(elsewhere + "#0." + firstSaltLanding(elsewhere, 0, 0, 3), key);
    }

    @Test
    void laterBucketsAreKeyedByTheSmallestSaltThatLandsEvenWhereTheNameWouldLand() {
        // Keys are stored in savepoints: the same rule must give the same keys in every version.
        String landsOnOne = streamName(true, 1, 2);
        WriterBuckets buckets = WriterBuckets.of(Map.of(landsOnOne, 2), 2, 128);
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            keys.add(buckets.keyOf(landsOnOne, "k" + i));
        }
        // Bucket 0 goes to subtask 0, where the name does not land; bucket 1 to subtask 1, where it does.
        assertEquals(Set.of(landsOnOne + "#0." + firstSaltLanding(landsOnOne, 0, 0, 2),
                landsOnOne + "#1." + firstSaltLanding(landsOnOne, 1, 1, 2)), keys);
    }

    private static int firstSaltLanding(String stream, int bucket, int subtask, int parallelism) {
        for (int salt = 0; ; salt++) {
            if (subtaskOf(stream + "#" + bucket + "." + salt, parallelism) == subtask) {
                return salt;
            }
        }
    }

    @Test
    void aStreamOutsideTheBucketsIsItsOwnKeyAndHasNoWriters() {
        WriterBuckets buckets = WriterBuckets.of(Map.of("_a", 2), 2, 128);
        assertEquals("_unknown", buckets.keyOf("_unknown", "k"));
        assertEquals(0, buckets.buckets("_unknown"));
    }

    @Test
    void onePerStreamGivesEachStreamOneBucketDealtOutOverTheSubtasks() {
        WriterBuckets buckets = WriterBuckets.onePerStream(List.of("_a", "_b", "_c", "_d"), 2, 128);
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String stream : List.of("_a", "_b", "_c", "_d")) {
            expected.put(stream, 1);
        }
        assertEquals(expected, buckets.bucketsByStream());
        assertEquals(List.of(0, 1, 0, 1), List.of(subtaskOf(buckets.keyOf("_a", "k"), 2), subtaskOf(buckets.keyOf("_b", "k"), 2),
                subtaskOf(buckets.keyOf("_c", "k"), 2), subtaskOf(buckets.keyOf("_d", "k"), 2)));
    }

    @Test
    void theOldKeyingUsesEachStreamsNameAsItsOneKey() {
        WriterBuckets buckets = WriterBuckets.byStreamName(List.of("_a", "_b"));
        assertEquals("_a", buckets.keyOf("_a", "k1"));
        assertEquals("_b", buckets.keyOf("_b", "k2"));
        assertEquals(1, buckets.buckets("_a"));
        assertEquals(List.of("_a", "_b"), List.copyOf(buckets.bucketsByStream().keySet()));
    }

    @Test
    void theDefaultMaximumParallelismIsFlinks() {
        // Flink: parallelism * 1.5 rounded up to a power of two, at least 128.
        assertEquals(128, WriterBuckets.defaultMaxParallelism(1));
        assertEquals(128, WriterBuckets.defaultMaxParallelism(64));
        assertEquals(512, WriterBuckets.defaultMaxParallelism(200));
    }
}
