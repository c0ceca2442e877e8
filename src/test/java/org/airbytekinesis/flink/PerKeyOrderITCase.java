package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * Slow fault-injection test ({@code ordering}): {@code write} through a proxy that throttles a
 * fifth of the PutRecords entries (the ones after them in a request still go through), answers
 * requests with 500 and 503, and adds latency so that many requests are in flight. Every shard
 * is then read back: with {@code ordering: per_key} the versions of each key are in input order;
 * with {@code none} the same faults put some out of order (which shows the check can fail). With
 * {@code aggregation: kpl} too, the records are read back through KCL 3's deaggregation.
 */
class PerKeyOrderITCase {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int RECORDS = 3_000;
    private static final int KEYS = 12;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withPerKeyOrderingEveryKeysRecordsLandInInputOrderWhateverKinesisThrottlesOrFails() throws Exception {
        Result result = run("per_key", "none");
        assertTrue(result.entriesFailed > 100, "entries were throttled: " + result.proxy);
        assertEquals(List.of(), result.outOfOrderKeys, "keys out of input order; proxy " + result.proxy);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withPerKeyOrderingAndKplAggregationEveryKeysRecordsLandInInputOrderInsideTheAggregates() throws Exception {
        Result result = run("per_key", "kpl");
        assertTrue(result.entriesFailed > 10, "aggregates were throttled: " + result.proxy);
        assertEquals(List.of(), result.outOfOrderKeys, "keys out of input order; proxy " + result.proxy);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withPerKeyOrderingAndTwoWritersForTheStreamEveryKeysRecordsLandInInputOrder() throws Exception {
        // writersPerStream 2: the keys are spread over two sink writers, each key in one of them.
        Result result = run("per_key", "none", 2);
        assertTrue(result.entriesFailed > 100, "entries were throttled: " + result.proxy);
        assertEquals(List.of(), result.outOfOrderKeys, "keys out of input order; proxy " + result.proxy);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void withoutItTheSameFaultsPutSomeKeysOutOfOrder() throws Exception {
        Result result = run("none", "none");
        assertTrue(!result.outOfOrderKeys.isEmpty(), "expected reordering without per_key; proxy " + result.proxy);
    }

    private static final class Result {
        final List<String> outOfOrderKeys = new ArrayList<>();
        long entriesFailed;
        String proxy;
    }

    private Result run(String ordering, String aggregation) throws Exception {
        return run(ordering, aggregation, 0);
    }

    /** @param writers {@code writersPerStream}, or 0 for the shard rule (one writer for 2 shards) */
    private Result run(String ordering, String aggregation, int writers) throws Exception {
        Path input = dir.resolve("input.jsonl");
        List<String> lines = new ArrayList<>();
        for (int v = 0; v < RECORDS; v++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"rows\",\"data\":{\"id\":" + (v % KEYS) + ",\"v\":" + v
                    + ",\"pad\":\"" + "x".repeat(100) + "\"},\"emitted_at\":1}}");
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"rows\"},\"primary_key\":[[\"id\"]]}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient direct = emulator.client();
                KinesisFaultProxy proxy = KinesisFaultProxy.start(emulator.endpoint())) {
            proxy.setSeed(12).setEntryFailureShare(0.2).setHttp500Share(0.03).setHttp503Share(0.03).setLatencyMillis(5);
            Map<String, Object> extra = new HashMap<>();
            extra.put("endpoint", proxy.endpoint());
            extra.put("partitionKey", "primary_key");
            extra.put("ordering", ordering);
            extra.put("aggregation", aggregation);
            // Small aggregates, so that a run makes many of them and some are throttled.
            extra.put("aggregationMaxBytes", 2_000);
            extra.put("bufferSize", 20);
            extra.put("shardCount", 2);
            if (writers > 0) {
                extra.put("writersPerStream", writers);
            }
            Path config = Files.writeString(dir.resolve("config.json"), emulator.config(extra).toString());
            new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(WriteOptions.parse(List.of(
                    "--config", config.toString(), "--catalog", catalog.toString(), "--input", input.toString(),
                    "--dead-letter", dir.resolve("dead-letter").toString())));

            Result result = new Result();
            result.entriesFailed = proxy.entriesFailed();
            result.proxy = proxy.toString();
            Map<String, List<Integer>> versionsByKey = new TreeMap<>();
            Map<String, String> shardOfKey = new HashMap<>();
            for (Map.Entry<String, List<Record>> shard : new KinesisStreamReader(direct).readByShard("_rows").entrySet()) {
                List<KinesisClientRecord> kinesisRecords = new ArrayList<>();
                shard.getValue().forEach(record -> kinesisRecords.add(KinesisClientRecord.fromRecord(record)));
                // KCL 3's deaggregation; plain records pass through it as they are.
                for (KinesisClientRecord record : new AggregatorUtil().deaggregate(kinesisRecords)) {
                    String key = record.partitionKey();
                    assertEquals(shardOfKey.computeIfAbsent(key, k -> shard.getKey()), shard.getKey(), "key " + key + " on one shard");
                    String data = MAPPER.readTree(StandardCharsets.UTF_8.decode(record.data()).toString()).get("_airbyte_data").asText();
                    versionsByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(MAPPER.readTree(data).get("v").intValue());
                }
            }
            assertEquals(KEYS, versionsByKey.size());
            int read = 0;
            for (Map.Entry<String, List<Integer>> key : versionsByKey.entrySet()) {
                List<Integer> versions = key.getValue();
                read += versions.size();
                List<Integer> sorted = new ArrayList<>(versions);
                sorted.sort(null);
                if (!versions.equals(sorted)) {
                    result.outOfOrderKeys.add(key.getKey());
                }
                assertEquals(RECORDS / KEYS, new java.util.HashSet<>(versions).size(), "every version of key " + key.getKey());
            }
            assertEquals(RECORDS, read, "nothing lost, nothing twice (no fault here makes a duplicate)");
            return result;
        }
    }
}
