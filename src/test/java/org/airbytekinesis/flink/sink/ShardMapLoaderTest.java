package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.config.DestinationConfig;
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
    void aRefusalWithoutDetailsIsNamedByItsHttpStatusAndMessage() {
        AwsServiceException forbidden = AwsServiceException.builder().statusCode(403).message("Forbidden").build();

        PermanentKinesisError error = assertThrows(PermanentKinesisError.class,
                () -> ShardMapLoader.listShardsOrFail(new FakeKinesis(List.of(), forbidden), "orders"));

        assertTrue(error.getMessage().startsWith("Kinesis stream orders refused ListShards, which aggregation kpl needs to"
                + " place records by shard (kinesis:ListShards): HTTP 403: Forbidden"), error.getMessage());
        assertTrue(error.isConfiguration());
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

    @Test
    void aShardListedWithoutASequenceRangeIsOpen() {
        Shard bare = Shard.builder().shardId("bare").hashKeyRange(HashKeyRange.builder().startingHashKey("0")
                .endingHashKey("1").build()).build();
        FakeKinesis kinesis = new FakeKinesis(List.of(ListShardsResponse.builder().shards(bare).build()), null);
        ShardMap map = ShardMapLoader.listShardsOrFail(kinesis, "s");
        assertEquals(1, map.size());
        assertEquals("bare", map.shardId(0));
    }

    @Test
    void theLoaderAsksTheConnectionsEndpointWithItsCredentials() throws Exception {
        List<String> asked = new ArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            asked.add(exchange.getRequestHeaders().getFirst("X-Amz-Target") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ("{\"Shards\":[{\"ShardId\":\"shardId-000000000007\",\"HashKeyRange\":{\"StartingHashKey\":\"0\","
                    + "\"EndingHashKey\":\"340282366920938463463374607431768211455\"},"
                    + "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"1\"}}]}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            KinesisConnection connection = KinesisConnection.fromConfig(DestinationConfig.fromJson(new ObjectMapper().readTree(
                    "{\"region\":\"eu-west-1\",\"accessKey\":\"AK\",\"privateKey\":\"SK\",\"endpoint\":\"http://127.0.0.1:"
                            + server.getAddress().getPort() + "\"}")));
            ShardMap map = ShardMapLoader.of(connection).load("orders");
            assertEquals(1, map.size());
            assertEquals("shardId-000000000007", map.shardId(0));
            assertEquals(1, asked.size());
            assertTrue(asked.get(0).startsWith("Kinesis_20131202.ListShards "), asked.get(0));
            assertTrue(asked.get(0).contains("\"StreamName\":\"orders\""), asked.get(0));
        } finally {
            server.stop(0);
        }
    }
}
