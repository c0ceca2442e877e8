package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.kinesis.model.Record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test oracle: what each Kinesis stream must hold, worked out from the input files with
 * Jackson's tree model (independent of the job's streaming scanner), and the check of what was
 * read back. Numbers are compared as exact decimals.
 */
public final class ExpectedRecords {
    public static final ObjectMapper EXACT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** Per Kinesis stream: (data, emitted_at) -> how many times. */
    private final Map<String, Map<List<JsonNode>, Integer>> byStream = new HashMap<>();
    private int total;

    public interface StreamNamer {
        String kinesisStream(String namespace, String stream);
    }

    public static ExpectedRecords fromFiles(StreamNamer namer, Path... files) throws IOException {
        ExpectedRecords expected = new ExpectedRecords();
        for (Path file : files) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode message = EXACT.readTree(line);
                if (!"RECORD".equals(message.path("type").asText())) {
                    continue;
                }
                JsonNode record = message.get("record");
                expected.add(kinesisStreamOf(record, namer), record.get("data"), record.get("emitted_at"));
            }
        }
        return expected;
    }

    /** The Kinesis stream an input RECORD message's {@code record} goes to. */
    static String kinesisStreamOf(JsonNode record, StreamNamer namer) {
        String namespace = record.hasNonNull("namespace") ? record.get("namespace").asText() : null;
        return namer.kinesisStream(namespace, record.get("stream").asText());
    }

    private void add(String stream, JsonNode data, JsonNode emittedAt) {
        byStream.computeIfAbsent(stream, s -> new HashMap<>()).merge(List.of(data, emittedAt), 1, Integer::sum);
        total++;
    }

    public Map<String, Map<List<JsonNode>, Integer>> byStream() {
        return byStream;
    }

    public int total() {
        return total;
    }

    /** Reads every expected stream back with {@code client} and checks it, as below. */
    public void assertKinesisHolds(software.amazon.awssdk.services.kinesis.KinesisClient client, boolean dataAsString)
            throws IOException {
        org.airbytekinesis.flink.tools.KinesisStreamReader reader = new org.airbytekinesis.flink.tools.KinesisStreamReader(client);
        for (String stream : byStream.keySet()) {
            assertStreamHolds(stream, reader.readAll(stream), dataAsString);
        }
    }

    /**
     * Checks one stream's records: each envelope has a UUID id equal to its partition key and
     * the data and emitted_at of an input record; together they are exactly the input records.
     */
    public void assertStreamHolds(String stream, List<Record> records, boolean dataAsString) throws IOException {
        Map<List<JsonNode>, Integer> actual = new HashMap<>();
        for (Record record : records) {
            JsonNode envelope = EXACT.readTree(record.data().asUtf8String());
            String id = envelope.get("_airbyte_ab_id").asText();
            assertEquals(id, UUID.fromString(id).toString(), "id is a UUID");
            assertEquals(id, record.partitionKey(), "partition key is the record id");
            JsonNode data = envelope.get("_airbyte_data");
            if (dataAsString) {
                assertTrue(data.isTextual(), "_airbyte_data is a JSON string");
                data = EXACT.readTree(data.textValue());
            }
            assertEquals(3, envelope.size(), "envelope fields: " + envelope.fieldNames());
            actual.merge(List.of(data, envelope.get("_airbyte_emitted_at")), 1, Integer::sum);
        }
        assertEquals(byStream.getOrDefault(stream, Map.of()), actual, "records of Kinesis stream " + stream);
    }
}
