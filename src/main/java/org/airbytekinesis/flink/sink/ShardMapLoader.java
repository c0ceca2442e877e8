package org.airbytekinesis.flink.sink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.aggregation.ShardMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Where an aggregating writer learns its stream's shards, when it starts. */
public interface ShardMapLoader extends Serializable {
    ShardMap load(String stream);

    /**
     * Asks Kinesis (ListShards), with the connection's credentials and endpoint. An error that
     * asking again cannot cure (a missing {@code kinesis:ListShards} permission, a stream that is
     * gone) fails the run at once, naming it; others (throttling, a lost connection, after the
     * client's own retries) fail the writer and the job restarts from its last checkpoint.
     */
    static ShardMapLoader of(KinesisConnection connection) {
        return stream -> {
            try (KinesisClient client = KinesisClients.create(connection)) {
                return listShardsOrFail(client, stream);
            }
        };
    }

    static ShardMap listShardsOrFail(KinesisClient client, String stream) {
        try {
            return listOpenShards(client, stream);
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            if (KinesisErrors.isPermanentWriteError(code, e.statusCode())) {
                String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
                throw new PermanentKinesisError("Kinesis stream " + stream + " refused ListShards, which aggregation kpl"
                        + " needs to place records by shard (kinesis:ListShards): "
                        + (code == null ? "HTTP " + e.statusCode() : code) + ": " + message, true);
            }
            throw e;
        }
    }

    /** The shards that take records now: those whose sequence range has no end. */
    static ShardMap listOpenShards(KinesisClient client, String stream) {
        List<ShardMap.Shard> open = new ArrayList<>();
        for (Shard shard : listShards(client, stream)) {
            if (shard.sequenceNumberRange() == null || shard.sequenceNumberRange().endingSequenceNumber() == null) {
                open.add(new ShardMap.Shard(shard.shardId(), shard.hashKeyRange().startingHashKey()));
            }
        }
        return new ShardMap(open);
    }

    /** Every shard of the stream, open and closed, page after page. */
    static List<Shard> listShards(KinesisClient client, String stream) {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = client.listShards(ListShardsRequest.builder().streamName(stream).build());
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            page = client.listShards(ListShardsRequest.builder().nextToken(page.nextToken()).build());
            shards.addAll(page.shards());
        }
        return shards;
    }
}
