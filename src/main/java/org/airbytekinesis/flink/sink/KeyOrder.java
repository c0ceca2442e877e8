package org.airbytekinesis.flink.sink;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.UnaryOperator;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;

/**
 * Keeps the records of one partition key in input order ({@code ordering: per_key}) for one sink
 * writer: at most one record per key is with the connector, not yet written to Kinesis; the
 * next ones wait here, in order, until Kinesis has written it.
 *
 * <p>Why one at a time: Kinesis orders a shard by arrival, a PutRecords entry that is throttled
 * or fails goes again in a later request, and the connector has many requests in flight, so a
 * later record of the key could be written before the retried one; within one request, PutRecords
 * writes the entries that succeed even when an earlier one fails. With one record per key at a
 * time neither can happen, whatever fails, and records of other keys keep every request full.
 *
 * <p>The writer's task thread hands records over ({@link #offer}, {@link #nextReady},
 * {@link #nextWaiting}); the client's interceptor, in the SDK's threads, reports what Kinesis
 * wrote ({@link #written}).
 *
 * <p>With aggregation, the key ordered is the record's shard: an aggregate holds records of many
 * keys of one shard, so one unwritten Kinesis record per shard keeps every key in order.
 */
final class KeyOrder {
    /** What is kept in order for a partition key: the key itself, or its shard. */
    private final UnaryOperator<String> orderKey;
    /** Keys with a record at the connector that Kinesis has not written yet. */
    private final Set<String> unwritten = ConcurrentHashMap.newKeySet();
    /** Keys whose record was written while others of theirs waited: the task takes the next one. */
    private final ConcurrentLinkedQueue<String> ready = new ConcurrentLinkedQueue<>();
    /** Records waiting for an earlier one of their key, by key; task thread only. */
    private final Map<String, ArrayDeque<KinesisEnvelope>> waiting = new HashMap<>();
    /** The keys of {@link #waiting}, for the interceptor to see. */
    private final Set<String> waitingKeys = ConcurrentHashMap.newKeySet();
    private int waitingRecords; // task thread only

    KeyOrder() {
        this(UnaryOperator.identity());
    }

    KeyOrder(UnaryOperator<String> orderKey) {
        this.orderKey = orderKey;
    }

    /**
     * A record from the input: true when it may go to the connector now (its key is then taken
     * until Kinesis writes it), false when it waits for an earlier record of its key.
     */
    boolean offer(KinesisEnvelope record) {
        String key = orderKey.apply(record.partitionKey);
        if (!waitingKeys.contains(key) && unwritten.add(key)) {
            return true;
        }
        waiting.computeIfAbsent(key, k -> new ArrayDeque<>()).add(record);
        waitingKeys.add(key);
        waitingRecords++;
        if (!unwritten.contains(key)) {
            ready.add(key); // written in the meantime: the interceptor may not have seen it waiting
        }
        return false;
    }

    /** Kinesis wrote the record with this partition key (SDK thread). */
    void written(String partitionKey) {
        String key = orderKey.apply(partitionKey);
        unwritten.remove(key);
        if (waitingKeys.contains(key)) {
            ready.add(key);
        }
    }

    /**
     * The next waiting record whose key's earlier record has been written, taking its key; null
     * when there is none yet.
     */
    KinesisEnvelope nextReady() {
        String key;
        while ((key = ready.poll()) != null) {
            KinesisEnvelope next = take(key);
            if (next != null) {
                return next;
            }
        }
        return null;
    }

    /**
     * After the connector wrote everything it had: the next waiting record of any key, taking its
     * key; null when nothing waits.
     */
    KinesisEnvelope nextWaiting() {
        for (String key : waiting.keySet()) {
            KinesisEnvelope next = take(key);
            if (next != null) {
                return next;
            }
        }
        return null;
    }

    /** Whether records wait. */
    boolean hasWaiting() {
        return waitingRecords > 0;
    }

    private KinesisEnvelope take(String key) {
        ArrayDeque<KinesisEnvelope> queue = waiting.get(key);
        if (queue == null || !unwritten.add(key)) {
            return null;
        }
        KinesisEnvelope next = queue.poll();
        waitingRecords--;
        if (queue.isEmpty()) {
            waiting.remove(key);
            waitingKeys.remove(key);
        }
        return next;
    }
}
