package org.airbytekinesis.flink.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.airbytekinesis.flink.sink.ShardMapLoader;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads every record of a Kinesis stream from the start of every shard, for the demo's counts
 * and the tests' checks. Not a consumer for production use: it reads until each shard has no
 * more records right now.
 */
public final class KinesisStreamReader {
    private static final int MAX_EMPTY_READS_PER_SHARD = 2;

    private final KinesisClient client;

    public KinesisStreamReader(KinesisClient client) {
        this.client = client;
    }

    public List<Record> readAll(String stream) {
        List<Record> records = new ArrayList<>();
        forEachBatch(stream, records::addAll);
        return records;
    }

    /** Every record of the stream, by shard id, each shard's in sequence order. */
    public Map<String, List<Record>> readByShard(String stream) {
        Map<String, List<Record>> byShard = new LinkedHashMap<>();
        for (Shard shard : listShards(stream)) {
            List<Record> records = new ArrayList<>();
            readShard(stream, shard, records::addAll);
            byShard.put(shard.shardId(), records);
        }
        return byShard;
    }

    /** Counts the stream's records without keeping them (for streams too large to hold). */
    public long count(String stream) {
        long[] count = {0};
        forEachBatch(stream, batch -> count[0] += batch.size());
        return count[0];
    }

    /** Hands every GetRecords batch of every shard, read from the start, to {@code batches}. */
    private void forEachBatch(String stream, Consumer<List<Record>> batches) {
        for (Shard shard : listShards(stream)) {
            readShard(stream, shard, batches);
        }
    }

    private void readShard(String stream, Shard shard, Consumer<List<Record>> batches) {
        String iterator = client.getShardIterator(b -> b.streamName(stream)
                        .shardId(shard.shardId())
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                .shardIterator();
        int emptyReads = 0;
        while (iterator != null && emptyReads < MAX_EMPTY_READS_PER_SHARD) {
            String current = iterator;
            GetRecordsResponse response = client.getRecords(b -> b.shardIterator(current).limit(10_000));
            batches.accept(response.records());
            boolean caughtUp = response.millisBehindLatest() == null || response.millisBehindLatest() == 0;
            emptyReads = response.records().isEmpty() && caughtUp ? emptyReads + 1 : 0;
            iterator = response.nextShardIterator();
        }
    }

    private List<Shard> listShards(String stream) {
        return ShardMapLoader.listShards(client, stream);
    }
}
