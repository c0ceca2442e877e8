package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.DurabilityAtRelease;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The STATE contract against kinesalite: at the moment each STATE is released, every record
 * before it in the input can already be read from Kinesis ({@link DurabilityAtRelease}), and so
 * can every dead letter before it when dead letters go to a Kinesis stream. The input is paced so
 * the run spans many checkpoints, and the sinks batch up to 500 records with the connector's 5 s
 * buffer time, so a STATE released on anything less than a flushed checkpoint would overtake its
 * records.
 */
class StateReleaseITCase {
    private static final int RECORDS = 2_400;
    private static final int STATE_EVERY = 200;
    private static final String DEAD_LETTERS = "dead_letters";

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void everyReleasedStateComesAfterAllItsRecordsAreReadableFromKinesis() throws Exception {
        Path input = dir.resolve("interleaved.jsonl");
        writeInput(input, 0);
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), ROUTES::kinesisStreamFor, emulator.endpoint())) {
            DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of("bufferSize", 500)));
            provision(emulator, ROUTES.kinesisStreams().values());
            run(input, config, ledger.output(),
                    DeadLetterOutputs.directory(dir.resolve("dead-letter").toUri().toString()));
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            ledger.assertEachStateReleasedOnce();
        }
    }

    @Test
    void everyReleasedStateComesAfterTheDeadLettersBeforeItAreReadableFromTheDeadLetterStream() throws Exception {
        Path input = dir.resolve("with-bad-lines.jsonl");
        writeInput(input, 37);
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                DurabilityAtRelease.Ledger ledger = DurabilityAtRelease.forInput(
                        Files.readAllLines(input), ROUTES::kinesisStreamFor, emulator.endpoint())
                        .deadLettersIn(DEAD_LETTERS)) {
            DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of("bufferSize", 500)));
            List<String> streams = new ArrayList<>(ROUTES.kinesisStreams().values());
            streams.add(DEAD_LETTERS);
            provision(emulator, streams);
            KinesisSinks sinks = new KinesisSinks(KinesisConnection.fromConfig(config), 500, config.maxRecordSizeBytes());
            run(input, config, ledger.output(),
                    DeadLetterOutputs.kinesis(DEAD_LETTERS, sinks.forDeadLetters(DEAD_LETTERS), config.maxRecordSizeBytes()));
            ledger.assertEveryStateDurableAtReleaseAndNoneMissing();
            ledger.assertEachStateReleasedOnce();
            try (KinesisClient client = emulator.client()) {
                assertEquals(RECORDS / 37 + (RECORDS % 37 == 0 ? 0 : 1), new KinesisStreamReader(client).readAll(DEAD_LETTERS).size(),
                        "one dead letter per bad line");
            }
        }
    }

    private static final StreamRoutes ROUTES = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
            new CatalogStream(new StreamDescriptor(null, "even"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor("ns", "odd"), DestinationSyncMode.APPEND))));

    private static void provision(KinesisEmulator emulator, java.util.Collection<String> streams) {
        try (KinesisClient client = emulator.client()) {
            new StreamProvisioner(client, java.time.Duration.ofSeconds(30)).ensureActive(streams, 2);
        }
    }

    private static void run(Path input, DestinationConfig config, StateOutput output,
            DeadLetterOutputs.DeadLetterOutput deadLetters) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(150, CheckpointingMode.EXACTLY_ONCE);
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(List.of(input.toUri().toString()), "test-run"), WatermarkStrategy.noWatermarks(), "input")
                .map(StateReleaseITCase::paced)
                .name("pace");
        KinesisSinks sinks = new KinesisSinks(KinesisConnection.fromConfig(config), 500, config.maxRecordSizeBytes());
        AirbyteKinesisJob.defineWorkflow(lines, ROUTES, EnvelopeSettings.of(config), sinks::forStream, output, deadLetters);
        env.execute("state release");
    }

    private static InputLine paced(InputLine line) throws InterruptedException {
        Thread.sleep(1);
        return line;
    }

    /**
     * Records {"seq": i} alternate between two streams; a LEGACY STATE {"upTo": i} every 200
     * records; with {@code badEvery} above 0, a line that is not JSON before every
     * {@code badEvery}-th record.
     */
    private static void writeInput(Path file, int badEvery) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int seq = 0; seq <= RECORDS; seq++) {
            if (seq % STATE_EVERY == 0) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}");
            }
            if (seq < RECORDS) {
                if (badEvery > 0 && seq % badEvery == 0) {
                    lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"even\",\"data\":{\"cut off at " + seq);
                }
                String stream = seq % 2 == 0 ? "\"stream\":\"even\"" : "\"stream\":\"odd\",\"namespace\":\"ns\"";
                lines.add("{\"type\":\"RECORD\",\"record\":{" + stream + ",\"emitted_at\":" + (1_700_000_000_000L + seq)
                        + ",\"data\":{\"seq\":" + seq + "}}}");
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
