package org.airbytekinesis.flink.aggregation;

import java.io.IOException;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;

/**
 * Packs one sink writer's records into KPL aggregates ({@code aggregation: kpl}), one open
 * aggregate per shard of the stream, so that every aggregate goes to the shard all its user
 * records' partition keys hash to: it carries its first record's key (as the KPL does), which
 * hashes there too. Keys chosen for placement keep their shard, and the records of one shard
 * leave in input order.
 *
 * <p>An aggregate goes when the next record would take it past {@code maxBytes}, when it is
 * older than {@code maxAgeMillis}, or at {@link #flushAll} (every checkpoint). An aggregate of
 * one record goes as that plain record, and a record too big to share an aggregate goes on its
 * own, after its shard's open aggregate: a consumer gets the same records either way. Task thread
 * only.
 */
public final class StreamAggregator {
    /** Where finished Kinesis records go: to the connector's writer. */
    public interface Emitter {
        void emit(KinesisEnvelope record) throws IOException, InterruptedException;
    }

    private final String stream;
    private final ShardMap shards;
    private final int maxBytes;
    private final long maxAgeMillis;
    private final KplAggregate[] open;
    private final long[] openedAt;
    private int openCount;
    /** The bytes of the open aggregates. */
    private long openBytes;

    /**
     * @param maxBytes the largest aggregate, frame included (its partition key is counted by the
     *     caller's limit)
     */
    public StreamAggregator(String stream, ShardMap shards, int maxBytes, long maxAgeMillis) {
        this.stream = stream;
        this.shards = shards;
        this.maxBytes = maxBytes;
        this.maxAgeMillis = maxAgeMillis;
        this.open = new KplAggregate[shards.size()];
        this.openedAt = new long[shards.size()];
    }

    /** Adds a user record at time {@code nowMillis}; emits the aggregate it closes, if any. */
    public void add(KinesisEnvelope record, long nowMillis, Emitter out) throws IOException, InterruptedException {
        int shard = shards.shardOf(record.partitionKey);
        if (KplAggregate.sizeOfOne(record.partitionKey, record.payload) > maxBytes) {
            close(shard, out);
            out.emit(record);
            return;
        }
        KplAggregate aggregate = open[shard];
        if (aggregate != null && aggregate.sizeWith(record.partitionKey, record.payload) > maxBytes) {
            close(shard, out);
            aggregate = null;
        }
        if (aggregate == null) {
            aggregate = new KplAggregate();
            open[shard] = aggregate;
            openedAt[shard] = nowMillis;
            openCount++;
            openBytes += aggregate.sizeBytes(); // its frame
        }
        int before = aggregate.sizeBytes();
        aggregate.add(record.partitionKey, record.payload);
        openBytes += aggregate.sizeBytes() - before;
    }

    /** The bytes the open aggregates hold. */
    public long openBytes() {
        return openBytes;
    }

    /** Emits every open aggregate. */
    public void flushAll(Emitter out) throws IOException, InterruptedException {
        for (int shard = 0; shard < open.length && openCount > 0; shard++) {
            close(shard, out);
        }
    }

    /** Emits the aggregates opened {@code maxAgeMillis} or longer before {@code nowMillis}. */
    public void flushExpired(long nowMillis, Emitter out) throws IOException, InterruptedException {
        for (int shard = 0; shard < open.length && openCount > 0; shard++) {
            if (open[shard] != null && nowMillis - openedAt[shard] >= maxAgeMillis) {
                close(shard, out);
            }
        }
    }

    /** When the oldest open aggregate is due, or -1 when none is open. */
    public long nextDeadlineMillis() {
        long oldest = Long.MAX_VALUE;
        for (int shard = 0; shard < open.length && openCount > 0; shard++) {
            if (open[shard] != null) {
                oldest = Math.min(oldest, openedAt[shard]);
            }
        }
        return oldest == Long.MAX_VALUE ? -1 : oldest + maxAgeMillis;
    }

    private void close(int shard, Emitter out) throws IOException, InterruptedException {
        KplAggregate aggregate = open[shard];
        if (aggregate == null) {
            return;
        }
        open[shard] = null;
        openCount--;
        openBytes -= aggregate.sizeBytes();
        byte[] data = aggregate.count() == 1 ? aggregate.onlyData() : aggregate.toBytes();
        out.emit(new KinesisEnvelope(stream, aggregate.firstPartitionKey(), data));
    }
}
