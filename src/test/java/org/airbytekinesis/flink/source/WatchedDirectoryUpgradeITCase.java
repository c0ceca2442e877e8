package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that watched a directory with Flink's FileSource (before this source existed) resumes
 * from its savepoint on {@link WatchedDirectorySource}: the file it was in the middle of goes on
 * where it stopped, the file it had read is not read again, and later deliveries are read.
 */
class WatchedDirectoryUpgradeITCase {
    private static final int BIG_LINES = 300;
    private static final int DONE_LINES = 10;
    private static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aSavepointOfTheFileSourceBasedWatchedSourceResumesOnTheNewOne() throws Exception {
        SEEN.clear();
        Path watched = Files.createDirectories(dir.resolve("incoming"));
        deliver(watched, "done.jsonl", lines("done-1", DONE_LINES), FileTime.fromMillis(1_000_000));
        deliver(watched, "big.jsonl", lines("big", BIG_LINES), FileTime.fromMillis(1_000_000));

        JobClient oldJob = start(oldSource(watched), true, null);
        awaitSeen(line -> line.startsWith("done.jsonl"), DONE_LINES);
        awaitSeen(line -> line.startsWith("big.jsonl"), 30);
        String savepoint = oldJob.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get();
        int bigBefore = count(line -> line.startsWith("big.jsonl"));
        assertTrue(bigBefore < BIG_LINES, "the savepoint was taken in the middle of big.jsonl: " + bigBefore);

        JobClient newJob = start(InputFiles.watchingSource(List.of(watched.toUri().toString()), "run",
                Duration.ofMillis(200)), false, savepoint);
        try {
            awaitSeen(line -> line.startsWith("big.jsonl"), BIG_LINES);
            deliver(watched, "done.jsonl", lines("done-2", DONE_LINES), FileTime.fromMillis(2_000_000));
            deliver(watched, "new.jsonl", lines("new", 5), FileTime.fromMillis(2_000_000));
            awaitSeen(line -> line.contains("done-2") || line.contains("new"), DONE_LINES + 5);
            Thread.sleep(1_000); // time to read anything twice, should that happen
        } finally {
            newJob.cancel().get();
        }
        Map<String, Long> times = SEEN.stream().collect(Collectors.groupingBy(line -> line, Collectors.counting()));
        assertEquals(BIG_LINES + 2 * DONE_LINES + 5, times.size(), "every line of every delivery: " + times.keySet());
        assertTrue(times.values().stream().allMatch(n -> n == 1), "each once: " + times);
    }

    /** Source, then a map that records each line (slowly in the old job, so it is stopped midway). */
    private JobClient start(Source<InputLine, ?, ?> source, boolean slowly, String savepoint) throws Exception {
        Configuration configuration = new Configuration();
        if (savepoint != null) {
            configuration.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "watched")
                .uid(AirbyteKinesisJob.SOURCE_UID)
                .map(new Seen(slowly)).uid("seen")
                .sinkTo(new DiscardingSink<>()).uid("discard");
        return env.executeAsync("watched directory upgrade");
    }

    /** The watched source as it was built before: Flink's FileSource, monitoring continuously. */
    private static FileSource<InputLine> oldSource(Path watched) {
        return FileSource.forBulkFileFormat(new AirbyteLineFormat("run"), new org.apache.flink.core.fs.Path(watched.toUri()))
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(p -> InputFiles.isVisible(p.getName())))
                .monitorContinuously(Duration.ofMillis(200))
                .build();
    }

    private static final class Seen implements MapFunction<InputLine, String> {
        private static final long serialVersionUID = 1L;
        private final boolean slowly;

        Seen(boolean slowly) {
            this.slowly = slowly;
        }

        @Override
        public String map(InputLine line) throws Exception {
            if (slowly) {
                Thread.sleep(20);
            }
            String seen = Path.of(line.source).getFileName() + " " + new String(line.bytes, StandardCharsets.UTF_8);
            // Replayed lines and end-of-file markers are not lines read (again).
            if (line.kind == InputLine.LINE) {
                SEEN.add(seen);
            }
            return seen;
        }
    }

    private static void awaitSeen(Predicate<String> which, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(which) < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(count(which) >= count, "lines seen: " + SEEN.size());
    }

    private static int count(Predicate<String> which) {
        return (int) SEEN.stream().filter(which).count();
    }

    private static List<String> lines(String delivery, int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            lines.add(delivery + " line " + i);
        }
        return lines;
    }

    private static void deliver(Path watched, String name, List<String> lines, FileTime modified) throws IOException {
        Path partial = watched.resolve(name + ".tmp");
        Files.write(partial, lines, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(partial, modified);
        Files.move(partial, watched.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
