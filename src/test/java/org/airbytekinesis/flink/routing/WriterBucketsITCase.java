package org.airbytekinesis.flink.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.source.AfterRead;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.DroppingStateOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers per stream in the real pipeline ({@link AirbyteKinesisJob#defineWorkflow}) at
 * parallelism 2: a stream of two writers is written by both sink subtasks, about evenly; and a
 * savepoint of the job keyed by stream name alone (before writers per stream) restores into the
 * job keyed by stream and bucket, which goes on writing every record.
 */
class WriterBucketsITCase {
    private static final StreamRoutes ROUTES = StreamRoutes.forCatalog(new ConfiguredCatalog(List.of(
            new CatalogStream(new StreamDescriptor(null, "big"), DestinationSyncMode.APPEND),
            new CatalogStream(new StreamDescriptor(null, "small"), DestinationSyncMode.APPEND))));

    /** "stream subtask ab_id" of every record a sink writer was given. */
    static final Queue<String> WRITTEN = new ConcurrentLinkedQueue<>();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    /** Records each envelope with the index of the writer's subtask; slowly when asked. */
    static final class RecordingSink implements Sink<KinesisEnvelope> {
        private static final long serialVersionUID = 1L;
        private final String stream;
        private final long pauseMillis;

        RecordingSink(String stream, long pauseMillis) {
            this.stream = stream;
            this.pauseMillis = pauseMillis;
        }

        @Override
        @Deprecated
        public SinkWriter<KinesisEnvelope> createWriter(InitContext context) {
            int subtask = context.getTaskInfo().getIndexOfThisSubtask();
            return new SinkWriter<>() {
                @Override
                public void write(KinesisEnvelope element, Context ctx) throws InterruptedException {
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                    WRITTEN.add(stream + " " + subtask + " " + element.partitionKey);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    private static List<String> input(int big, int small) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < big + small; i++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + (i % ((big + small) / small) == 0 ? "small" : "big")
                    + "\",\"data\":{\"i\":" + i + "},\"emitted_at\":1}}");
            if (i % 100 == 99) {
                lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + i + "}}}");
            }
        }
        return lines;
    }

    private static void define(DataStream<InputLine> lines, WriterBuckets buckets, long pauseMillis) {
        AirbyteKinesisJob.defineWorkflow(lines, ROUTES, EnvelopeSettings.defaults(),
                stream -> new RecordingSink(stream, pauseMillis), new DroppingStateOutput(), DeadLetterOutputs.none(),
                AfterRead.leave(), buckets);
    }

    /** Records per subtask of one stream. */
    private static Map<Integer, Long> perSubtask(List<String> written, String stream) {
        return written.stream().filter(w -> w.startsWith(stream + " "))
                .collect(Collectors.groupingBy(w -> Integer.parseInt(w.split(" ")[1]), TreeMap::new, Collectors.counting()));
    }

    @Test
    void aStreamOfTwoWritersIsWrittenByBothSinkSubtasksWithinATenthOfTheMean() throws Exception {
        WRITTEN.clear();
        Path file = Files.write(dir.resolve("in.jsonl"), input(4_000, 200), StandardCharsets.UTF_8);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<InputLine> lines = env.fromSource(InputFiles.boundedSource(List.of(file.toUri().toString()), "run"),
                WatermarkStrategy.noWatermarks(), "input").uid(AirbyteKinesisJob.SOURCE_UID);
        define(lines, WriterBuckets.of(Map.of("_big", 2, "_small", 1), 2, 128), 0);

        env.execute("writers per stream");

        List<String> written = new ArrayList<>(WRITTEN);
        Map<Integer, Long> big = perSubtask(written, "_big");
        assertEquals(Set.of(0, 1), big.keySet(), "both writers of _big wrote: " + big);
        assertEquals(4_000, big.values().stream().mapToLong(Long::longValue).sum());
        for (long n : big.values()) {
            assertTrue(Math.abs(n - 2_000) <= 200, "within a tenth of the mean: " + big);
        }
        assertEquals(1, perSubtask(written, "_small").size(), "one writer for _small");
    }

    @Test
    void aSavepointOfTheJobKeyedByStreamNameRestoresIntoWritersPerStreamAndEveryRecordIsWritten() throws Exception {
        WRITTEN.clear();
        Path watched = Files.createDirectories(dir.resolve("incoming"));
        // More than the network buffers hold, so the savepoint's barrier comes before the end.
        List<String> input = input(6_000, 300);
        Files.write(watched.resolve("sync.jsonl"), input, StandardCharsets.UTF_8);

        JobClient old = start(watched, WriterBuckets.byStreamName(ROUTES.kinesisStreams().values()), 2, null);
        awaitIds(Set.of(), 200);
        String savepoint = old.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get();
        List<String> oldWritten = new ArrayList<>(WRITTEN);
        Set<String> oldIds = ids(oldWritten);
        assertTrue(oldIds.size() < 6_300, "stopped in the middle: " + oldIds.size());
        assertEquals(1, perSubtask(oldWritten, "_big").size(), "the old job wrote _big from one subtask");
        WRITTEN.clear();

        JobClient upgraded = start(watched, WriterBuckets.of(Map.of("_big", 2, "_small", 1), 2, 128), 0, savepoint);
        try {
            awaitIds(oldIds, 6_300);
        } finally {
            upgraded.cancel().get();
        }
        Set<String> all = new HashSet<>(oldIds);
        all.addAll(ids(new ArrayList<>(WRITTEN)));
        assertEquals(6_300, all.size(), "every record, a replayed one under its own id");
        Map<Integer, Long> big = perSubtask(new ArrayList<>(WRITTEN), "_big");
        assertEquals(Set.of(0, 1), big.keySet(), "after the upgrade both writers of _big write: " + big);
    }

    private JobClient start(Path watched, WriterBuckets buckets, long pauseMillis, String savepoint) throws Exception {
        Configuration configuration = new Configuration();
        if (savepoint != null) {
            configuration.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.setParallelism(2);
        env.enableCheckpointing(200);
        DataStream<InputLine> lines = env.fromSource(InputFiles.watchingSource(List.of(watched.toUri().toString()), "run",
                Duration.ofMillis(200)), WatermarkStrategy.noWatermarks(), "watched").uid(AirbyteKinesisJob.SOURCE_UID);
        define(lines, buckets, pauseMillis);
        return env.executeAsync("writers per stream upgrade");
    }

    private static Set<String> ids(List<String> written) {
        return written.stream().map(w -> w.split(" ")[2]).collect(Collectors.toSet());
    }

    /** Until the records written, with {@code before}, have this many distinct ids (replayed ones have the same). */
    private static void awaitIds(Set<String> before, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Set<String> ids = new HashSet<>(before);
        while (System.nanoTime() < deadline) {
            ids.addAll(ids(new ArrayList<>(WRITTEN)));
            if (ids.size() >= count) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("records written: " + ids.size() + ", expected " + count);
    }
}
