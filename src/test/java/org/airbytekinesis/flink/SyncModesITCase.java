package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/** The catalog's destination_sync_mode against kinesalite: overwrite replaces, append keeps. */
class SyncModesITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void overwriteReplacesTheStreamsContentAndAppendKeepsIt() throws Exception {
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            for (String stream : List.of("_kept", "_replaced")) {
                client.createStream(b -> b.streamName(stream).shardCount(1));
                waitActive(client, stream);
                client.putRecord(b -> b.streamName(stream).partitionKey("old").data(SdkBytes.fromUtf8String("{\"old\":true}")));
            }
            Path catalog = dir.resolve("catalog.json");
            Files.writeString(catalog, "{\"streams\":["
                    + "{\"stream\":{\"name\":\"kept\"},\"destination_sync_mode\":\"append\",\"generation_id\":3,\"minimum_generation_id\":0,\"sync_id\":42},"
                    + "{\"stream\":{\"name\":\"replaced\"},\"destination_sync_mode\":\"overwrite\",\"generation_id\":3,\"minimum_generation_id\":3,\"sync_id\":42}]}");
            Path input = dir.resolve("input.jsonl");
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                for (String stream : List.of("kept", "replaced")) {
                    lines.append("{\"type\":\"RECORD\",\"record\":{\"stream\":\"").append(stream)
                            .append("\",\"data\":{\"i\":").append(i).append("},\"emitted_at\":1}}\n");
                }
            }
            Files.writeString(input, lines);

            write(emulator.writeConfig(dir, Map.of()), catalog, input);

            KinesisStreamReader reader = new KinesisStreamReader(client);
            assertEquals(List.of("old", "new", "new", "new"), kinds(reader.readAll("_kept")));
            assertEquals(List.of("new", "new", "new"), kinds(reader.readAll("_replaced")));
            assertEquals(2, client.describeStreamSummary(b -> b.streamName("_replaced"))
                    .streamDescriptionSummary().openShardCount(), "recreated with shardCount");
            assertEquals(1, client.describeStreamSummary(b -> b.streamName("_kept"))
                    .streamDescriptionSummary().openShardCount(), "an append stream is not changed");
        }
    }

    @Test
    void dedupAndUpdateModesAreRefusedBeforeAnythingIsTouched() throws Exception {
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, "{\"streams\":[{\"stream\":{\"name\":\"a\"},\"destination_sync_mode\":\"append_dedup\"},"
                + "{\"stream\":{\"name\":\"b\",\"namespace\":\"n\"},\"destination_sync_mode\":\"update\"},"
                + "{\"stream\":{\"name\":\"c\"},\"destination_sync_mode\":\"append\"}]}");
        Path input = dir.resolve("input.jsonl");
        Files.writeString(input, "");
        // No emulator: the refusal must come before any Kinesis call.
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"endpoint\":\"http://127.0.0.1:9\",\"region\":\"us-east-1\"}");
        SetupException error = assertThrows(SetupException.class, () -> write(config, catalog, input));
        assertEquals("catalog: destination_sync_mode of \"a\" (append_dedup), \"n.b\" (update) is not supported:"
                + " Kinesis is an append-only log, records can be neither updated nor deleted in place;"
                + " use append or overwrite", error.getMessage());
    }

    private void write(Path config, Path catalog, Path input) throws Exception {
        new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(WriteOptions.parse(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                        "--input", input.toString(), "--dead-letter", dir.resolve("dead-letter").toString())));
    }

    private static List<String> kinds(List<Record> records) {
        return records.stream()
                .map(r -> {
                    try {
                        return ExpectedRecords.EXACT.readTree(r.data().asUtf8String()).has("old") ? "old" : "new";
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .sorted((a, b) -> a.equals(b) ? 0 : a.equals("old") ? -1 : 1)
                .collect(Collectors.toList());
    }

    private static void waitActive(KinesisClient client, String stream) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if ("ACTIVE".equals(client.describeStreamSummary(b -> b.streamName(stream))
                    .streamDescriptionSummary().streamStatusAsString())) {
                return;
            }
            Thread.sleep(50);
        }
        assertTrue(false, stream + " never became ACTIVE");
    }
}
