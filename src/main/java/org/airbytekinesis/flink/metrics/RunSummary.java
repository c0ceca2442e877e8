package org.airbytekinesis.flink.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.envelope.RecordEnveloper;

/**
 * What a finished (or failed) {@code write} run did, from the job's accumulators: lines read,
 * records per stream, dead letters per reason, other messages per type, retried entries and
 * the run's times. The console summary prints it; {@code --summary-json FILE} writes it for
 * automation.
 */
public final class RunSummary {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String jobId;
    private final String status;
    private final String error;
    private final Instant startedAt;
    private final Instant endedAt;
    private final long netRuntimeMillis;
    private final Map<String, Long> counts;
    private final Map<StreamDescriptor, String> streams;
    private final Long retriedEntries;
    private final String deadLetterTarget;

    private RunSummary(String jobId, String status, String error, Instant startedAt, Instant endedAt,
            long netRuntimeMillis, Map<String, Long> counts, Map<StreamDescriptor, String> streams,
            Long retriedEntries, String deadLetterTarget) {
        this.jobId = jobId;
        this.status = status;
        this.error = error;
        this.startedAt = startedAt;
        this.endedAt = endedAt;
        this.netRuntimeMillis = netRuntimeMillis;
        this.counts = counts;
        this.streams = streams;
        this.retriedEntries = retriedEntries;
        this.deadLetterTarget = deadLetterTarget;
    }

    /**
     * A finished run.
     *
     * @param accumulators the job's accumulator results (counters are Longs)
     * @param streams the catalog's streams and their Kinesis streams, in catalog order
     * @param retriedEntries PutRecords entries retried, or null where not known (a cluster run)
     */
    public static RunSummary finished(String jobId, Map<String, Object> accumulators,
            Map<StreamDescriptor, String> streams, long netRuntimeMillis, Long retriedEntries,
            String deadLetterTarget, Instant startedAt, Instant endedAt) {
        Map<String, Long> counts = new TreeMap<>();
        accumulators.forEach((name, value) -> {
            if (value instanceof Long) {
                counts.put(name, (Long) value);
            }
        });
        return new RunSummary(jobId, "FINISHED", null, startedAt, endedAt, netRuntimeMillis, counts,
                new LinkedHashMap<>(streams), retriedEntries, deadLetterTarget);
    }

    /**
     * A run whose job failed: its counts died with it.
     *
     * @param error why, as the launcher says it on stderr (one line, secrets redacted)
     */
    public static RunSummary failed(String error, Instant startedAt, Instant endedAt) {
        return new RunSummary(null, "FAILED", error, startedAt, endedAt, -1, Collections.emptyMap(),
                Collections.emptyMap(), null, null);
    }

    public long netRuntimeMillis() {
        return netRuntimeMillis;
    }

    public long linesRead() {
        return count(RecordEnveloper.LINES_ACCUMULATOR);
    }

    public long recordsWritten() {
        return count(RecordEnveloper.RECORDS_ACCUMULATOR);
    }

    public long blankLines() {
        return count(RecordEnveloper.BLANK_ACCUMULATOR);
    }

    /** Records written per Kinesis stream, in catalog order. */
    public Map<String, Long> recordsByKinesisStream() {
        Map<String, Long> byStream = new LinkedHashMap<>();
        streams.values().forEach(stream -> byStream.put(stream, count(RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + stream)));
        return byStream;
    }

    /** Dead letters per reason code, by name. */
    public Map<String, Long> deadLettersByReason() {
        return withPrefix(RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX);
    }

    public long deadLetters() {
        return deadLettersByReason().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Messages other than RECORD per type (STATE, LOG, TRACE, ...), by name. */
    public Map<String, Long> messagesByType() {
        return withPrefix(RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX);
    }

    /** PutRecords entries the sinks retried, or null where this JVM cannot see them. */
    public Long retriedEntries() {
        return retriedEntries;
    }

    public String deadLetterTarget() {
        return deadLetterTarget;
    }

    private long count(String name) {
        return counts.getOrDefault(name, 0L);
    }

    private Map<String, Long> withPrefix(String prefix) {
        Map<String, Long> found = new TreeMap<>();
        counts.forEach((name, value) -> {
            if (name.startsWith(prefix)) {
                found.put(name.substring(prefix.length()), value);
            }
        });
        return found;
    }

    /** The JSON of {@code --summary-json}. */
    public ObjectNode toJson() {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("status", status);
        if (jobId != null) {
            json.put("job_id", jobId);
        }
        if (error != null) {
            json.put("error", error);
        }
        json.put("started_at", startedAt.toString());
        json.put("ended_at", endedAt.toString());
        ObjectNode durations = json.putObject("durations_ms");
        durations.put("wall", endedAt.toEpochMilli() - startedAt.toEpochMilli());
        if (netRuntimeMillis >= 0) {
            durations.put("job_net_runtime", netRuntimeMillis);
        }
        if (!"FINISHED".equals(status)) {
            return json;
        }
        json.put("lines_read", linesRead());
        json.put("bytes_read", count(RecordEnveloper.BYTES_READ_ACCUMULATOR));
        json.put("records_written", recordsWritten());
        json.put("blank_lines", blankLines());
        ArrayNode perStream = json.putArray("streams");
        streams.forEach((descriptor, kinesisStream) -> {
            ObjectNode stream = perStream.addObject();
            if (descriptor.namespace() == null) {
                stream.putNull("namespace");
            } else {
                stream.put("namespace", descriptor.namespace());
            }
            stream.put("name", descriptor.name());
            stream.put("kinesis_stream", kinesisStream);
            stream.put("records", count(RecordEnveloper.STREAM_ACCUMULATOR_PREFIX + kinesisStream));
            stream.put("bytes", count(RecordEnveloper.BYTES_ACCUMULATOR_PREFIX + kinesisStream));
        });
        ObjectNode deadLetters = json.putObject("dead_letters");
        deadLetters.put("total", deadLetters());
        ObjectNode byReason = deadLetters.putObject("by_reason");
        deadLettersByReason().forEach(byReason::put);
        if (deadLetterTarget != null) {
            deadLetters.put("target", deadLetterTarget);
        }
        // RECORDs are in records_written and dead_letters; these are the other types.
        ObjectNode messages = json.putObject("messages");
        messagesByType().forEach(messages::put);
        if (retriedEntries == null) {
            json.putNull("retried_entries");
        } else {
            json.put("retried_entries", retriedEntries);
        }
        return json;
    }

    /**
     * Writes the JSON to a file next to its target and moves it into place, so that a reader
     * never sees half a summary.
     */
    public void writeJson(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
        try {
            Files.writeString(temp, MAPPER.writeValueAsString(toJson()) + "\n", StandardCharsets.UTF_8);
            Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
