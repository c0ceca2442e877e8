package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.sink.KinesisSinks;
import org.airbytekinesis.flink.sink.StreamProvisioner;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.ExpectedRecords;
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
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * The STATE contract against kinesalite: at the moment each STATE is released, every record
 * before it in the input can already be read from Kinesis. The input is paced so the run spans
 * many checkpoints, and the sinks batch up to 500 records with the connector's 5 s buffer time,
 * so a STATE released on anything less than a flushed checkpoint would overtake its records.
 */
class StateReleaseITCase {
    private static final int RECORDS = 2_400;
    private static final int STATE_EVERY = 200;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** What the checking output saw, per released STATE: its "upTo" and the seqs then readable. */
    static final List<String> RELEASED = Collections.synchronizedList(new ArrayList<>());
    static final List<String> VIOLATIONS = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path dir;

    @Test
    void everyReleasedStateComesAfterAllItsRecordsAreReadableFromKinesis() throws Exception {
        Path input = dir.resolve("interleaved.jsonl");
        List<String> inputStates = writeInput(input);
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite()) {
            DestinationConfig config = DestinationConfig.fromJson(emulator.config(Map.of("bufferSize", 500)));
            KinesisConnection connection = KinesisConnection.fromConfig(config);
            StreamRoutes routes = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
                    new CatalogStream(new StreamDescriptor(null, "even"), DestinationSyncMode.APPEND),
                    new CatalogStream(new StreamDescriptor("ns", "odd"), DestinationSyncMode.APPEND))));
            try (KinesisClient client = emulator.client()) {
                new StreamProvisioner(client, java.time.Duration.ofSeconds(30))
                        .ensureActive(routes.kinesisStreams().values(), 2);
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(150, CheckpointingMode.EXACTLY_ONCE);
            DataStream<InputLine> lines = env
                    .fromSource(InputFiles.boundedSource(List.of(input.toUri().toString()), "test-run"), WatermarkStrategy.noWatermarks(), "input")
                    .map(StateReleaseITCase::paced)
                    .name("pace");
            AirbyteKinesisJob.defineWorkflow(lines, routes, EnvelopeSettings.of(config),
                    new KinesisSinks(connection, 500, config.maxRecordSizeBytes())::forStream, new CheckingOutput(config),
                    DeadLetterOutputs.directory(dir.resolve("dead-letter").toUri().toString()));
            env.execute("state release");
        }
        assertEquals(List.of(), VIOLATIONS);
        assertEquals(inputStates.size(), RELEASED.size(), "every STATE released once");
        for (int i = 0; i < inputStates.size(); i++) {
            JsonNode expected = ExpectedRecords.EXACT.readTree(inputStates.get(i));
            JsonNode released = ExpectedRecords.EXACT.readTree(RELEASED.get(i));
            JsonNode stats = ((com.fasterxml.jackson.databind.node.ObjectNode) released.get("state")).remove("destinationStats");
            assertEquals(expected, released, "state " + i + " passed through as it came, in order");
            assertEquals(i == 0 ? 0 : STATE_EVERY, stats.get("recordCount").intValue(), "recordCount of state " + i);
        }
    }

    private static InputLine paced(InputLine line) throws InterruptedException {
        Thread.sleep(1);
        return line;
    }

    /** Records {"seq": i} alternate between two streams; a LEGACY STATE {"upTo": i} every 200 records. */
    private static List<String> writeInput(Path file) throws Exception {
        List<String> lines = new ArrayList<>();
        List<String> states = new ArrayList<>();
        for (int seq = 0; seq <= RECORDS; seq++) {
            if (seq % STATE_EVERY == 0) {
                String state = "{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + seq + "}}}";
                lines.add(state);
                states.add(state);
            }
            if (seq < RECORDS) {
                String stream = seq % 2 == 0 ? "\"stream\":\"even\"" : "\"stream\":\"odd\",\"namespace\":\"ns\"";
                lines.add("{\"type\":\"RECORD\",\"record\":{" + stream + ",\"emitted_at\":" + (1_700_000_000_000L + seq)
                        + ",\"data\":{\"seq\":" + seq + "}}}");
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return states;
    }

    /** Reads both streams back each time a STATE is released and notes any record it lacks. */
    static final class CheckingOutput implements StateOutput {
        private static final long serialVersionUID = 1L;
        private final DestinationConfig config;
        private transient KinesisClient client;

        CheckingOutput(DestinationConfig config) {
            this.config = config;
        }

        @Override
        public void open(String jobId) {
            client = KinesisClients.create(KinesisConnection.fromConfig(config));
        }

        @Override
        public void release(long checkpointId, List<StateMessage> states) throws java.io.IOException {
            for (StateMessage state : states) {
                String json = new String(state.json, StandardCharsets.UTF_8);
                int upTo = ExpectedRecords.EXACT.readTree(json).get("state").get("data").get("upTo").intValue();
                KinesisStreamReader reader = new KinesisStreamReader(client);
                Set<Integer> readable = new HashSet<>();
                for (String stream : List.of("_even", "ns_odd")) {
                    for (Record record : reader.readAll(stream)) {
                        JsonNode envelope = ExpectedRecords.EXACT.readTree(record.data().asUtf8String());
                        readable.add(ExpectedRecords.EXACT.readTree(envelope.get("_airbyte_data").textValue()).get("seq").intValue());
                    }
                }
                for (int seq = 0; seq < upTo; seq++) {
                    if (!readable.contains(seq)) {
                        VIOLATIONS.add("STATE upTo " + upTo + " released before record " + seq + " was readable");
                        break;
                    }
                }
                RELEASED.add(json);
            }
        }

        @Override
        public void close() {
            if (client != null) {
                client.close();
            }
        }
    }
}
