package org.airbytekinesis.flink.benchmark;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** Counts the records in Kinesis streams, reading every shard from the start, keeping none. */
final class StreamCounter {
    private StreamCounter() {}

    static long count(KinesisClient client, Collection<String> streams) {
        long total = 0;
        for (String stream : streams) {
            for (Shard shard : shards(client, stream)) {
                String iterator = client.getShardIterator(b -> b.streamName(stream)
                        .shardId(shard.shardId())
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
                int emptyReads = 0;
                while (iterator != null && emptyReads < 2) {
                    String current = iterator;
                    GetRecordsResponse response = client.getRecords(b -> b.shardIterator(current).limit(10_000));
                    total += response.records().size();
                    boolean caughtUp = response.millisBehindLatest() == null || response.millisBehindLatest() == 0;
                    emptyReads = response.records().isEmpty() && caughtUp ? emptyReads + 1 : 0;
                    iterator = response.nextShardIterator();
                }
            }
        }
        return total;
    }

    private static List<Shard> shards(KinesisClient client, String stream) {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = client.listShards(b -> b.streamName(stream));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            String token = page.nextToken();
            page = client.listShards(b -> b.nextToken(token));
            shards.addAll(page.shards());
        }
        return shards;
    }
}
