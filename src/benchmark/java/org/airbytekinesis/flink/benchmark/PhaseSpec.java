package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/** What one phase JVM is to measure: written by {@link Benchmark}, read by {@link PhaseMain}. */
final class PhaseSpec {
    final String phase;
    final String variant;
    final long latencyMillis;
    final Path input;
    final long records;
    final double avgEnvelopeBytes;
    final int streams;
    final int shards;
    final int bufferSize;
    final int threads;
    final int batch;
    final int parallelism;
    final String checkpointInterval;
    final boolean verify;
    final boolean objectReuse;
    /** f and g: the config's partitionKey and ordering; null for the others. */
    final String partitionKey;
    final String ordering;
    /** h and i: the shards of the limited stream, and the config's aggregation. */
    final int limitShards;
    final String aggregation;
    final Path workDir;
    final Path resultFile;

    PhaseSpec(ObjectNode json) {
        phase = json.get("phase").asText();
        variant = json.get("variant").asText();
        latencyMillis = json.get("latencyMs").asLong();
        input = Path.of(json.get("input").asText());
        records = json.get("records").asLong();
        avgEnvelopeBytes = json.get("avgEnvelopeBytes").asDouble();
        streams = json.get("streams").asInt();
        shards = json.get("shards").asInt();
        bufferSize = json.get("bufferSize").asInt();
        threads = json.get("threads").asInt();
        batch = json.get("batch").asInt();
        parallelism = json.get("parallelism").asInt();
        JsonNode interval = json.get("checkpointInterval");
        checkpointInterval = interval == null || interval.isNull() ? null : interval.asText();
        verify = json.get("verify").asBoolean();
        objectReuse = json.path("objectReuse").asBoolean(false);
        partitionKey = json.hasNonNull("partitionKey") ? json.get("partitionKey").asText() : null;
        ordering = json.hasNonNull("ordering") ? json.get("ordering").asText() : null;
        limitShards = json.path("limitShards").asInt(2);
        aggregation = json.path("aggregation").asText("none");
        workDir = Path.of(json.get("workDir").asText());
        resultFile = Path.of(json.get("resultFile").asText());
    }

    static PhaseSpec read(ObjectMapper mapper, Path file) throws IOException {
        return new PhaseSpec((ObjectNode) mapper.readTree(file.toFile()));
    }
}
