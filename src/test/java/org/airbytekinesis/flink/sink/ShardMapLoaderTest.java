package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.SequenceNumberRange;
import software.amazon.awssdk.services.kinesis.model.Shard;

class ShardMapLoaderTest {
    /** A client whose ListShards answers pages in turn, or fails. */
    private static final class FakeKinesis implements KinesisClient {
        final List<ListShardsRequest> requests = new ArrayList<>();
        final List<ListShardsResponse> pages;
        final AwsServiceException failure;

        FakeKinesis(List<ListShardsResponse> pages, AwsServiceException failure) {
            this.pages = pages;
            this.failure = failure;
        }

        @Override
        public ListShardsResponse listShards(ListShardsRequest request) {
            requests.add(request);
            if (failure != null) {
                throw failure;
            }
            return pages.get(requests.size() - 1);
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {}
    }

    private static Shard shard(String id, String start, boolean closed) {
        return Shard.builder().shardId(id).hashKeyRange(HashKeyRange.builder().startingHashKey(start).endingHashKey("1").build())
                .sequenceNumberRange(SequenceNumberRange.builder().startingSequenceNumber("1")
                        .endingSequenceNumber(closed ? "9" : null).build())
                .build();
    }

    @Test
    void theMapHoldsTheOpenShardsOfEveryPageAndLeavesClosedParentsOut() {
        FakeKinesis kinesis = new FakeKinesis(List.of(
                ListShardsResponse.builder().shards(shard("parent", "0", true), shard("a", "0", false)).nextToken("t").build(),
                ListShardsResponse.builder().shards(shard("b", "170141183460469231731687303715884105728", false)).build()), null);

        ShardMap map = ShardMapLoader.listShardsOrFail(kinesis, "s");

        assertEquals(2, map.size());
        assertEquals("a", map.shardId(0));
        assertEquals("b", map.shardId(1));
        assertEquals("s", kinesis.requests.get(0).streamName());
        assertEquals("t", kinesis.requests.get(1).nextToken(), "the next page asked by its token");
    }

    @Test
    void aMissingListShardsPermissionFailsTheRunNamingItInsteadOfRestartingForEver() {
        AwsServiceException denied = AwsServiceException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException")
                        .errorMessage("User is not authorized to perform: kinesis:ListShards").build())
                .build();

        PermanentKinesisError error = assertThrows(PermanentKinesisError.class,
                () -> ShardMapLoader.listShardsOrFail(new FakeKinesis(List.of(), denied), "orders"));

        assertTrue(error.getMessage().contains("orders"), error.getMessage());
        assertTrue(error.getMessage().contains("AccessDeniedException: User is not authorized to perform: kinesis:ListShards"),
                error.getMessage());
    }

    @Test
    void throttlingIsLeftToTheRestartFromTheLastCheckpoint() {
        AwsServiceException throttled = AwsServiceException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("LimitExceededException").errorMessage("Rate exceeded").build())
                .build();

        AwsServiceException thrown = assertThrows(AwsServiceException.class,
                () -> ShardMapLoader.listShardsOrFail(new FakeKinesis(List.of(), throttled), "orders"));
        assertEquals(throttled, thrown);
    }
}
