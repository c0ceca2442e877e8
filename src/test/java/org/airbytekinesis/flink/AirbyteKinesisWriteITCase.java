package org.airbytekinesis.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.airbytekinesis.flink.testing.Corpus;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write command on a MiniCluster against kinesis-mock (the emulator LocalStack uses), on real
 * Airbyte connector output from {@code src/test/resources/corpus}, read back with the AWS SDK.
 */
class AirbyteKinesisWriteITCase {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path JIRA = Corpus.file("messages__faros__jira_all-streams.log");
    private static final Path GITHUB_PUBLIC = Corpus.file("messages__faros__github_pg-raw_namespace_public.log");

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    private static KinesisEmulator emulator;
    private static KinesisClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEmulator() throws Exception {
        emulator = KinesisEmulator.kinesisMock();
        client = emulator.client();
    }

    @AfterAll
    static void stopEmulator() {
        if (client != null) {
            client.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void everyRecordOfTwoCorpusFilesLandsInItsOwnStreamJsonEqualWithUuidPartitionKeys() throws Exception {
        Path catalog = writeCatalogOf(List.of(JIRA, GITHUB_PUBLIC));
        Path config = emulator.writeConfig(dir, Map.of());
        ExpectedRecords expected = ExpectedRecords.fromFiles(ExpectedRecordsNaming::plain, JIRA, GITHUB_PUBLIC);
        assertEquals(11 + 4, expected.byStream().size(), "jira has 11 streams, github 4");

        runWrite(config, catalog, JIRA, GITHUB_PUBLIC);

        KinesisStreamReader reader = new KinesisStreamReader(client);
        Set<String> ids = new HashSet<>();
        int read = 0;
        for (String stream : expected.byStream().keySet()) {
            List<Record> records = reader.readAll(stream);
            expected.assertStreamHolds(stream, records, true);
            records.forEach(r -> ids.add(r.partitionKey()));
            read += records.size();
        }
        assertEquals(expected.total(), read);
        assertEquals(read, ids.size(), "every record has its own id");
        assertTrue(expected.byStream().containsKey("public__airbyte_raw_mytestsource__github__commits"));
    }

    @Test
    void recordsWithANamespaceMatchTheSloppyCatalogStreamsWithoutOneAndObjectFormatEmbedsData() throws Exception {
        // The real catalog paired with these records has no namespaces at all.
        Path catalog = Corpus.file("catalog__faros__github_catalog-raw.json");
        Path config = emulator.writeConfig(dir, Map.of("dataFormat", "object", "bufferSize", 7));
        ExpectedRecords expected = ExpectedRecords.fromFiles((namespace, stream) -> "_" + stream, GITHUB_PUBLIC);

        runWrite(config, catalog, GITHUB_PUBLIC);

        KinesisStreamReader reader = new KinesisStreamReader(client);
        for (String stream : expected.byStream().keySet()) {
            expected.assertStreamHolds(stream, reader.readAll(stream), false);
        }
        // Catalog streams without records still get their (empty) Kinesis stream.
        assertEquals(List.of(), reader.readAll("__airbyte_raw_mytestsource__github__reviews"));
    }

    @Test
    void withOnBadInputFailALineThatIsNotJsonStopsTheJobNamingFileAndLine() throws Exception {
        Path input = dir.resolve("broken.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":1},\"emitted_at\":1}}",
                "",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"a\":2},\"emitted_at\":1}",
                ""));
        Path catalog = writeCatalog(List.<String[]>of(new String[] {null, "s"}));
        Exception failure = assertThrows(Exception.class,
                () -> runWrite(emulator.writeConfig(dir, Map.of("onBadInput", "fail")), catalog, input));
        String message = AirbyteKinesisMain.oneLine(failure);
        assertTrue(message.contains("broken.jsonl line 3: invalid JSON"), message);
    }

    @Test
    void withOnBadInputFailARecordOfAStreamMissingFromTheCatalogStopsTheJobNamingTheStream() throws Exception {
        Path input = dir.resolve("unknown-stream.jsonl");
        Files.writeString(input,
                "{\"type\":\"RECORD\",\"record\":{\"namespace\":\"ns\",\"stream\":\"other\",\"data\":{},\"emitted_at\":1}}\n");
        Path catalog = writeCatalog(List.<String[]>of(new String[] {null, "s"}));
        Exception failure = assertThrows(Exception.class,
                () -> runWrite(emulator.writeConfig(dir, Map.of("onBadInput", "fail")), catalog, input));
        String message = AirbyteKinesisMain.oneLine(failure);
        assertTrue(message.contains("unknown-stream.jsonl line 1: stream \"ns.other\" is not in the catalog"), message);
    }

    @Test
    void recordsKeyedByTheirPrimaryKeyPutEveryKeyOnOneShardAndKeepTheIdInTheEnvelope() throws Exception {
        Path input = dir.resolve("versions.jsonl");
        List<String> lines = new ArrayList<>();
        Map<String, Integer> versionsByKey = new TreeMap<>();
        for (int i = 0; i < 400; i++) {
            int id = i % 40; // ten versions of each of 40 rows, interleaved
            String region = id % 2 == 0 ? "eu" : "us";
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"rows\",\"data\":{\"id\":" + id
                    + ",\"region\":\"" + region + "\",\"version\":" + i + "},\"emitted_at\":1}}");
            versionsByKey.merge("[" + id + ",\"" + region + "\"]", 1, Integer::sum);
        }
        lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"rows\",\"data\":{\"id\":1},\"emitted_at\":1}}");
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, "{\"streams\":[{\"stream\":{\"name\":\"rows\"},\"destination_sync_mode\":\"append\","
                + "\"primary_key\":[[\"id\"],[\"region\"]]}]}");
        Path config = emulator.writeConfig(dir, Map.of("partitionKey", "primary_key", "shardCount", 4, "bufferSize", 17));

        runWrite(config, catalog, input);

        Map<String, List<Record>> byShard = new KinesisStreamReader(client).readByShard("_rows");
        assertEquals(4, byShard.size());
        Map<String, String> shardOfKey = new HashMap<>();
        Map<String, Integer> read = new TreeMap<>();
        Set<String> ids = new HashSet<>();
        for (Map.Entry<String, List<Record>> shard : byShard.entrySet()) {
            for (Record record : shard.getValue()) {
                String key = record.partitionKey();
                String earlier = shardOfKey.putIfAbsent(key, shard.getKey());
                assertTrue(earlier == null || earlier.equals(shard.getKey()), key + " is in " + earlier + " and " + shard.getKey());
                read.merge(key, 1, Integer::sum);
                ids.add(MAPPER.readTree(record.data().asByteArray()).get("_airbyte_ab_id").asText());
            }
        }
        assertEquals(versionsByKey, read, "every version of every row, under its key");
        assertEquals(400, ids.size(), "each record keeps its own id");
        assertTrue(new HashSet<>(shardOfKey.values()).size() > 1, "the keys spread over the shards");
        List<String> deadLetters = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("dead-letter"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().endsWith(".jsonl")) {
                    deadLetters.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
                }
            }
        }
        assertEquals(1, deadLetters.size(), "the record without a region");
        assertTrue(deadLetters.get(0).contains("\"reason\":\"missing_partition_key\""), deadLetters.get(0));
    }

    @Test
    void theSummaryJsonCountsEveryLineByStreamMessageTypeAndDeadLetterReasonAsKinesisHoldsThem() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"alpha\",\"data\":{\"i\":" + i + "},\"emitted_at\":1}}");
        }
        lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"n\":1}}}");
        for (int i = 0; i < 4; i++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"namespace\":\"ns\",\"stream\":\"beta\",\"data\":{\"i\":" + i
                    + "},\"emitted_at\":1}}");
        }
        lines.add("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}");
        lines.add("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"again\"}}");
        lines.add("");
        lines.add("not json at all");
        lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"gamma\",\"data\":{},\"emitted_at\":1}}");
        lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"gamma\",\"data\":{},\"emitted_at\":1}}");
        lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"n\":2}}}");
        Path input = dir.resolve("input.jsonl");
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path catalog = writeCatalog(List.of(new String[] {null, "alpha"}, new String[] {"ns", "beta"},
                new String[] {null, "idle"}));
        Path config = emulator.writeConfig(dir, Map.of("shardCount", 1));
        Path summaryFile = dir.resolve("summary.json");

        runWrite(config, catalog, List.of("--summary-json", summaryFile.toString()), input);

        JsonNode summary = MAPPER.readTree(summaryFile.toFile());
        assertEquals("FINISHED", summary.get("status").asText());
        assertEquals(lines.size(), summary.get("lines_read").asLong(), "every line, blank and bad ones too");
        assertEquals(11, summary.get("records_written").asLong());
        assertEquals(1, summary.get("blank_lines").asLong());
        assertEquals(3, summary.at("/dead_letters/total").asLong());
        assertEquals(1, summary.at("/dead_letters/by_reason/not_json").asLong());
        assertEquals(2, summary.at("/dead_letters/by_reason/stream_not_in_catalog").asLong());
        assertTrue(summary.at("/dead_letters/target").asText().contains("dead-letter"), summary.toString());
        assertEquals(2, summary.at("/messages/STATE").asLong());
        assertEquals(2, summary.at("/messages/LOG").asLong());
        assertTrue(summary.get("job_id").asText().matches("[0-9a-f]{32}"), summary.get("job_id").asText());
        assertTrue(summary.at("/durations_ms/job_net_runtime").asLong() > 0);
        assertTrue(summary.at("/durations_ms/wall").asLong() >= summary.at("/durations_ms/job_net_runtime").asLong());

        Map<String, Long> expected = Map.of("alpha", 7L, "beta", 4L, "idle", 0L);
        assertEquals(3, summary.get("streams").size(), "every catalog stream, idle ones too");
        List<String> order = new ArrayList<>();
        for (JsonNode stream : summary.get("streams")) {
            String name = stream.get("name").asText();
            order.add(name);
            assertEquals("beta".equals(name) ? "ns" : null,
                    stream.get("namespace").isNull() ? null : stream.get("namespace").asText());
            assertEquals(expected.get(name), stream.get("records").asLong(), name);
            if (!"idle".equals(name)) {
                List<Record> inKinesis = new ArrayList<>();
                new KinesisStreamReader(client).readByShard(stream.get("kinesis_stream").asText()).values()
                        .forEach(inKinesis::addAll);
                assertEquals(expected.get(name), inKinesis.size(), "what " + stream.get("kinesis_stream").asText() + " holds");
                assertEquals(inKinesis.stream().mapToLong(r -> r.data().asByteArrayUnsafe().length).sum(),
                        stream.get("bytes").asLong(), "the data of its Kinesis records");
            } else {
                assertEquals(0, stream.get("bytes").asLong());
            }
        }
        assertEquals(List.of("alpha", "beta", "idle"), order, "in catalog order");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).collect(java.util.stream.Collectors.toList()),
                    "no temporary file is left beside the summary");
        }
    }

    @Test
    void aRunThatFailsWritesASummaryJsonThatSaysSoAndWhy() throws Exception {
        Path input = dir.resolve("input.jsonl");
        Files.write(input, List.of("{\"type\":\"RECORD\",\"record\":{\"stream\":\"alpha\",\"data\":{},\"emitted_at\":1}}",
                "not json"), StandardCharsets.UTF_8);
        Path catalog = writeCatalog(List.<String[]>of(new String[] {null, "alpha"}));
        Path config = emulator.writeConfig(dir, Map.of("shardCount", 1, "onBadInput", "fail"));
        Path summaryFile = dir.resolve("summary.json");

        assertThrows(Exception.class, () -> runWrite(config, catalog, List.of("--summary-json", summaryFile.toString()), input));

        JsonNode summary = MAPPER.readTree(summaryFile.toFile());
        assertEquals("FAILED", summary.get("status").asText());
        assertTrue(summary.get("error").asText().contains("line 2"), summary.get("error").asText());
        assertTrue(summary.path("records_written").isMissingNode(), "no counts: they died with the job");
    }

    private void runWrite(Path config, Path catalog, Path... inputs) throws Exception {
        runWrite(config, catalog, List.of(), inputs);
    }

    private void runWrite(Path config, Path catalog, List<String> extraArgs, Path... inputs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                "--dead-letter", dir.resolve("dead-letter").toString()));
        args.addAll(extraArgs);
        for (Path input : inputs) {
            args.add("--input");
            args.add(input.toString());
        }
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        new WriteCommand(new PrintStream(summary, true, StandardCharsets.UTF_8)).run(WriteOptions.parse(args));
    }

    /** A catalog with every (namespace, stream) that has records in the files. */
    private Path writeCatalogOf(List<Path> files) throws Exception {
        Set<List<String>> streams = new LinkedHashSet<>();
        for (Path file : files) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode message = ExpectedRecords.EXACT.readTree(line);
                if ("RECORD".equals(message.path("type").asText())) {
                    JsonNode record = message.get("record");
                    streams.add(java.util.Arrays.asList(
                            record.hasNonNull("namespace") ? record.get("namespace").asText() : null,
                            record.get("stream").asText()));
                }
            }
        }
        List<String[]> pairs = new ArrayList<>();
        streams.forEach(s -> pairs.add(new String[] {s.get(0), s.get(1)}));
        return writeCatalog(pairs);
    }

    private Path writeCatalog(List<String[]> namespaceAndName) throws Exception {
        ObjectNode catalog = ExpectedRecords.EXACT.createObjectNode();
        ArrayNode streams = catalog.putArray("streams");
        for (String[] stream : namespaceAndName) {
            ObjectNode entry = streams.addObject();
            ObjectNode descriptor = entry.putObject("stream");
            descriptor.put("name", stream[1]);
            if (stream[0] != null) {
                descriptor.put("namespace", stream[0]);
            }
            entry.put("destination_sync_mode", "append");
        }
        Path file = Files.createTempFile(dir, "catalog", ".json");
        Files.writeString(file, catalog.toString());
        return file;
    }

    /** The corpus's stream names are already Kinesis-safe, so the name is the plain join. */
    private static final class ExpectedRecordsNaming {
        static String plain(String namespace, String stream) {
            return (namespace == null ? "" : namespace) + "_" + stream;
        }
    }
}
