package org.airbytekinesis.flink.routing;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * How many sink writers each Kinesis stream gets, and the router key of each: records of one
 * stream are spread over its buckets by partition key (so all records of one key share a bucket,
 * and {@code ordering: per_key} holds), and each bucket is a router key of its own, which lands
 * on a subtask of its own.
 *
 * <p>Keys are strings, as they were when the router was keyed by stream name: Flink checks a
 * keyed operator's key serializer on restore, so savepoints of that version restore. Each key is
 * chosen so that Flink's key-group assignment puts it on a given subtask: the buckets of all
 * streams are dealt out round robin over the subtasks (a stream's buckets on different subtasks,
 * streams of one bucket each spread evenly). The choice assumes the parallelism and maximum
 * parallelism given; where the job runs with others (a rescale without a new {@code main()}),
 * every record still has one fixed key, only the spread is uneven.
 */
public final class WriterBuckets implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Shards one writer is given before the stream gets another: 4 shards take 4,000 records/s. */
    public static final int SHARDS_PER_WRITER = 4;

    private final Map<String, String[]> keys;

    private WriterBuckets(Map<String, String[]> keys) {
        this.keys = keys;
    }

    /**
     * The rule: a writer per {@value #SHARDS_PER_WRITER} open shards, at least one, at most one per
     * subtask, so a stream of 1 to 4 shards has one writer and a catalog of many small streams
     * does not get streams x parallelism writers.
     */
    public static int bucketsFor(int openShards, int parallelism) {
        int wanted = Math.max(1, (openShards + SHARDS_PER_WRITER - 1) / SHARDS_PER_WRITER);
        return Math.min(Math.max(1, parallelism), wanted);
    }

    /**
     * @param bucketsByStream buckets per Kinesis stream, in catalog order (each at least 1)
     * @param parallelism the router's parallelism
     * @param maxParallelism its maximum parallelism (Flink's default for it when not set)
     */
    public static WriterBuckets of(Map<String, Integer> bucketsByStream, int parallelism, int maxParallelism) {
        Map<String, String[]> keys = new LinkedHashMap<>();
        int next = 0;
        for (Map.Entry<String, Integer> stream : bucketsByStream.entrySet()) {
            int buckets = Math.max(1, Math.min(stream.getValue(), parallelism));
            String[] streamKeys = new String[buckets];
            for (int bucket = 0; bucket < buckets; bucket++) {
                streamKeys[bucket] = keyOn(stream.getKey(), bucket, next % parallelism, parallelism, maxParallelism);
                next++;
            }
            keys.put(stream.getKey(), streamKeys);
        }
        return new WriterBuckets(keys);
    }

    /**
     * The keying before writers per stream existed: each stream's name is its one key, wherever
     * Flink puts it. For tests that restore that version's savepoints.
     */
    static WriterBuckets byStreamName(Iterable<String> kinesisStreams) {
        Map<String, String[]> keys = new LinkedHashMap<>();
        kinesisStreams.forEach(stream -> keys.put(stream, new String[] {stream}));
        return new WriterBuckets(keys);
    }

    /** One bucket per stream, dealt out over the subtasks. */
    public static WriterBuckets onePerStream(Iterable<String> kinesisStreams, int parallelism, int maxParallelism) {
        Map<String, Integer> one = new LinkedHashMap<>();
        kinesisStreams.forEach(stream -> one.put(stream, 1));
        return of(one, parallelism, maxParallelism);
    }

    /** Flink's default maximum parallelism for an operator of this parallelism. */
    public static int defaultMaxParallelism(int parallelism) {
        return KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism);
    }

    /**
     * A key of this stream's bucket that Flink assigns to {@code subtask}: the stream's name for
     * its first bucket where that lands there, else the name with a suffix that does.
     */
    private static String keyOn(String stream, int bucket, int subtask, int parallelism, int maxParallelism) {
        if (bucket == 0 && lands(stream, subtask, parallelism, maxParallelism)) {
            return stream;
        }
        for (int salt = 0; ; salt++) {
            String key = stream + "#" + bucket + "." + salt;
            if (lands(key, subtask, parallelism, maxParallelism)) {
                return key;
            }
        }
    }

    private static boolean lands(String key, int subtask, int parallelism, int maxParallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism) == subtask;
    }

    /** The router key of a record of this stream with this partition key. */
    public String keyOf(String kinesisStream, String partitionKey) {
        String[] streamKeys = keys.get(kinesisStream);
        if (streamKeys == null) {
            // The enveloper only addresses catalog streams; the router names the bug.
            return kinesisStream;
        }
        return streamKeys.length == 1 ? streamKeys[0] : streamKeys[Math.floorMod(partitionKey.hashCode(), streamKeys.length)];
    }

    /** How many writers a stream has. */
    public int buckets(String kinesisStream) {
        String[] streamKeys = keys.get(kinesisStream);
        return streamKeys == null ? 0 : streamKeys.length;
    }

    /** Buckets per stream, in catalog order (for the log and the README's rule). */
    public Map<String, Integer> bucketsByStream() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        keys.forEach((stream, streamKeys) -> counts.put(stream, streamKeys.length));
        return counts;
    }
}
