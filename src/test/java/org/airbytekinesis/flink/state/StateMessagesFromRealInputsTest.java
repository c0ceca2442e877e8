package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.AirbyteProtocolSchema;
import org.airbytekinesis.flink.testing.Corpus;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The STATE messages the destination passes on, from real connector output (LEGACY states) and
 * from STREAM and GLOBAL states written after the protocol spec: each is the input's state as it
 * came plus destinationStats.recordCount, and valid against the protocol's own schema.
 */
class StateMessagesFromRealInputsTest {

    @Test
    void legacyStatesOfEveryCorpusFilePassThroughAndMatchTheProtocol() throws Exception {
        int states = 0;
        for (Path file : Corpus.messageFiles()) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            states += checkStates(file.getFileName().toString(), lines, catalogOf(lines));
        }
        // octopus 2, jira 1, github 1, local-cli 3
        assertEquals(7, states);
    }

    @Test
    void streamAndGlobalStatesPassThroughWithPerStreamAndTotalCounts() throws Exception {
        List<String> lines = List.of(
                record("users", null, 1), record("orders", "shop", 2), record("users", null, 3),
                "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"users\"},"
                        + "\"stream_state\":{\"cursor\":\"2024-01-01T00:00:00Z\"}},\"sourceStats\":{\"recordCount\":2.0}}}",
                record("orders", "shop", 4),
                "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"orders\","
                        + "\"namespace\":\"shop\"},\"stream_state\":{\"id\":4}}}}",
                record("users", null, 5),
                "{\"type\":\"STATE\",\"state\":{\"type\":\"GLOBAL\",\"global\":{\"shared_state\":{\"lsn\":123456789012345678901234567890},"
                        + "\"stream_states\":[{\"stream_descriptor\":{\"name\":\"users\"},\"stream_state\":{}},"
                        + "{\"stream_descriptor\":{\"name\":\"orders\",\"namespace\":\"shop\"},\"stream_state\":{}}]}}}");
        ConfiguredCatalog catalog = new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("shop", "orders"), DestinationSyncMode.APPEND)));
        List<Double> counts = new ArrayList<>();
        checkStates("generated", lines, catalog, counts);
        // users: 2 since the start; orders: 2 since the start; GLOBAL: every record since the last state.
        assertEquals(List.of(2.0, 2.0, 1.0), counts);
    }

    private static int checkStates(String name, List<String> lines, ConfiguredCatalog catalog) throws Exception {
        return checkStates(name, lines, catalog, new ArrayList<>());
    }

    private static int checkStates(String name, List<String> lines, ConfiguredCatalog catalog, List<Double> counts) throws Exception {
        List<JsonNode> expected = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new RecordEnveloper(StreamRoutes.forCatalog(catalog), EnvelopeSettings.defaults())))) {
            harness.open();
            for (int i = 0; i < lines.size(); i++) {
                harness.processElement(new StreamRecord<>(new InputLine(name, i + 1, lines.get(i).getBytes(StandardCharsets.UTF_8))));
                JsonNode message = ExpectedRecords.EXACT.readTree(lines.get(i));
                if ("STATE".equals(message.path("type").asText())) {
                    expected.add(message);
                }
            }
            java.util.Collection<StreamRecord<StateMessage>> sideOutput = harness.getSideOutput(RecordEnveloper.STATES);
            List<StreamRecord<StateMessage>> released = sideOutput == null ? List.of() : new ArrayList<>(sideOutput);
            assertEquals(expected.size(), released.size(), name);
            for (int i = 0; i < released.size(); i++) {
                String line = new String(released.get(i).getValue().json, StandardCharsets.UTF_8);
                assertEquals(List.of(), AirbyteProtocolSchema.errors(line), name + ": " + line);
                ObjectNode state = (ObjectNode) ExpectedRecords.EXACT.readTree(line);
                JsonNode stats = ((ObjectNode) state.get("state")).remove("destinationStats");
                assertTrue(stats.get("recordCount").isFloatingPointNumber(), "a double: " + line);
                counts.add(stats.get("recordCount").doubleValue());
                assertEquals(expected.get(i), state, name + ": state " + i + " as it came");
            }
            return released.size();
        }
    }

    private static String record(String stream, String namespace, int id) {
        return "{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\","
                + (namespace == null ? "" : "\"namespace\":\"" + namespace + "\",")
                + "\"data\":{\"id\":" + id + "},\"emitted_at\":1700000000000}}";
    }

    /** Every (namespace, stream) with records in the lines, so that none is a dead letter. */
    private static ConfiguredCatalog catalogOf(List<String> lines) throws Exception {
        List<CatalogStream> streams = new ArrayList<>();
        List<StreamDescriptor> seen = new ArrayList<>();
        for (String line : lines) {
            JsonNode message = ExpectedRecords.EXACT.readTree(line);
            if ("RECORD".equals(message.path("type").asText())) {
                JsonNode record = message.get("record");
                StreamDescriptor descriptor = new StreamDescriptor(
                        record.hasNonNull("namespace") ? record.get("namespace").asText() : null, record.get("stream").asText());
                if (!seen.contains(descriptor)) {
                    seen.add(descriptor);
                    streams.add(new CatalogStream(descriptor, DestinationSyncMode.APPEND));
                }
            }
        }
        return new ConfiguredCatalog(streams);
    }
}
