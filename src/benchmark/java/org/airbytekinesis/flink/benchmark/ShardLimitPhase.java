package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;
import org.airbytekinesis.flink.testing.ShardLimits;
import org.apache.flink.api.common.JobExecutionResult;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * (h, i) Our job end to end against the real per-shard limits: {@code WriteCommand} into one
 * stream of {@code --limit-shards} shards, through {@link KinesisFaultProxy} answering PutRecords
 * itself as Kinesis would ({@link ShardLimits}: 1,000 records/s and 1 MiB/s per shard, entries
 * beyond refused with {@code ProvisionedThroughputExceededException}), without (h) and with (i)
 * {@code aggregation: kpl}. Control-plane calls go to kinesalite.
 *
 * <p>What Kinesis accepted is then read as a KCL consumer reads it: each accepted record
 * deaggregated (KCL 3) within its shard's hash range. Figures: user records/s per shard in the
 * steady window (10% to 90% of the user records accepted), the share of the shards' 1 MiB/s
 * used (data plus key of the accepted Kinesis records), PUT payload units (25 KiB of data, rounded
 * up, per Kinesis record) per 1,000 user records, and user records lost.
 */
final class ShardLimitPhase {
    static final long PAYLOAD_UNIT_BYTES = 25 * 1024;

    private ShardLimitPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        StreamRoutes routes = StreamRoutes.forCatalog(InputGenerator.catalog(1));
        String stream = routes.kinesisStreams().values().iterator().next();
        Path work = spec.workDir;
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                KinesisClient direct = emulator.client();
                KinesisFaultProxy proxy = KinesisFaultProxy.start(emulator.endpoint())) {
            direct.createStream(b -> b.streamName(stream).shardCount(spec.limitShards));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (direct.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamStatus()
                    != StreamStatus.ACTIVE && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<Shard> shards = direct.listShards(b -> b.streamName(stream)).shards();
            List<ShardLimits.Shard> limited = new ArrayList<>();
            shards.forEach(shard -> limited.add(new ShardLimits.Shard(shard.shardId(), shard.hashKeyRange().startingHashKey())));
            proxy.setShardLimits(stream, new ShardLimits(limited));

            Map<String, Object> extra = new HashMap<>();
            extra.put("endpoint", proxy.endpoint());
            extra.put("shardCount", spec.limitShards);
            extra.put("bufferSize", spec.bufferSize);
            extra.put("aggregation", spec.aggregation);
            Path config = work.resolve("config.json");
            Files.writeString(config, emulator.config(extra).toString());
            Path catalog = work.resolve("catalog.json");
            Files.writeString(catalog, mapper.writeValueAsString(InputGenerator.catalogJson(mapper, 1)));
            List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                    "--input", spec.input.toString(), "--dead-letter", work.resolve("dead-letter").toString(),
                    "--state-out", work.resolve("states.jsonl").toString()));
            JobExecutionResult job;
            try (PrintStream summary = new PrintStream(Files.newOutputStream(work.resolve("summary.txt")), true,
                    StandardCharsets.UTF_8)) {
                PhaseMain.Clock clock = new PhaseMain.Clock(null);
                job = new WriteCommand(summary).run(WriteOptions.parse(args));
                result.seconds = job.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0;
                clock.stop(result, null);
            }
            measure(spec, result, mapper, proxy.acceptedEntries(), shards, proxy.entriesFailed());
        }
    }

    private static void measure(PhaseSpec spec, PhaseResult result, ObjectMapper mapper,
            List<KinesisFaultProxy.AcceptedEntry> accepted, List<Shard> shards, long throttled) {
        Map<String, Shard> byId = new HashMap<>();
        shards.forEach(shard -> byId.put(shard.shardId(), shard));
        AggregatorUtil deaggregator = new AggregatorUtil();
        int n = accepted.size();
        long[] usersAt = new long[n];
        long[] timeAt = new long[n];
        long[] bytesAt = new long[n];
        long users = 0;
        long bytes = 0;
        long payloadUnits = 0;
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            KinesisFaultProxy.AcceptedEntry entry = accepted.get(i);
            byte[] data = entry.data();
            Shard shard = byId.get(entry.shardId());
            KinesisClientRecord kinesisRecord = KinesisClientRecord.fromRecord(Record.builder()
                    .data(SdkBytes.fromByteArrayUnsafe(data)).partitionKey(entry.partitionKey())
                    .sequenceNumber(entry.sequenceNumber()).build());
            List<KinesisClientRecord> inside = deaggregator.deaggregate(List.of(kinesisRecord),
                    shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey());
            for (KinesisClientRecord user : inside) {
                ids.add(user.partitionKey()); // the record's _airbyte_ab_id
            }
            users += inside.size();
            bytes += data.length + entry.partitionKey().getBytes(StandardCharsets.UTF_8).length;
            payloadUnits += (data.length + PAYLOAD_UNIT_BYTES - 1) / PAYLOAD_UNIT_BYTES;
            usersAt[i] = users;
            timeAt[i] = entry.acceptedAtNanos();
            bytesAt[i] = bytes;
        }
        result.done = ids.size();
        int from = firstReaching(usersAt, users / 10);
        int to = firstReaching(usersAt, users * 9 / 10);
        double window = (timeAt[to] - timeAt[from]) / 1e9;
        double rate = window > 0 ? (usersAt[to] - usersAt[from]) / window : Double.NaN;
        double bandwidth = window > 0 ? (bytesAt[to] - bytesAt[from]) / window : Double.NaN;
        result.steadyRate = rate;
        result.steadySeconds = window;
        ObjectNode extra = mapper.createObjectNode();
        extra.put("shards", spec.limitShards);
        extra.put("aggregation", spec.aggregation);
        extra.put("userRecordsPerShardPerSecond", rate / spec.limitShards);
        extra.put("bandwidthShare", bandwidth / (spec.limitShards * (double) ShardLimits.BYTES_PER_SECOND));
        extra.put("payloadUnitsPer1000", users == 0 ? Double.NaN : payloadUnits * 1000.0 / users);
        extra.put("kinesisRecords", n);
        extra.put("userRecordsAccepted", users);
        extra.put("userRecordsLost", spec.records - ids.size());
        extra.put("entriesThrottled", throttled);
        result.extra = extra;
        result.notes.add(String.format(java.util.Locale.ROOT,
                "%d shards, aggregation %s: %.0f user rec/s per shard, %.0f%% of 1 MiB/s, %.1f PUT payload units per 1,000"
                        + " records, %d Kinesis records, %d entries throttled, %d records lost",
                spec.limitShards, spec.aggregation, rate / spec.limitShards,
                100 * bandwidth / (spec.limitShards * (double) ShardLimits.BYTES_PER_SECOND),
                users == 0 ? Double.NaN : payloadUnits * 1000.0 / users, n, throttled, spec.records - ids.size()));
    }

    private static int firstReaching(long[] cumulative, long value) {
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= value) {
                return i;
            }
        }
        return Math.max(0, cumulative.length - 1);
    }
}
