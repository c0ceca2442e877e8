package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A small Kinesis on localhost for unit tests, speaking the JSON protocol (the test JVM runs with
 * CBOR off) and keeping streams in memory: a stream is ACTIVE as soon as it is created and gone
 * as soon as it is deleted, has one shard covering every hash key, and takes every record of a
 * PutRecords. No emulator, no checks of signatures or limits.
 */
public final class LocalKinesis implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final String SHARD_ID = "shardId-000000000000";

    /** A record as written: its stream, partition key and data. */
    public static final class Written {
        public final String stream;
        public final String partitionKey;
        public final byte[] data;

        Written(String stream, String partitionKey, byte[] data) {
            this.stream = stream;
            this.partitionKey = partitionKey;
            this.data = data;
        }
    }

    private final HttpServer server;
    /** Stream name to its open shards as created. */
    public final Map<String, Integer> streams = new ConcurrentHashMap<>();
    /** The actions asked, in order: "CreateStream orders", "PutRecords orders 2" (with the entry count), ... */
    public final List<String> calls = new CopyOnWriteArrayList<>();
    public final List<Written> written = new CopyOnWriteArrayList<>();
    /** An error message to refuse every DeleteStream with (AccessDeniedException), or null. */
    public volatile String deleteRefusal;

    public LocalKinesis() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    public String endpoint() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    private void answer(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        String action = target.substring(target.indexOf('.') + 1);
        JsonNode request = MAPPER.readTree(exchange.getRequestBody());
        String stream = request.path("StreamName").asText();
        ObjectNode ok = MAPPER.createObjectNode();
        switch (action) {
            case "DescribeStreamSummary":
                calls.add(action + " " + stream);
                if (!streams.containsKey(stream)) {
                    respond(exchange, 400, error("ResourceNotFoundException", "Stream " + stream + " not found"));
                    return;
                }
                ok.putObject("StreamDescriptionSummary").put("StreamName", stream).put("StreamStatus", "ACTIVE")
                        .put("OpenShardCount", streams.get(stream));
                respond(exchange, 200, ok);
                return;
            case "CreateStream":
                calls.add(action + " " + stream);
                streams.put(stream, request.path("ShardCount").asInt(4));
                respond(exchange, 200, ok);
                return;
            case "DeleteStream":
                calls.add(action + " " + stream);
                if (deleteRefusal != null) {
                    respond(exchange, 400, error("AccessDeniedException", deleteRefusal));
                    return;
                }
                streams.remove(stream);
                respond(exchange, 200, ok);
                return;
            case "ListShards":
                calls.add(action + " " + stream);
                ok.putArray("Shards").addObject().put("ShardId", SHARD_ID)
                        .<ObjectNode>set("HashKeyRange", MAPPER.createObjectNode().put("StartingHashKey", "0")
                                .put("EndingHashKey", "340282366920938463463374607431768211455"))
                        .set("SequenceNumberRange", MAPPER.createObjectNode().put("StartingSequenceNumber", "1"));
                respond(exchange, 200, ok);
                return;
            case "PutRecords":
                JsonNode records = request.path("Records");
                calls.add(action + " " + stream + " " + records.size());
                if (records.size() == 0) { // the write probe
                    respond(exchange, 400, error("InvalidArgumentException", "Records must have at least 1 item"));
                    return;
                }
                ArrayNode results = ok.put("FailedRecordCount", 0).putArray("Records");
                for (JsonNode record : records) {
                    written.add(new Written(stream, record.path("PartitionKey").asText(),
                            Base64.getDecoder().decode(record.path("Data").asText())));
                    results.addObject().put("SequenceNumber", String.valueOf(written.size())).put("ShardId", SHARD_ID);
                }
                respond(exchange, 200, ok);
                return;
            default:
                calls.add(action + " " + stream);
                respond(exchange, 400, error("UnknownOperationException", action));
        }
    }

    private static ObjectNode error(String code, String message) {
        return MAPPER.createObjectNode().put("__type", code).put("message", message);
    }

    private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
