package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.airbytekinesis.flink.BadInputException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.StateMessage;
import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class RecordEnveloperTest {
    private static final String SOURCE = "file:/data/input.jsonl";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final StreamRoutes ROUTES = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
            new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor("poke", "pokemon"), DestinationSyncMode.OVERWRITE))));

    private static OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness(DataFormat format) throws Exception {
        return harness(EnvelopeSettings.defaults().withDataFormat(format));
    }

    private static OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness(EnvelopeSettings settings) throws Exception {
        OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RecordEnveloper(ROUTES, settings)));
        harness.open();
        return harness;
    }

    private static void process(OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness, long lineNumber,
            String line) throws Exception {
        harness.processElement(new StreamRecord<>(new InputLine(SOURCE, lineNumber, line.getBytes(StandardCharsets.UTF_8))));
    }

    private static String record(String stream, String namespace, String data) {
        return "{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\","
                + (namespace == null ? "" : "\"namespace\":\"" + namespace + "\",")
                + "\"data\":" + data + ",\"emitted_at\":1629758603937}}";
    }

    private static BadInputException failure(DataFormat format, long lineNumber, String line) throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness =
                harness(EnvelopeSettings.defaults().withDataFormat(format).withBadInputPolicy(BadInputPolicy.FAIL))) {
            return assertThrows(BadInputException.class, () -> process(harness, lineNumber, line));
        }
    }

    private static long accumulator(OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness, String name) {
        Map<String, Accumulator<?, ?>> accumulators = harness.getEnvironment().getAccumulatorRegistry().getUserMap();
        Accumulator<?, ?> accumulator = accumulators.get(name);
        return accumulator == null ? 0 : (Long) accumulator.getLocalValue();
    }

    private static List<String> states(OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness) {
        List<String> states = new java.util.ArrayList<>();
        for (StreamRecord<StateMessage> state : harness.getSideOutput(RecordEnveloper.STATES)) {
            states.add(new String(state.getValue().json, StandardCharsets.UTF_8));
        }
        return states;
    }

    @Test
    void stateMessagesGoToTheSideOutputWithTheRecordCountSinceTheLastState() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"id\":1}"));
            process(harness, 2, record("pokemon", "poke", "{\"id\":2}"));
            process(harness, 3, "{\"state\":{\"data\":{\"cursor\":10000000000000000000000.1234}},\"type\":\"STATE\"}");
            process(harness, 4, "{\"type\":\"STATE\",\"state\":{}}");
            process(harness, 5, record("users", null, "{\"id\":3}"));
            process(harness, 6, "{\"type\": \"STATE\", \"state\": {\"type\": \"GLOBAL\", \"global\": {\"stream_states\": []}}}");
            assertEquals(List.of(
                    "{\"state\":{\"destinationStats\":{\"recordCount\":2.0},\"data\":{\"cursor\":10000000000000000000000.1234}},\"type\":\"STATE\"}",
                    "{\"type\":\"STATE\",\"state\":{\"destinationStats\":{\"recordCount\":0.0}}}",
                    "{\"type\": \"STATE\", \"state\": {\"destinationStats\":{\"recordCount\":1.0},\"type\": \"GLOBAL\", \"global\": {\"stream_states\": []}}}"),
                    states(harness));
            assertEquals(3, harness.extractOutputValues().size(), "records still go to Kinesis");
            StateMessage first = harness.getSideOutput(RecordEnveloper.STATES).peek().getValue();
            assertEquals(SOURCE, first.source);
            assertEquals(3, first.lineNumber);
        }
    }

    @Test
    void aStreamStateCountsOnlyItsOwnStreamsRecords() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"id\":1}"));
            process(harness, 2, record("pokemon", "poke", "{\"id\":2}"));
            process(harness, 3, record("users", null, "{\"id\":3}"));
            process(harness, 4, "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"users\"},\"stream_state\":{\"id\":3}}}}");
            process(harness, 5, "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"pokemon\",\"namespace\":\"poke\"},\"stream_state\":{}}}}");
            process(harness, 6, "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"users\"}}}}");
            List<String> states = states(harness);
            assertTrue(states.get(0).contains("\"recordCount\":2.0"), states.get(0));
            assertTrue(states.get(1).contains("\"recordCount\":1.0"), states.get(1));
            assertTrue(states.get(2).contains("\"recordCount\":0.0"), states.get(2));
        }
    }

    @Test
    void anExistingDestinationStatsIsReplacedNotRepeated() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"id\":1}"));
            process(harness, 2, "{\"type\":\"STATE\",\"state\":{\"data\":{},\"destinationStats\":{\"recordCount\":99.0}}}");
            JsonNode state = MAPPER.readTree(states(harness).get(0));
            assertEquals(1.0, state.get("state").get("destinationStats").get("recordCount").doubleValue());
            assertEquals(2, state.get("state").size());
        }
    }

    private static void replay(OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness, long lineNumber,
            String line) throws Exception {
        InputLine replayed = new InputLine(SOURCE, lineNumber, line.getBytes(StandardCharsets.UTF_8));
        replayed.kind = InputLine.REPLAYED;
        harness.processElement(new StreamRecord<>(replayed));
    }

    @Test
    void afterARestoreTheReplayedLinesRecountTheRecordsSinceTheLastStateAndSendNothing() throws Exception {
        // A fresh operator, as after a restore with any parallelism: the reader replays the lines
        // before its restored position.
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> restored = harness(DataFormat.STRING)) {
            replay(restored, 1, record("users", null, "{\"id\":1}"));
            replay(restored, 2, "{\"type\":\"STATE\",\"state\":{\"data\":{\"n\":1}}}");
            replay(restored, 3, record("users", null, "{\"id\":2}"));
            replay(restored, 4, record("pokemon", "poke", "{\"id\":3}"));
            replay(restored, 5, record("missing", null, "{\"id\":4}"));
            replay(restored, 6, "not json at all");
            process(restored, 7, record("users", null, "{\"id\":5}"));
            process(restored, 8, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");

            assertEquals(List.of("{\"type\":\"STATE\",\"state\":{\"destinationStats\":{\"recordCount\":3.0},\"data\":{}}}"),
                    states(restored), "records 2, 3 and 5 since the replayed STATE; the replayed STATE itself is not released again");
            assertEquals(1, restored.extractOutputValues().size(), "only line 7 is sent");
            assertEquals(0, restored.getSideOutput(RecordEnveloper.DEAD_LETTERS) == null ? 0
                    : restored.getSideOutput(RecordEnveloper.DEAD_LETTERS).size(), "replayed bad lines were dead-lettered before");
            assertEquals(2, accumulator(restored, RecordEnveloper.LINES_ACCUMULATOR), "replayed lines were counted before");
        }
    }

    private static EnvelopeSettings keyedBy(String pointer) {
        ConfiguredCatalog catalog = new ConfiguredCatalog(List.of(
                new CatalogStream(new StreamDescriptor(null, "users"), DestinationSyncMode.APPEND),
                new CatalogStream(new StreamDescriptor("poke", "pokemon"), DestinationSyncMode.OVERWRITE)));
        org.airbytekinesis.flink.config.DestinationConfig config = org.airbytekinesis.flink.config.DestinationConfig.fromJson(
                MAPPER.createObjectNode().put("partitionKey", pointer));
        return EnvelopeSettings.of(config, PartitionKeyFields.of(config.partitionKey(), catalog));
    }

    @Test
    void aRecordWithoutItsKeyFieldIsADeadLetterOrStopsTheRunAndIsNotCountedWhenReplayed() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(keyedBy("/id"))) {
            process(harness, 1, record("users", null, "{\"id\":7,\"name\":\"a\"}"));
            process(harness, 2, record("users", null, "{\"name\":\"b\"}"));
            process(harness, 3, record("pokemon", "poke", "{\"id\":null}"));
            process(harness, 4, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
            List<KinesisEnvelope> sent = harness.extractOutputValues();
            assertEquals(1, sent.size());
            assertEquals("7", sent.get(0).partitionKey);
            assertEquals(2, harness.getSideOutput(RecordEnveloper.DEAD_LETTERS).size());
            assertEquals(2, accumulator(harness, RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX + "missing_partition_key"));
            assertTrue(states(harness).get(0).contains("\"recordCount\":1.0"), "only the record sent is counted");
        }
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> restored = harness(keyedBy("/id"))) {
            replay(restored, 1, record("users", null, "{\"id\":7,\"name\":\"a\"}"));
            replay(restored, 2, record("users", null, "{\"name\":\"b\"}"));
            process(restored, 3, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
            assertTrue(states(restored).get(0).contains("\"recordCount\":1.0"), states(restored).get(0));
        }
        EnvelopeSettings failing = keyedBy("/id").withBadInputPolicy(BadInputPolicy.FAIL);
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(failing)) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> process(harness, 9, record("users", null, "{\"id\":{\"a\":1}}")));
            assertTrue(e.getMessage().contains("line 9") && e.getMessage().contains("the field /id is an object"), e.getMessage());
        }
    }

    @Test
    void theKeyCountsTowardTheRecordSizeLimitInUtf8Bytes() throws Exception {
        String key = "é".repeat(100); // 200 bytes in UTF-8
        String data = "{\"k\":\"" + key + "\",\"pad\":\"\"}";
        EnvelopeSettings keyed = keyedBy("/k");
        int envelope;
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(keyed)) {
            process(harness, 1, record("users", null, data));
            KinesisEnvelope sent = harness.extractOutputValues().get(0);
            envelope = sent.payload.length;
            assertEquals("\"" + key + "\"", sent.partitionKey);
        }
        int keyBytes = 2 + 200;
        EnvelopeSettings fits = new EnvelopeSettings(keyed.dataFormat(), keyed.idMode(), keyed.badInputPolicy(),
                envelope + keyBytes).withPartitionKeys(keyed.partitionKeys());
        EnvelopeSettings over = new EnvelopeSettings(keyed.dataFormat(), keyed.idMode(), keyed.badInputPolicy(),
                envelope + keyBytes - 1).withPartitionKeys(keyed.partitionKeys());
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(fits)) {
            process(harness, 1, record("users", null, data));
            assertEquals(1, harness.extractOutputValues().size());
        }
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(over)) {
            process(harness, 1, record("users", null, data));
            assertEquals(0, harness.extractOutputValues().size());
            assertEquals(1, accumulator(harness, RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX + "record_too_large"));
        }
    }

    @Test
    void aReplayedRecordOverTheSizeLimitIsNotCountedAsItWasNotSent() throws Exception {
        EnvelopeSettings defaults = EnvelopeSettings.defaults();
        EnvelopeSettings settings = new EnvelopeSettings(defaults.dataFormat(), defaults.idMode(), defaults.badInputPolicy(), 200);
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> restored = harness(settings)) {
            replay(restored, 1, record("users", null, "{\"text\":\"" + "x".repeat(300) + "\"}"));
            replay(restored, 2, record("users", null, "{\"id\":1}"));
            process(restored, 3, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
            assertTrue(states(restored).get(0).contains("\"recordCount\":1.0"), states(restored).get(0));
        }
    }

    @Test
    void theEndOfAFileDropsItsCountsAndGoesToTheReleaserAsACompletedInput() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"id\":1}"));
            harness.processElement(new StreamRecord<>(InputLine.endOfFile(SOURCE, SOURCE, 1, "file:/data/input.jsonl")));
            process(harness, 1, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}"); // the file again, redelivered

            List<StateMessage> released = new java.util.ArrayList<>();
            harness.getSideOutput(RecordEnveloper.STATES).forEach(r -> released.add(r.getValue()));
            assertEquals(2, released.size());
            assertTrue(released.get(0).isInputCompleted());
            assertEquals("file:/data/input.jsonl", released.get(0).completedInput);
            assertEquals(1, released.get(0).lineNumber);
            assertTrue(new String(released.get(1).json, StandardCharsets.UTF_8).contains("\"recordCount\":0.0"),
                    "the ended file's count does not carry over");
            assertEquals(2, accumulator(harness, RecordEnveloper.LINES_ACCUMULATOR), "the marker is not a line");
        }
    }

    @Test
    void aStateWithoutAStateObjectStopsTheJob() throws Exception {
        BadInputException e = failure(DataFormat.STRING, 7, "{\"type\":\"STATE\"}");
        assertTrue(e.getMessage().contains("line 7: STATE message has no \"state\" object"), e.getMessage());
    }

    @Test
    void undeliverableLinesGoToTheDeadLetterOutputByteExactWithReasonAndLine() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            byte[] invalidUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            process(harness, 1, "# a comment");
            process(harness, 2, "[1,2]");
            harness.processElement(new StreamRecord<>(new InputLine(SOURCE, 3, invalidUtf8)));
            process(harness, 4, "{\"type\":\"RECORD\",\"record\":{\"data\":{}}}");
            process(harness, 5, "{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\",\"data\":[]}}");
            process(harness, 6, record("orders", "shop", "{}"));
            process(harness, 7, record("users", null, "{\"ok\":true}"));
            process(harness, 8, "");
            process(harness, 9, "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}");

            List<org.airbytekinesis.flink.deadletter.DeadLetter> deadLetters = new java.util.ArrayList<>();
            harness.getSideOutput(RecordEnveloper.DEAD_LETTERS).forEach(r -> deadLetters.add(r.getValue()));
            assertEquals(List.of("not_json", "not_an_object", "invalid_utf8", "record_without_stream",
                            "record_without_object_data", "stream_not_in_catalog"),
                    deadLetters.stream().map(d -> d.reason).collect(java.util.stream.Collectors.toList()));
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L),
                    deadLetters.stream().map(d -> d.lineNumber).collect(java.util.stream.Collectors.toList()));
            assertTrue(java.util.Arrays.equals(invalidUtf8, deadLetters.get(2).original), "byte-exact");
            assertEquals("# a comment", new String(deadLetters.get(0).original, StandardCharsets.UTF_8));
            assertEquals(SOURCE, deadLetters.get(5).source);
            assertEquals(1, harness.extractOutputValues().size(), "the good record still goes out");

            assertEquals(9, accumulator(harness, RecordEnveloper.LINES_ACCUMULATOR));
            assertEquals(1, accumulator(harness, RecordEnveloper.RECORDS_ACCUMULATOR));
            assertEquals(1, accumulator(harness, RecordEnveloper.BLANK_ACCUMULATOR));
            assertEquals(1, accumulator(harness, RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX + "LOG"));
            assertEquals(1, accumulator(harness, RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX + "not_json"));
            assertEquals(1, accumulator(harness, RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX + "stream_not_in_catalog"));
        }
    }

    @Test
    void positionIdsAreTheSameForAReplayOfTheSameLineAndDifferElsewhere() throws Exception {
        String line = record("users", null, "{\"id\":1}");
        List<String> ids = new java.util.ArrayList<>();
        for (String sourceId : List.of("a.jsonl@10@5", "a.jsonl@10@5", "b.jsonl@10@5")) {
            try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
                harness.processElement(new StreamRecord<>(new InputLine("a.jsonl", sourceId, 4, line.getBytes(StandardCharsets.UTF_8))));
                harness.processElement(new StreamRecord<>(new InputLine("a.jsonl", sourceId, 5, line.getBytes(StandardCharsets.UTF_8))));
                harness.extractOutputValues().forEach(e -> ids.add(e.partitionKey));
            }
        }
        assertEquals(ids.get(0), ids.get(2), "a replay of line 4 gets line 4's id");
        assertEquals(ids.get(1), ids.get(3));
        assertNotEquals(ids.get(0), ids.get(1), "another line, another id");
        assertNotEquals(ids.get(0), ids.get(4), "another source, another id");
        assertEquals(3, UUID.fromString(ids.get(0)).version(), "a name-based UUID");
        assertEquals(UUID.nameUUIDFromBytes("a.jsonl@10@5\n4".getBytes(StandardCharsets.UTF_8)).toString(), ids.get(0),
                "the documented formula: source id, newline, line number");
    }

    @Test
    void randomIdModeGivesRandomUuids() throws Exception {
        EnvelopeSettings random = EnvelopeSettings.of(org.airbytekinesis.flink.config.DestinationConfig.fromJson(
                MAPPER.readTree("{\"abIdMode\":\"random\"}")));
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(random)) {
            process(harness, 1, record("users", null, "{}"));
            process(harness, 1, record("users", null, "{}"));
            List<KinesisEnvelope> out = harness.extractOutputValues();
            assertNotEquals(out.get(0).partitionKey, out.get(1).partitionKey);
            assertEquals(4, UUID.fromString(out.get(0).partitionKey).version());
        }
    }

    @Test
    void recordBecomesEnvelopeForItsKinesisStream() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"id\": 1, \"name\": \"Рома\"}"));
            List<KinesisEnvelope> output = harness.extractOutputValues();
            assertEquals(1, output.size());
            KinesisEnvelope envelope = output.get(0);
            assertEquals("_users", envelope.kinesisStream);

            UUID id = UUID.fromString(envelope.partitionKey);
            assertEquals(3, id.version(), "by default a name-based id of the input position");
            assertEquals(2, id.variant());
            assertEquals(id.toString(), envelope.partitionKey);

            JsonNode root = MAPPER.readTree(envelope.payload);
            assertEquals(envelope.partitionKey, root.get("_airbyte_ab_id").textValue());
            assertEquals(1629758603937L, root.get("_airbyte_emitted_at").longValue());
            assertEquals("{\"id\":1,\"name\":\"Рома\"}", root.get("_airbyte_data").textValue());
        }
    }

    @Test
    void objectFormatEmbedsTheData() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.OBJECT)) {
            process(harness, 1, record("pokemon", "poke", "{\"id\":25}"));
            KinesisEnvelope envelope = harness.extractOutputValues().get(0);
            assertEquals("poke_pokemon", envelope.kinesisStream);
            assertEquals(MAPPER.readTree("{\"id\":25}"), MAPPER.readTree(envelope.payload).get("_airbyte_data"));
        }
    }

    @Test
    void recordsFollowTheNamespaceFallback() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", "public", "{}"));
            process(harness, 2, record("pokemon", null, "{}"));
            List<KinesisEnvelope> output = harness.extractOutputValues();
            assertEquals("_users", output.get(0).kinesisStream);
            assertEquals("poke_pokemon", output.get(1).kinesisStream);
        }
    }

    @Test
    void everyRecordGetsItsOwnId() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            for (int i = 1; i <= 200; i++) {
                process(harness, i, record("users", null, "{\"i\":" + i + "}"));
            }
            Set<String> ids = new HashSet<>();
            for (KinesisEnvelope envelope : harness.extractOutputValues()) {
                ids.add(envelope.partitionKey);
                assertEquals(envelope.partitionKey, MAPPER.readTree(envelope.payload).get("_airbyte_ab_id").textValue());
            }
            assertEquals(200, ids.size());
        }
    }

    @Test
    void logStateAndBlankLinesGiveNothing() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}");
            process(harness, 2, "");
            process(harness, 3, "   ");
            process(harness, 4, "{\"state\":{\"data\":{}},\"type\":\"STATE\"}");
            process(harness, 5, "{\"type\":\"TRACE\",\"trace\":{}}");
            assertTrue(harness.extractOutputValues().isEmpty());
            assertEquals(0, accumulator(harness, RecordEnveloper.RECORDS_ACCUMULATOR));
        }
    }

    @Test
    void recordsAreCountedPerStream() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{}"));
            process(harness, 2, record("users", "public", "{}"));
            process(harness, 3, "{\"type\":\"LOG\",\"log\":{}}");
            process(harness, 4, record("pokemon", "poke", "{}"));
            assertEquals(3, accumulator(harness, RecordEnveloper.RECORDS_ACCUMULATOR));
            assertEquals(2, accumulator(harness, RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + "_users"));
            assertEquals(1, accumulator(harness, RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + "poke_pokemon"));
        }
    }

    @Test
    void missingEmittedAtGetsTheTimeOfReading() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            long before = System.currentTimeMillis();
            process(harness, 1, "{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\",\"data\":{}}}");
            long after = System.currentTimeMillis();
            JsonNode root = MAPPER.readTree(harness.extractOutputValues().get(0).payload);
            long emittedAt = root.get("_airbyte_emitted_at").longValue();
            assertTrue(emittedAt >= before && emittedAt <= after, () -> String.valueOf(emittedAt));
        }
    }

    @Test
    void badLineFailsNamingSourceAndLine() throws Exception {
        BadInputException e = failure(DataFormat.STRING, 17, "{\"type\":\"RECORD\",\"record\":{\"stream\":\"users\"}}");
        assertTrue(e.getMessage().startsWith(SOURCE + " line 17: "), e.getMessage());
        assertTrue(e.getMessage().contains("record has no \"data\""), e.getMessage());

        e = failure(DataFormat.STRING, 3, "not json at all");
        assertTrue(e.getMessage().contains(SOURCE), e.getMessage());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void streamNotInTheCatalogFailsNamingTheStream() throws Exception {
        BadInputException e = failure(DataFormat.STRING, 8, record("orders", "shop", "{}"));
        assertTrue(e.getMessage().contains(SOURCE + " line 8"), e.getMessage());
        assertTrue(e.getMessage().contains("\"shop.orders\" is not in the catalog"), e.getMessage());

        e = failure(DataFormat.STRING, 9, record("pokemon", "other", "{}"));
        assertTrue(e.getMessage().contains("\"other.pokemon\""), e.getMessage());
        assertTrue(e.getMessage().contains("poke.pokemon"), e.getMessage());
    }

    @Test
    void envelopeOverOneMebibyteFailsWithItsSize() throws Exception {
        int max = org.airbytekinesis.flink.config.DestinationConfig.DEFAULT_MAX_RECORD_SIZE_BYTES;
        // The envelope's size beyond its data is fixed; measure it with a small record.
        int overhead;
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"x\":\"a\"}"));
            KinesisEnvelope small = harness.extractOutputValues().get(0);
            overhead = small.payload.length + small.partitionKey.length() - 1;
        }
        int largestFitting = max - overhead;
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, record("users", null, "{\"x\":\"" + "a".repeat(largestFitting) + "\"}"));
            KinesisEnvelope fitting = harness.extractOutputValues().get(0);
            assertEquals(max, fitting.payload.length + fitting.partitionKey.length());
        }
        BadInputException e = failure(DataFormat.STRING, 5,
                record("users", null, "{\"x\":\"" + "a".repeat(largestFitting + 1) + "\"}"));
        assertTrue(e.getMessage().startsWith(SOURCE + " line 5: "), e.getMessage());
        assertTrue(e.getMessage().contains("the envelope of this record is " + (max - 36 + 1) + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("at most " + max + " bytes"), e.getMessage());
    }

    @Test
    void escapingCountsTowardsTheSizeLimit() throws Exception {
        // 600 KiB of escaped quotes (\\") is 1.2 MiB once escaped again into the STRING format, but fits as an OBJECT.
        String data = "{\"q\":\"" + "\\\"".repeat(300 * 1024) + "\"}";
        BadInputException e = failure(DataFormat.STRING, 2, record("users", null, data));
        assertTrue(e.getMessage().contains("bytes per record including its partition key are accepted"), e.getMessage());
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.OBJECT)) {
            process(harness, 2, record("users", null, data));
            assertEquals(1, harness.extractOutputValues().size());
        }
    }

    @Test
    void randomUuidsAreVersionFour() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String text = RecordEnveloper.randomUuid();
            UUID id = UUID.fromString(text);
            assertEquals(4, id.version());
            assertEquals(2, id.variant());
            assertEquals(36, text.length());
            ids.add(text);
        }
        assertEquals(1000, ids.size());
        assertNotEquals(RecordEnveloper.randomUuid(), RecordEnveloper.randomUuid());
    }

    @Test
    void bytesReadCountEachLineAndItsEndAndEnvelopeBytesArePerStream() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            String users = record("users", null, "{\"name\":\"é\"}");
            String pokemon = record("pokemon", "poke", "{}");
            process(harness, 1, users);
            process(harness, 2, "é");
            process(harness, 3, pokemon);
            process(harness, 4, users);
            long expectedRead = 2L * (users.getBytes(StandardCharsets.UTF_8).length + 1) + (2 + 1)
                    + pokemon.getBytes(StandardCharsets.UTF_8).length + 1;
            assertEquals(expectedRead, accumulator(harness, RecordEnveloper.BYTES_READ_ACCUMULATOR));

            List<KinesisEnvelope> sent = harness.extractOutputValues();
            assertEquals(sent.get(0).payload.length + sent.get(2).payload.length,
                    accumulator(harness, RecordEnveloper.BYTES_ACCUMULATOR_PREFIX + "_users"));
            assertEquals(sent.get(1).payload.length, accumulator(harness, RecordEnveloper.BYTES_ACCUMULATOR_PREFIX + "poke_pokemon"));
        }
    }

    @Test
    void messagesThatAreNotRecordsAreCountedByType() throws Exception {
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(DataFormat.STRING)) {
            process(harness, 1, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
            process(harness, 2, "{\"type\":\"TRACE\",\"trace\":{\"type\":\"ERROR\",\"error\":{\"message\":\"boom\"}}}");
            process(harness, 3, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
            process(harness, 4, "{\"type\":\"record\"}");
            process(harness, 5, "{\"type\":\"record\"}");
            assertEquals(2, accumulator(harness, RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX + "STATE"));
            assertEquals(1, accumulator(harness, RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX + "TRACE"));
            assertEquals(2, accumulator(harness, RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX + "record"), "types are case-sensitive");
            assertEquals(0, accumulator(harness, RecordEnveloper.RECORDS_ACCUMULATOR));
        }
    }

    @Test
    void theCountsAreFlinkMetricsToo() throws Exception {
        // The operator's metric group records what is registered in it.
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        TaskMetricGroup taskMetrics = new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
            @Override
            public InternalOperatorMetricGroup getOrAddOperator(OperatorID operatorId, String name) {
                return metrics;
            }
        };
        String users = record("users", null, "{\"id\":1}");
        try (MockEnvironment environment = new MockEnvironmentBuilder().setMetricGroup(taskMetrics).build();
                OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new RecordEnveloper(ROUTES, EnvelopeSettings.defaults())), environment)) {
            harness.open();
            process(harness, 1, users);
            process(harness, 2, "");
            process(harness, 3, users);
            assertEquals(3, ((Counter) metrics.get("lines")).getCount());
            assertEquals(2, ((Counter) metrics.get("records")).getCount());
            assertEquals(2L * (users.getBytes(StandardCharsets.UTF_8).length + 1) + 1, ((Counter) metrics.get("bytesRead")).getCount());
            assertEquals(1, ((Counter) metrics.get("blankLines")).getCount());
        }
    }

    @Test
    void aReplayedRecordIsCountedUpToTheSizeLimitWithItsKeyIncluded() throws Exception {
        String data = "{\"k\":\"" + "é".repeat(50) + "\"}";
        EnvelopeSettings keyed = keyedBy("/k");
        int envelopeAndKey;
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = harness(keyed)) {
            process(harness, 1, record("users", null, data));
            KinesisEnvelope sent = harness.extractOutputValues().get(0);
            envelopeAndKey = sent.payload.length + sent.partitionKey.getBytes(StandardCharsets.UTF_8).length;
        }
        for (int limit : new int[] {envelopeAndKey, envelopeAndKey - 1}) {
            EnvelopeSettings settings = new EnvelopeSettings(keyed.dataFormat(), keyed.idMode(), keyed.badInputPolicy(), limit)
                    .withPartitionKeys(keyed.partitionKeys());
            try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> restored = harness(settings)) {
                replay(restored, 1, record("users", null, data));
                process(restored, 2, "{\"type\":\"STATE\",\"state\":{\"data\":{}}}");
                String expected = limit == envelopeAndKey ? "\"recordCount\":1.0" : "\"recordCount\":0.0";
                assertTrue(states(restored).get(0).contains(expected), limit + ": " + states(restored).get(0));
            }
        }
    }
}
