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
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.connectors.kinesis.FlinkKinesisConsumer;
import org.apache.flink.streaming.connectors.kinesis.config.AWSConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.config.ConsumerConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * {@code aggregation: kpl} end to end: the same input written once without aggregation and once
 * with it, to two emulators, keyed by primary key over 4 shards. The aggregated stream is read
 * back by two consumers nobody here wrote, KCL 3's deaggregation (checking each shard's hash
 * range, as the KCL does) and Flink's own {@link FlinkKinesisConsumer} from the connector jar:
 * each must give back exactly the records of the plain run, byte for byte, with their own
 * partition keys, in the shard their keys hash to and in input order per key; every STATE is
 * released, and far fewer Kinesis records are written.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KplAggregationITCase {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int RECORDS = 3_000;
    private static final int KEYS = 60;
    private static final int STATE_EVERY = 500;
    private static final String STREAM = "_rows";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    static Path dir;

    private static KinesisEmulator plainEmulator;
    private static KinesisEmulator packedEmulator;
    /** The plain run's records: shard id, partition key and data, as the aggregated run must give them back. */
    private static List<String> plainRecords;
    private static int packedKinesisRecords;
    private static Path packedStates;

    @BeforeAll
    static void writeTheSameInputPlainAndAggregated() throws Exception {
        Path input = dir.resolve("input.jsonl");
        List<String> lines = new ArrayList<>();
        int states = 0;
        for (int v = 0; v < RECORDS; v++) {
            // Sizes from a few bytes to ~1 KB, some keys non-ASCII: what a real table has.
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"rows\",\"data\":{\"id\":\"" + (v % KEYS == 7 ? "ключ-" : "k-")
                    + (v % KEYS) + "\",\"v\":" + v + ",\"pad\":\"" + "x".repeat((v * 37) % 1_000) + "\"},\"emitted_at\":1700000000000}}");
            if ((v + 1) % STATE_EVERY == 0) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"type\":\"LEGACY\",\"data\":{\"upTo\":" + v + "}}}");
                states++;
            }
        }
        assertEquals(RECORDS / STATE_EVERY, states);
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"rows\"},\"primary_key\":[[\"id\"]]}]}");
        plainEmulator = KinesisEmulator.kinesalite();
        packedEmulator = KinesisEmulator.kinesalite();

        write(plainEmulator, input, catalog, Map.of());
        packedStates = write(packedEmulator, input, catalog, Map.of("aggregation", "kpl"));

        plainRecords = new ArrayList<>();
        try (KinesisClient client = plainEmulator.client()) {
            for (Map.Entry<String, List<Record>> shard : new KinesisStreamReader(client).readByShard(STREAM).entrySet()) {
                for (Record record : shard.getValue()) {
                    plainRecords.add(line(shard.getKey(), record.partitionKey(), record.data().asByteArray()));
                }
            }
        }
        assertEquals(RECORDS, plainRecords.size());
        try (KinesisClient client = packedEmulator.client()) {
            packedKinesisRecords = new KinesisStreamReader(client).readAll(STREAM).size();
        }
    }

    @AfterAll
    static void stopEmulators() {
        if (plainEmulator != null) {
            plainEmulator.close();
        }
        if (packedEmulator != null) {
            packedEmulator.close();
        }
    }

    @Test
    void kcl3DeaggregationGivesBackEveryRecordOfThePlainRunByteForByteInItsShardAndKeyOrder() throws Exception {
        List<String> users = new ArrayList<>();
        try (KinesisClient client = packedEmulator.client()) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            Map<String, Shard> shards = new HashMap<>();
            client.listShards(b -> b.streamName(STREAM)).shards().forEach(shard -> shards.put(shard.shardId(), shard));
            assertEquals(4, shards.size());
            for (Map.Entry<String, List<Record>> shard : reader.readByShard(STREAM).entrySet()) {
                List<KinesisClientRecord> records = new ArrayList<>();
                shard.getValue().forEach(record -> records.add(KinesisClientRecord.fromRecord(record)));
                Shard range = shards.get(shard.getKey());
                // With the shard's range, as the KCL reads: a record of another shard would be dropped.
                List<KinesisClientRecord> out = new AggregatorUtil().deaggregate(records,
                        range.hashKeyRange().startingHashKey(), range.hashKeyRange().endingHashKey());
                for (KinesisClientRecord user : out) {
                    users.add(line(shard.getKey(), user.partitionKey(), Deaggregation.bytes(user.data())));
                }
            }
        }
        // Across keys a shard's order depends on which requests landed first, in both runs: compare
        // the records with their shards as sets, and the order per key below.
        assertSameRecords(sorted(plainRecords), sorted(users), "KCL 3");
        assertKeysInInputOrder(users);
    }

    @Test
    void flinksOwnKinesisConsumerGivesBackEveryRecordOfThePlainRunByteForByte() throws Exception {
        // The consumer's own (shaded) SDK v1 speaks CBOR by default, which kinesalite answers wrongly.
        System.setProperty(org.apache.flink.kinesis.shaded.com.amazonaws.SDKGlobalConfiguration.AWS_CBOR_DISABLE_SYSTEM_PROPERTY,
                "true");
        COLLECTED.clear();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        Properties consumer = new Properties();
        consumer.setProperty(AWSConfigConstants.AWS_REGION, KinesisEmulator.REGION);
        consumer.setProperty(AWSConfigConstants.AWS_ENDPOINT, packedEmulator.endpoint());
        consumer.setProperty(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER, "BASIC");
        consumer.setProperty(AWSConfigConstants.AWS_ACCESS_KEY_ID, KinesisEmulator.ACCESS_KEY);
        consumer.setProperty(AWSConfigConstants.AWS_SECRET_ACCESS_KEY, KinesisEmulator.SECRET_KEY);
        consumer.setProperty(ConsumerConfigConstants.STREAM_INITIAL_POSITION, "TRIM_HORIZON");
        consumer.setProperty(ConsumerConfigConstants.SHARD_GETRECORDS_INTERVAL_MILLIS, "50");
        env.addSource(new FlinkKinesisConsumer<>(STREAM, new UserRecordLines(), consumer))
                .uid("kinesis-consumer").name("Flink Kinesis consumer")
                .sinkTo(new CollectingSink()).name("collect");
        JobClient job = env.executeAsync("read aggregated records");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (COLLECTED.size() < RECORDS && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(500); // anything beyond the expected records would show up now
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                job.getJobExecutionResult().get(); // throws the reason the consumer failed
            }
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
        List<String> users = new ArrayList<>(COLLECTED);
        assertSameRecords(sorted(plainRecords), sorted(users), "Flink's consumer");
        assertKeysInInputOrder(users);
    }

    @Test
    void aggregationWritesFarFewerKinesisRecordsAndReleasesEverySTATE() throws Exception {
        assertTrue(packedKinesisRecords * 10 < RECORDS, "Kinesis records for " + RECORDS + " user records: " + packedKinesisRecords);
        List<Integer> released = new ArrayList<>();
        for (String line : Files.readAllLines(packedStates, StandardCharsets.UTF_8)) {
            released.add(MAPPER.readTree(line).path("state").path("data").path("upTo").intValue());
        }
        List<Integer> expected = new ArrayList<>();
        for (int upTo = STATE_EVERY - 1; upTo < RECORDS; upTo += STATE_EVERY) {
            expected.add(upTo);
        }
        assertEquals(expected, released, "every STATE released, in order");
    }

    /** Runs {@code write}; the STATEs it released are in the file returned. */
    private static Path write(KinesisEmulator emulator, Path input, Path catalog, Map<String, Object> options)
            throws Exception {
        Map<String, Object> extra = new HashMap<>(options);
        extra.put("partitionKey", "primary_key");
        extra.put("shardCount", 4);
        Path config = Files.writeString(dir.resolve("config-" + emulator.port() + ".json"), emulator.config(extra).toString());
        Path states = dir.resolve("states-" + emulator.port() + ".jsonl");
        new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(WriteOptions.parse(List.of(
                "--config", config.toString(), "--catalog", catalog.toString(), "--input", input.toString(),
                "--state-out", states.toString(), "--dead-letter", dir.resolve("dead-letter-" + emulator.port()).toString())));
        return states;
    }

    /** The same lines in the same order; a failure names the first difference, not 3,000 lines. */
    private static void assertSameRecords(List<String> expected, List<String> actual, String reader) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            if (!expected.get(i).equals(actual.get(i))) {
                throw new AssertionError(reader + ": record " + i + " differs: expected " + shorten(expected.get(i)) + " got "
                        + shorten(actual.get(i)));
            }
        }
        assertEquals(expected.size(), actual.size(), reader + ": records read");
    }

    private static String shorten(String line) {
        return line.length() <= 160 ? line : line.substring(0, 160) + "...";
    }

    /** Each key's records carry increasing {@code v}: input order. */
    private static void assertKeysInInputOrder(List<String> users) throws Exception {
        Map<String, Integer> lastVersion = new TreeMap<>();
        Map<String, String> shardOfKey = new HashMap<>();
        for (String user : users) {
            String[] parts = user.split("\t");
            assertEquals(shardOfKey.computeIfAbsent(parts[1], k -> parts[0]), parts[0], "key " + parts[1] + " in one shard");
            String data = MAPPER.readTree(Base64.getDecoder().decode(parts[2])).get("_airbyte_data").asText();
            int v = MAPPER.readTree(data).get("v").intValue();
            Integer before = lastVersion.put(parts[1], v);
            assertTrue(before == null || before < v, "key " + parts[1] + ": " + v + " after " + before);
        }
        assertEquals(KEYS, lastVersion.size());
    }

    private static List<String> sorted(List<String> lines) {
        List<String> out = new ArrayList<>(lines);
        out.sort(null);
        return out;
    }

    private static String line(String shard, String partitionKey, byte[] data) {
        return shard + "\t" + partitionKey + "\t" + Base64.getEncoder().encodeToString(data);
    }


    static final ConcurrentLinkedQueue<String> COLLECTED = new ConcurrentLinkedQueue<>();

    /** What the consumer hands over per user record, as a line like {@link #line}. */
    private static final class UserRecordLines implements KinesisDeserializationSchema<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String deserialize(byte[] recordValue, String partitionKey, String seqNum, long approxArrivalTimestamp,
                String stream, String shardId) {
            return line(shardId, partitionKey, recordValue);
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    private static final class CollectingSink implements Sink<String> {
        private static final long serialVersionUID = 1L;

        @Override
        @Deprecated
        public SinkWriter<String> createWriter(InitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(String element, Context context) {
                    COLLECTED.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
