package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.testing.Deaggregation;
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
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * Aggregation over time, with a watching {@code write} (kinesalite). Slow fault-injection test: a stream is split while a watching {@code write} aggregates into it
 * (kinesalite). The writer's shard map is then stale, its next aggregates land in a child shard
 * with keys of the other child, and a consumer checking hash ranges (KCL 3) drops them. The
 * writer sees the misplacement in the PutRecords answer and fails; the job restarts from its last
 * checkpoint, reads the new shards and writes those records again: a consumer gets every record,
 * and no STATE is released before its records are readable that way.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KplReshardITCase {
    private static final String STREAM = "_events";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aStreamSplitUnderTheJobIsWrittenAgainForItsNewShardsAndConsumersGetEveryRecord(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path states = dir.resolve("states");
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"events\"}}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            Path config = emulator.writeConfig(dir, Map.of("aggregation", "kpl", "shardCount", 1));
            CompletableFuture<Void> run = WriteRuns.start(new Configuration(), List.of("--config", config.toString(),
                    "--catalog", catalog.toString(), "--checkpoint-interval", "200ms",
                    "--dead-letter", dir.resolve("dead-letter").toString(), "--input", inbox.toString(), "--watch",
                    "--watch-interval", "200ms", "--state-out", states + "/"));

            WriteRuns.deliver(inbox, "part-0.jsonl", "events", 0, 500);
            awaitReleased(states, 500);
            assertEquals(Set.copyOf(range(0, 500)), readableSeqs(client), "before the split");

            String parent = client.listShards(b -> b.streamName(STREAM)).shards().get(0).shardId();
            client.splitShard(b -> b.streamName(STREAM).shardToSplit(parent)
                    .newStartingHashKey(BigInteger.ONE.shiftLeft(127).toString()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (client.describeStreamSummary(b -> b.streamName(STREAM)).streamDescriptionSummary().streamStatus()
                    != StreamStatus.ACTIVE && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            WriteRuns.deliver(inbox, "part-1.jsonl", "events", 500, 1_000);
            awaitReleased(states, 1_000);
            // Looked at right after the release: everything must be readable already.
            Set<Integer> readable = readableSeqs(client);
            int written = allSeqsIgnoringRanges(client);
            cluster.cancel(WriteRuns.runningJob(cluster)).get(30, TimeUnit.SECONDS);
            run.handle((ok, error) -> null).get(30, TimeUnit.SECONDS);

            assertEquals(Set.copyOf(range(0, 1_000)), readable, "every record readable by a consumer that checks ranges");
            assertTrue(written > 1_000, "some aggregates landed in the wrong child and were written again: " + written);
        }
    }

    @Test
    void aFewRecordsWaitInTheirAggregateForAtMostTheSinksTimeLimitNotForTheNextCheckpoint(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"events\"}}]}");
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite(); KinesisClient client = emulator.client()) {
            Path config = emulator.writeConfig(dir, Map.of("aggregation", "kpl", "shardCount", 1));
            // No checkpoint comes within the test: only the time limits can send the records.
            CompletableFuture<Void> run = WriteRuns.start(new Configuration(), List.of("--config", config.toString(),
                    "--catalog", catalog.toString(), "--checkpoint-interval", "10min",
                    "--dead-letter", dir.resolve("dead-letter").toString(), "--input", inbox.toString(), "--watch",
                    "--watch-interval", "200ms", "--state-out", dir.resolve("states") + "/"));
            WriteRuns.runningJob(cluster);
            long delivered = System.nanoTime();
            WriteRuns.deliver(inbox, "part-0.jsonl", "events", 0, 3);
            long deadline = delivered + Duration.ofSeconds(30).toNanos();
            List<Record> records = List.of();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                records = new KinesisStreamReader(client).readAll(STREAM);
            }
            double seconds = (System.nanoTime() - delivered) / 1e9;
            cluster.cancel(WriteRuns.runningJob(cluster)).get(30, TimeUnit.SECONDS);
            run.handle((ok, error) -> null).get(30, TimeUnit.SECONDS);

            assertEquals(1, records.size(), "the three records in one aggregate");
            assertTrue(seconds < 15, "written " + seconds + " s after delivery: 5 s in the aggregate, up to 5 s in the"
                    + " connector's buffer, the watch interval");
            assertEquals(Set.of(0, 1, 2), readableSeqs(client));
        }
    }

    private static void awaitReleased(Path states, int upTo) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!WriteRuns.releasedStates(states).contains("\"upTo\":" + upTo) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(WriteRuns.releasedStates(states).contains("\"upTo\":" + upTo), "STATE upTo " + upTo + " released: " + WriteRuns.releasedStates(states));
    }

    /** The seqs a KCL consumer gets: each shard deaggregated within its own hash range. */
    private static Set<Integer> readableSeqs(KinesisClient client) throws Exception {
        Set<Integer> seqs = new TreeSet<>();
        Map<String, List<Record>> byShard = new KinesisStreamReader(client).readByShard(STREAM);
        for (Shard shard : client.listShards(b -> b.streamName(STREAM)).shards()) {
            List<KinesisClientRecord> records = byShard.getOrDefault(shard.shardId(), List.of()).stream()
                    .map(KinesisClientRecord::fromRecord).collect(Collectors.toList());
            for (KinesisClientRecord user : new AggregatorUtil().deaggregate(records,
                    shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey())) {
                seqs.add(seqOf(user));
            }
        }
        return seqs;
    }

    /** How many user records were written at all, counting those a range check drops. */
    private static int allSeqsIgnoringRanges(KinesisClient client) throws Exception {
        return Deaggregation.userRecords(new KinesisStreamReader(client).readAll(STREAM)).size();
    }

    private static int seqOf(KinesisClientRecord user) throws Exception {
        String envelope = StandardCharsets.UTF_8.decode(user.data()).toString();
        String data = ExpectedRecords.EXACT.readTree(envelope).get("_airbyte_data").textValue();
        return ExpectedRecords.EXACT.readTree(data).get("seq").intValue();
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

}
