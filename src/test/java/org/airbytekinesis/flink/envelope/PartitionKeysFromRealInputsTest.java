package org.airbytekinesis.flink.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.FieldPath;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.PartitionKeyChoice;
import org.airbytekinesis.flink.deadletter.DeadLetter;
import org.airbytekinesis.flink.routing.KinesisStreamNames;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.Corpus;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Partition keys of real connector output. The Faros bitbucket and phabricator logs print the
 * catalog they ran with (a LOG line), with the sources' primary keys; their records carry the
 * streams' names with a {@code mytestsource__<source>__} prefix, which the catalog gets here.
 */
class PartitionKeysFromRealInputsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static List<String> lines(String file) throws Exception {
        List<String> lines = new ArrayList<>();
        for (byte[] line : Corpus.lines(Files.readAllBytes(Corpus.file(file)))) {
            lines.add(new String(line, StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** The catalog the source logged, its stream names as its records carry them. */
    private static ConfiguredCatalog loggedCatalog(List<String> lines, String source) throws Exception {
        for (String line : lines) {
            JsonNode message = MAPPER.readTree(line);
            String text = message.path("log").path("message").asText();
            if (text.startsWith("catalog: ")) {
                ObjectNode catalog = (ObjectNode) MAPPER.readTree(text.substring("catalog: ".length()));
                for (JsonNode stream : catalog.get("streams")) {
                    ObjectNode descriptor = (ObjectNode) stream.get("stream");
                    descriptor.put("name", "mytestsource__" + source + "__" + descriptor.get("name").asText());
                }
                return ConfiguredCatalog.fromJson(catalog);
            }
        }
        throw new AssertionError("no catalog logged");
    }

    private static final class Run {
        final List<KinesisEnvelope> envelopes = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();
        int records;
    }

    private static Run run(List<String> lines, ConfiguredCatalog catalog, PartitionKeyChoice choice) throws Exception {
        EnvelopeSettings settings = EnvelopeSettings.defaults().withPartitionKeys(PartitionKeyFields.of(choice, catalog));
        Run run = new Run();
        try (OneInputStreamOperatorTestHarness<InputLine, KinesisEnvelope> harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new RecordEnveloper(StreamRoutes.forCatalog(catalog), settings)))) {
            harness.open();
            for (int i = 0; i < lines.size(); i++) {
                harness.processElement(new StreamRecord<>(new InputLine("corpus", i + 1, lines.get(i).getBytes(StandardCharsets.UTF_8))));
                if ("RECORD".equals(MAPPER.readTree(lines.get(i)).path("type").asText())) {
                    run.records++;
                }
            }
            run.envelopes.addAll(harness.extractOutputValues());
            Collection<StreamRecord<DeadLetter>> deadLetters = harness.getSideOutput(RecordEnveloper.DEAD_LETTERS);
            if (deadLetters != null) {
                deadLetters.forEach(d -> run.deadLetters.add(d.getValue()));
            }
        }
        return run;
    }

    /** What the key must be, from a tree of the data: the JSON text of each value. */
    private static String expectedKey(JsonNode data, List<FieldPath> fields) {
        StringJoiner values = new StringJoiner(",", fields.size() > 1 ? "[" : "", fields.size() > 1 ? "]" : "");
        for (FieldPath field : fields) {
            JsonNode value = data.at(field.toString());
            assertTrue(value.isValueNode() && !value.isNull(), field + " in " + data);
            values.add(value.toString());
        }
        return values.toString();
    }

    @Test
    void phabricatorRecordsAreKeyedByTheirStreamsPrimaryKeysNestedOnesToo() throws Exception {
        List<String> lines = lines("messages__faros__phabricator_all-streams.log");
        ConfiguredCatalog catalog = loggedCatalog(lines, "phabricator");
        Map<String, List<FieldPath>> keyOf = new HashMap<>();
        for (CatalogStream stream : catalog.streams()) {
            keyOf.put(KinesisStreamNames.of(stream.descriptor().namespace(), stream.descriptor().name()), stream.primaryKey());
        }
        assertEquals(List.of(FieldPath.of(List.of("fields", "identifier"))), keyOf.get("_mytestsource__phabricator__commits"));

        Run run = run(lines, catalog, PartitionKeyChoice.BY_PRIMARY_KEY);
        assertEquals(20, run.envelopes.size(), "records of the 5 catalog streams");
        assertEquals(run.records, run.envelopes.size() + run.deadLetters.size(), "every record is keyed or a dead letter");
        run.deadLetters.forEach(d -> assertEquals("stream_not_in_catalog", d.reason, d.message));
        int commits = 0;
        for (KinesisEnvelope envelope : run.envelopes) {
            JsonNode data = MAPPER.readTree(MAPPER.readTree(envelope.payload).get("_airbyte_data").asText());
            assertEquals(expectedKey(data, keyOf.get(envelope.kinesisStream)), envelope.partitionKey, envelope.toString());
            assertTrue(envelope.partitionKey.startsWith("\""), "these keys are strings: " + envelope.partitionKey);
            if (envelope.kinesisStream.endsWith("__commits")) {
                commits++;
                assertEquals("\"" + data.get("fields").get("identifier").asText() + "\"", envelope.partitionKey);
            }
        }
        assertEquals(7, commits);
    }

    @Test
    void bitbucketWithPrimaryKeysIsRefusedAtStartNamingEveryStreamWithoutOne() throws Exception {
        ConfiguredCatalog catalog = loggedCatalog(lines("messages__faros__bitbucket_all-streams.log"), "bitbucket");
        SetupException refused = assertThrows(SetupException.class,
                () -> PartitionKeyFields.of(PartitionKeyChoice.BY_PRIMARY_KEY, catalog));
        for (String stream : List.of("pull_request_activities", "repositories", "workspace_users", "workspaces")) {
            assertTrue(refused.getMessage().contains("\"mytestsource__bitbucket__" + stream + "\""), refused.getMessage());
        }
        assertFalse(refused.getMessage().contains("__commits"), refused.getMessage());
    }

    @Test
    void oneFieldForEveryStreamKeysTheRecordsThatHaveItAndDeadLettersTheOthers() throws Exception {
        List<String> lines = lines("messages__faros__bitbucket_all-streams.log");
        ConfiguredCatalog catalog = loggedCatalog(lines, "bitbucket");
        Run run = run(lines, catalog, choice("/hash"));
        assertEquals(run.records, run.envelopes.size() + run.deadLetters.size());
        Map<String, Integer> reasons = new HashMap<>();
        run.deadLetters.forEach(d -> reasons.merge(d.reason, 1, Integer::sum));
        for (KinesisEnvelope envelope : run.envelopes) {
            JsonNode data = MAPPER.readTree(MAPPER.readTree(envelope.payload).get("_airbyte_data").asText());
            assertEquals(data.get("hash").toString(), envelope.partitionKey);
            assertTrue(envelope.partitionKey.matches("\"[0-9a-f]{40}\""), envelope.partitionKey);
        }
        assertEquals(25, run.envelopes.size(), "the commits");
        assertEquals(3, reasons.get("stream_not_in_catalog"), "tags");
        assertEquals(run.records - 25 - 3, reasons.get("missing_partition_key"));
        for (DeadLetter letter : run.deadLetters) {
            if (letter.reason.equals("missing_partition_key")) {
                assertTrue(letter.message.matches("no partition key for Kinesis stream _mytestsource__bitbucket__\\w+: "
                        + "the field /hash is missing \\(partitionKey\\)"), letter.message);
            }
        }
    }

    @Test
    void theIdStaysInTheEnvelopeWhateverTheKey() throws Exception {
        List<String> lines = lines("messages__faros__phabricator_all-streams.log");
        Run run = run(lines, loggedCatalog(lines, "phabricator"), PartitionKeyChoice.BY_PRIMARY_KEY);
        for (KinesisEnvelope envelope : run.envelopes) {
            String id = MAPPER.readTree(envelope.payload).get("_airbyte_ab_id").asText();
            assertTrue(id.matches("[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), id);
        }
    }

    private static PartitionKeyChoice choice(String pointer) throws Exception {
        return DestinationConfig.fromJson(MAPPER.createObjectNode().put("partitionKey", pointer)).partitionKey();
    }
}
