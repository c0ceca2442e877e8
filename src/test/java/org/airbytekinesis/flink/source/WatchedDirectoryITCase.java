package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.DroppingStateOutput;
import org.airbytekinesis.flink.testing.FailOnceAfterCheckpoint;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * A watched directory (kinesalite): files dropped in while the job runs all arrive, also across
 * a failure and restart from a checkpoint in the middle; a file delivered again under the same
 * name is read again. Slow-ish: about 20 s each.
 */
class WatchedDirectoryITCase {
    private static final int FILES = 3;
    private static final int RECORDS_PER_FILE = 300;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void filesDroppedIntoAWatchedDirectoryAllArriveAcrossARestartFromACheckpoint() throws Exception {
        FailOnceAfterCheckpoint.reset();
        Path watched = Files.createDirectories(dir.resolve("incoming"));
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
            JobClient job = startJob(emulator, client, watched, "events", restarts,
                    new FailOnceAfterCheckpoint<InputLine>(RECORDS_PER_FILE + 10));
            try {
                for (int file = 0; file < FILES; file++) {
                    if (file == FILES - 1) {
                        // On a busy machine the first checkpoint can come after two files went
                        // through: the last one must then be read after it, so the failure hits.
                        awaitFirstCheckpoint();
                    }
                    deliver(watched, "part-" + file + ".jsonl", lines(file), null);
                    Thread.sleep(1_500);
                }
                KinesisStreamReader reader = new KinesisStreamReader(client);
                Map<Integer, String> idBySeq = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                List<Record> records = List.of();
                while (System.nanoTime() < deadline) {
                    records = reader.readAll("_events");
                    idBySeq.clear();
                    for (Record record : records) {
                        JsonNode envelope = ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
                        int seq = ExpectedRecords.EXACT.readTree(envelope.get("_airbyte_data").textValue()).get("seq").intValue();
                        String previous = idBySeq.put(seq, record.partitionKey());
                        assertTrue(previous == null || previous.equals(record.partitionKey()),
                                "a duplicate of record " + seq + " with another id");
                    }
                    if (idBySeq.size() == FILES * RECORDS_PER_FILE) {
                        break;
                    }
                    Thread.sleep(500);
                }
                assertEquals(FILES * RECORDS_PER_FILE, idBySeq.size(), "records of every file, " + records.size() + " read");
                assertTrue(FailOnceAfterCheckpoint.FAILED.get(), "the job failed once and restarted");
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void aFileDeliveredAgainUnderTheSameNameIsReadAgainAndItsRecordsGetIdsOfTheirOwn() throws Exception {
        Path watched = Files.createDirectories(dir.resolve("incoming"));
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            JobClient job = startJob(emulator, client, watched, "users", new Configuration(), line -> line);
            try {
                KinesisStreamReader reader = new KinesisStreamReader(client);
                Path users = deliver(watched, "users.jsonl", delivery(1, 100), null);
                awaitRecords(reader, 100);
                // Each waits until the one before is in Kinesis, so none is replaced unread.
                FileTime later = FileTime.fromMillis(Files.getLastModifiedTime(users).toMillis() + 2_000);
                long firstSize = Files.size(users);
                deliver(watched, "users.jsonl", delivery(2, 100), later);
                assertEquals(firstSize, Files.size(users), "the second delivery differs only in its time");
                awaitRecords(reader, 200);
                deliver(watched, "users.jsonl", delivery(3, 120), later);
                assertEquals(later, Files.getLastModifiedTime(users), "the third differs only in its size");
                List<Record> records = awaitRecords(reader, 320);

                Map<String, Integer> perDelivery = new HashMap<>();
                Set<String> ids = new HashSet<>();
                for (Record record : records) {
                    JsonNode envelope = ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
                    JsonNode data = ExpectedRecords.EXACT.readTree(envelope.get("_airbyte_data").textValue());
                    perDelivery.merge(data.get("delivery").asText(), 1, Integer::sum);
                    ids.add(envelope.get("_airbyte_ab_id").asText());
                }
                assertEquals(Map.of("1", 100, "2", 100, "3", 120), perDelivery, "every delivery's records, once");
                assertEquals(320, ids.size(), "no delivery's records share ids with another's");
            } finally {
                job.cancel().get();
            }
        }
    }

    private static void awaitFirstCheckpoint() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!FailOnceAfterCheckpoint.checkpointCompleted() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(FailOnceAfterCheckpoint.checkpointCompleted(), "a checkpoint completed within 30 s");
    }

    /**
     * Starts the pipeline of a write run over the watched directory, with {@code tap} between the
     * source and the rest; {@code stream} is the catalog's only stream.
     */
    private JobClient startJob(KinesisEmulator emulator, KinesisClient client, Path watched, String stream,
            Configuration configuration, MapFunction<InputLine, InputLine> tap) throws Exception {
        DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of()));
        StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, stream), DestinationSyncMode.APPEND))));
        new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(routes.kinesisStreams().values(), 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.enableCheckpointing(300, CheckpointingMode.EXACTLY_ONCE);
        AirbyteKinesisJob.defineWorkflow(
                env.fromSource(InputFiles.watchingSource(List.of(watched.toUri().toString()), "run", Duration.ofMillis(200)),
                                WatermarkStrategy.noWatermarks(), "watched")
                        .uid(AirbyteKinesisJob.SOURCE_UID)
                        .map(tap),
                routes, EnvelopeSettings.of(config),
                new KinesisSinks(KinesisConnection.fromConfig(config), 100, config.maxRecordSizeBytes())::forStream,
                new DroppingStateOutput(), DeadLetterOutputs.directory(dir.resolve("dead-letter").toUri().toString()));
        return env.executeAsync("watched directory");
    }

    /** Written as {@code NAME.tmp} and renamed to {@code NAME}: never read half-way. */
    private static Path deliver(Path watched, String name, List<String> lines, FileTime modified) throws IOException {
        Path partial = watched.resolve(name + ".tmp");
        Files.write(partial, lines, StandardCharsets.UTF_8);
        if (modified != null) {
            Files.setLastModifiedTime(partial, modified);
        }
        return Files.move(partial, watched.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Record> awaitRecords(KinesisStreamReader reader, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<Record> records = reader.readAll("_users");
        while (records.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(200);
            records = reader.readAll("_users");
        }
        assertEquals(count, records.size(), "records in Kinesis");
        return records;
    }

    /** The same number of records gives the same file size in every delivery. */
    private static List<String> delivery(int delivery, int records) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            lines.add(String.format("{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\",\"emitted_at\":%d,"
                    + "\"data\":{\"delivery\":%d,\"seq\":%d}}}", 1_700_000_000_000L + i, delivery, i));
        }
        return lines;
    }

    private static List<String> lines(int file) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < RECORDS_PER_FILE; i++) {
            int seq = file * RECORDS_PER_FILE + i;
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"emitted_at\":" + (1_700_000_000_000L + seq)
                    + ",\"data\":{\"seq\":" + seq + "}}}");
        }
        return lines;
    }
}
