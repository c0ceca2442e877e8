package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.WriteRuns;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * An {@code overwrite} sync replaces its stream once, at its fresh start, and never on a restore
 * (kinesalite): {@code write} runs exactly as the launcher runs it ({@link WriteCommand}), over a
 * watched directory, is stopped with a savepoint and resubmitted from it (which runs the whole
 * command, provisioning included, again, as {@code flink run -s}, a JobManager failover or a
 * restart on Amazon Managed Service for Apache Flink do). Slow-ish: about 20 s.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OverwriteResumeITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aSavepointResumeOfAnOverwriteSyncKeepsEveryRecordWrittenBeforeTheSavepoint(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"replaced\"},\"destination_sync_mode\":\"overwrite\"}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            client.createStream(b -> b.streamName("_replaced").shardCount(1));
            awaitActive(client, "_replaced");
            client.putRecord(b -> b.streamName("_replaced").partitionKey("old").data(SdkBytes.fromUtf8String("{\"old\":true}")));
            Path config = emulator.writeConfig(dir, Map.of());
            KinesisStreamReader reader = new KinesisStreamReader(client);

            // A fresh sync: the old content goes, the first delivery comes.
            deliver(inbox, "first.jsonl", 0, 50);
            CompletableFuture<Void> firstRun = runWrite(config, catalog, inbox, new Configuration());
            awaitSeqs(reader, 50);
            String savepoint = stopWithSavepoint(cluster);
            firstRun.get(60, TimeUnit.SECONDS);
            assertEquals(seqs(0, 50), seqsIn(reader.readAll("_replaced")), "the fresh start replaced the stream's old content");

            // The same sync resumed from its savepoint: main() and its provisioning run again.
            deliver(inbox, "second.jsonl", 50, 100);
            Configuration resume = new Configuration();
            resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            CompletableFuture<Void> resumed = runWrite(config, catalog, inbox, resume);
            awaitSeqs(reader, 100);
            assertEquals(seqs(0, 100), seqsIn(reader.readAll("_replaced")),
                    "the records written before the savepoint are still there, and the new ones came");
            stopWithSavepoint(cluster);
            resumed.get(60, TimeUnit.SECONDS);

            // A new sync (no savepoint): replaced again.
            Path nextInbox = Files.createDirectories(dir.resolve("next-inbox"));
            deliver(nextInbox, "third.jsonl", 100, 120);
            CompletableFuture<Void> nextSync = runWrite(config, catalog, nextInbox, new Configuration());
            awaitSeqs(reader, 20);
            stopWithSavepoint(cluster);
            nextSync.get(60, TimeUnit.SECONDS);
            assertEquals(seqs(100, 120), seqsIn(reader.readAll("_replaced")), "a new sync starts from an empty stream");
        }
    }

    private CompletableFuture<Void> runWrite(Path config, Path catalog, Path inbox, Configuration settings) {
        return WriteRuns.start(settings, List.of("--config", config.toString(), "--catalog", catalog.toString(),
                "--input", inbox.toString(), "--watch", "--watch-interval", "200ms", "--checkpoint-interval", "300ms",
                "--dead-letter", dir.resolve("dead-letter").toString()));
    }

    /** Stops the one running job with a savepoint, once it has completed a checkpoint or two. */
    private String stopWithSavepoint(ClusterClient<?> cluster) throws Exception {
        JobID job = WriteRuns.runningJob(cluster);
        Thread.sleep(700);
        return cluster.stopWithSavepoint(job, false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
    }

    private static void deliver(Path inbox, String name, int from, int to) throws IOException {
        WriteRuns.deliver(inbox, name, "replaced", from, to);
    }

    private static void awaitSeqs(KinesisStreamReader reader, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (seqsIn(reader.readAll("_replaced")).size() >= count) {
                    return;
                }
            } catch (RuntimeException e) {
                // the stream is being replaced
            }
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + count + " records arrived");
    }

    private static TreeSet<Integer> seqs(int from, int to) {
        TreeSet<Integer> seqs = new TreeSet<>();
        for (int seq = from; seq < to; seq++) {
            seqs.add(seq);
        }
        return seqs;
    }

    /** The seqs of the new records; -1 stands for the stream's old content. */
    private static TreeSet<Integer> seqsIn(List<Record> records) throws IOException {
        TreeSet<Integer> seqs = new TreeSet<>();
        for (Record record : records) {
            var json = ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
            seqs.add(json.has("old") ? -1 : ExpectedRecords.EXACT.readTree(json.get("_airbyte_data").textValue()).get("seq").intValue());
        }
        return seqs;
    }

    private static void awaitActive(KinesisClient client, String stream) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if ("ACTIVE".equals(client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatusAsString())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(stream + " never became ACTIVE");
    }
}
