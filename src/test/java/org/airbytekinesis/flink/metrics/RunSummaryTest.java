package org.airbytekinesis.flink.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunSummaryTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant START = Instant.parse("2026-12-02T10:00:00Z");
    private static final Instant END = Instant.parse("2026-12-02T10:00:12.500Z");

    @TempDir
    Path dir;

    private static Map<StreamDescriptor, String> streams() {
        Map<StreamDescriptor, String> streams = new LinkedHashMap<>();
        streams.put(new StreamDescriptor(null, "zeta"), "_zeta");
        streams.put(new StreamDescriptor("public", "alpha"), "public_alpha");
        return streams;
    }

    private static RunSummary finished(Map<String, Object> accumulators, Long retried) {
        return RunSummary.finished("0123456789abcdef0123456789abcdef", accumulators, streams(), 11_000, retried,
                "file:/tmp/dead-letter", START, END);
    }

    @Test
    void aFinishedRunsJsonHasEveryCountByStreamInCatalogOrderByReasonAndByType() {
        Map<String, Object> accumulators = new LinkedHashMap<>();
        accumulators.put("lines", 20L);
        accumulators.put("records", 12L);
        accumulators.put("records:_zeta", 5L);
        accumulators.put("records:public_alpha", 7L);
        accumulators.put("bytes:_zeta", 2_900L);
        accumulators.put("blank-lines", 1L);
        accumulators.put("dead-letter:not_json", 2L);
        accumulators.put("dead-letter:stream_not_in_catalog", 1L);
        accumulators.put("messages:STATE", 3L);
        accumulators.put("messages:LOG", 1L);
        accumulators.put("some-other-accumulator", List.of("not a count"));

        JsonNode json = finished(accumulators, 4L).toJson();

        assertEquals("FINISHED", json.get("status").asText());
        assertEquals("2026-12-02T10:00:00Z", json.get("started_at").asText());
        assertEquals(12_500, json.at("/durations_ms/wall").asLong());
        assertEquals(11_000, json.at("/durations_ms/job_net_runtime").asLong());
        assertEquals(20, json.get("lines_read").asLong());
        assertEquals(12, json.get("records_written").asLong());
        assertEquals(1, json.get("blank_lines").asLong());
        assertEquals("zeta", json.at("/streams/0/name").asText());
        assertTrue(json.at("/streams/0/namespace").isNull());
        assertEquals("_zeta", json.at("/streams/0/kinesis_stream").asText());
        assertEquals(5, json.at("/streams/0/records").asLong());
        assertEquals(2_900, json.at("/streams/0/bytes").asLong());
        assertEquals(0, json.at("/streams/1/bytes").asLong());
        assertEquals("public", json.at("/streams/1/namespace").asText());
        assertEquals(7, json.at("/streams/1/records").asLong());
        assertEquals(3, json.at("/dead_letters/total").asLong());
        assertEquals(2, json.at("/dead_letters/by_reason/not_json").asLong());
        assertEquals(1, json.at("/dead_letters/by_reason/stream_not_in_catalog").asLong());
        assertEquals("file:/tmp/dead-letter", json.at("/dead_letters/target").asText());
        assertEquals(3, json.at("/messages/STATE").asLong());
        assertEquals(1, json.at("/messages/LOG").asLong());
        assertEquals(2, json.get("messages").size(), "only the types that came");
        assertEquals(4, json.get("retried_entries").asLong());
    }

    @Test
    void aStreamWithoutRecordsCountsZeroAndUnknownRetriesAreNull() {
        JsonNode json = finished(Map.of("lines", 0L), null).toJson();

        assertEquals(0, json.at("/streams/1/records").asLong());
        assertEquals(0, json.at("/dead_letters/total").asLong());
        assertTrue(json.get("retried_entries").isNull(), "a cluster run's retries are in its metrics, not here");
    }

    @Test
    void aFailedRunSaysWhyAndHasNoCounts() {
        JsonNode json = RunSummary.failed("input.jsonl line 2: not JSON", START, END).toJson();

        assertEquals("FAILED", json.get("status").asText());
        assertEquals("input.jsonl line 2: not JSON", json.get("error").asText());
        assertFalse(json.has("records_written"));
        assertFalse(json.has("streams"));
        assertFalse(json.at("/durations_ms").has("job_net_runtime"));
    }

    @Test
    void writingReplacesAnOlderSummaryWholeAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("summary.json");
        Files.writeString(target, "{\"status\":\"OLD\", \"padding\": \"" + "x".repeat(10_000) + "\"}");

        finished(Map.of("lines", 3L, "records", 3L), 0L).writeJson(target);

        JsonNode json = MAPPER.readTree(target.toFile());
        assertEquals("FINISHED", json.get("status").asText());
        assertEquals(3, json.get("lines_read").asLong());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.collect(Collectors.toList()));
        }
    }
}
