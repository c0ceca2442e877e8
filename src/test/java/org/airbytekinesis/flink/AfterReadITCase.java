package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.WriteRuns;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * {@code --after-read delete|move:DIR} (kinesalite), run as the launcher runs {@code write}: a
 * file is removed only once every record of it is in Kinesis and the STATE after them is
 * released, and moved files keep their path under the archive without replacing earlier ones.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AfterReadITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aWatchedFileIsDeletedOnlyOnceItsRecordsAreInKinesisAndItsStateIsReleased(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path states = dir.resolve("states");
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"events\"}}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            Path config = emulator.writeConfig(dir, Map.of());
            CompletableFuture<Void> run = runWrite(config, catalog, "--input", inbox.toString(),
                    "--watch", "--watch-interval", "200ms", "--after-read", "delete", "--state-out", states + "/");
            List<String> violations = Collections.synchronizedList(new ArrayList<>());
            KinesisStreamReader reader = new KinesisStreamReader(client);
            for (int file = 0; file < 3; file++) {
                Path delivered = deliver(inbox, "part-" + file + ".jsonl", file * 100, file * 100 + 100);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (Files.exists(delivered) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertFalse(Files.exists(delivered), delivered + " was deleted");
                // Looked at right after the deletion: everything must already be there.
                Set<Integer> inKinesis = seqsIn(reader.readAll("_events"));
                for (int seq = file * 100; seq < file * 100 + 100; seq++) {
                    if (!inKinesis.contains(seq)) {
                        violations.add(delivered.getFileName() + " deleted before record " + seq + " was in Kinesis");
                        break;
                    }
                }
                String released = WriteRuns.releasedStates(states);
                if (!released.contains("\"upTo\":" + (file * 100 + 100))) {
                    violations.add(delivered.getFileName() + " deleted before its STATE was released: " + released);
                }
            }
            cluster.cancel(WriteRuns.runningJob(cluster)).get(30, TimeUnit.SECONDS);
            run.handle((ok, error) -> null).get(30, TimeUnit.SECONDS);
            assertEquals(List.of(), violations);
        }
    }

    @Test
    void movedFilesKeepTheirPathUnderTheArchiveAndARedeliveredNameNeverReplacesAnEarlierOne() throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path archive = dir.resolve("archive");
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"events\"}}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            Path config = emulator.writeConfig(dir, Map.of());
            deliver(inbox, "users.jsonl", 0, 10);
            deliver(Files.createDirectories(inbox.resolve("2026-12-02")), "orders.jsonl", 10, 20);
            runWrite(config, catalog, "--input", inbox.toString(), "--after-read", "move:" + archive)
                    .get(60, TimeUnit.SECONDS);
            deliver(inbox, "users.jsonl", 20, 30); // the next delivery of the same name
            runWrite(config, catalog, "--input", inbox.toString(), "--after-read", "move:" + archive)
                    .get(60, TimeUnit.SECONDS);

            assertEquals(List.of("2026-12-02"), names(inbox), "the inbox is empty but for the (now empty) directory");
            assertEquals(List.of("2026-12-02", "users.jsonl", "users.jsonl.1"), names(archive));
            assertEquals(List.of("orders.jsonl"), names(archive.resolve("2026-12-02")));
            assertTrue(Files.readString(archive.resolve("users.jsonl")).contains("\"seq\":0}"), "the first delivery");
            assertTrue(Files.readString(archive.resolve("users.jsonl.1")).contains("\"seq\":20}"), "the second delivery");
            assertEquals(30, seqsIn(new KinesisStreamReader(client).readAll("_events")).size());
        }
    }

    private CompletableFuture<Void> runWrite(Path config, Path catalog, String... options) {
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                "--checkpoint-interval", "200ms", "--dead-letter", dir.resolve("dead-letter").toString()));
        args.addAll(List.of(options));
        return WriteRuns.start(new Configuration(), args);
    }

    private static Path deliver(Path directory, String name, int from, int to) throws IOException {
        return WriteRuns.deliver(directory, name, "events", from, to);
    }

    private static Set<Integer> seqsIn(List<Record> records) throws IOException {
        Set<Integer> seqs = new TreeSet<>();
        for (Record record : records) {
            String data = ExpectedRecords.EXACT.readTree(record.data().asUtf8String()).get("_airbyte_data").textValue();
            seqs.add(ExpectedRecords.EXACT.readTree(data).get("seq").intValue());
        }
        return seqs;
    }


    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
