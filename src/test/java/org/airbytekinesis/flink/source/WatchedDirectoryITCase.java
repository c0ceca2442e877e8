package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.FailOnceAfterCheckpoint;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
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
 * a failure and restart from a checkpoint in the middle. Slow-ish: about 20 s.
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
            DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of()));
            StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                    new CatalogStream(new StreamDescriptor(null, "events"), DestinationSyncMode.APPEND))));
            new StreamProvisioner(client, Duration.ofSeconds(30)).ensureActive(routes.kinesisStreams().values(), 2);

            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restarts);
            env.enableCheckpointing(300, CheckpointingMode.EXACTLY_ONCE);
            AirbyteKinesisJob.defineWorkflow(
                    env.fromSource(InputFiles.watchingSource(List.of(watched.toUri().toString()), "run", Duration.ofMillis(200)),
                                    WatermarkStrategy.noWatermarks(), "watched")
                            .uid(AirbyteKinesisJob.SOURCE_UID)
                            .map(new FailOnceAfterCheckpoint<InputLine>(RECORDS_PER_FILE + 10)),
                    routes, EnvelopeSettings.of(config),
                    new KinesisSinks(KinesisConnection.fromConfig(config), 100, config.maxRecordSizeBytes())::forStream,
                    new NoStateOutput(), DeadLetterOutputs.directory(dir.resolve("dead-letter").toUri().toString()));
            JobClient job = env.executeAsync("watched directory");
            try {
                for (int file = 0; file < FILES; file++) {
                    // Written under a skipped name, then renamed: never read half-way.
                    Path partial = watched.resolve("part-" + file + ".jsonl.tmp");
                    Files.write(partial, lines(file), StandardCharsets.UTF_8);
                    Files.move(partial, watched.resolve("part-" + file + ".jsonl"), StandardCopyOption.ATOMIC_MOVE);
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

    private static List<String> lines(int file) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < RECORDS_PER_FILE; i++) {
            int seq = file * RECORDS_PER_FILE + i;
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"emitted_at\":" + (1_700_000_000_000L + seq)
                    + ",\"data\":{\"seq\":" + seq + "}}}");
        }
        return lines;
    }

    private static final class NoStateOutput implements StateOutput {
        private static final long serialVersionUID = 1L;

        @Override
        public void open(String jobId) {}

        @Override
        public void release(long checkpointId, List<StateMessage> states) {}

        @Override
        public void close() {}
    }
}
