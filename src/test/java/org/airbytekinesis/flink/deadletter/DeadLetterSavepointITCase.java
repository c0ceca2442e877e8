package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.Encoder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading a running job: a savepoint taken while dead letters went through the former
 * dead-letter output (Flink's FileSink, under the same uid) restores into the current one
 * without {@code --allowNonRestoredState}, and the restored job goes on writing dead letters.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeadLetterSavepointITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aSavepointOfTheFormerFileSinkOutputRestoresIntoTheCurrentOneWithoutAllowingNonRestoredState() throws Exception {
        Path deadLetterDir = dir.resolve("dead-letter");
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");

        StreamExecutionEnvironment former = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
        definePipeline(former, formerDirectorySink(deadLetterDir.toUri().toString()));
        JobClient formerRun = former.executeAsync("former dead-letter output");
        awaitFiles(formerRun, deadLetterDir, name -> true, 2);
        String savepoint = formerRun
                .stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
        Set<Long> formerDeadLetters = lines(deadLetterDir);
        assertTrue(formerDeadLetters.size() > 0);

        Configuration resume = new Configuration(noRestarts);
        resume.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment current = StreamExecutionEnvironment.getExecutionEnvironment(resume);
        definePipeline(current, DeadLetterOutputs.directorySink(deadLetterDir.toUri().toString()));
        JobClient currentRun = current.executeAsync("current dead-letter output, from the former's savepoint");
        try {
            awaitFiles(currentRun, deadLetterDir, name -> name.matches("dead-letter-\\d{8}T.*"), 2);
        } finally {
            if (!currentRun.getJobExecutionResult().isDone()) {
                currentRun.cancel().get(30, TimeUnit.SECONDS);
            }
        }

        Set<Long> all = lines(deadLetterDir);
        assertTrue(all.containsAll(formerDeadLetters), "the former run's dead letters are all still there");
        assertTrue(all.size() > formerDeadLetters.size(), "the restored job wrote dead letters of its own");
        long highestBefore = formerDeadLetters.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(all.stream().anyMatch(n -> n > highestBefore), "the restored job read on where the savepoint was");
    }

    /** Numbers, each as a dead letter, paced (about 1 ms each per subtask) so checkpoints come between them. */
    private static void definePipeline(StreamExecutionEnvironment env, Sink<DeadLetter> sink) {
        env.setParallelism(2);
        env.enableCheckpointing(100, CheckpointingMode.EXACTLY_ONCE);
        env.fromSource(new org.apache.flink.api.connector.source.lib.NumberSequenceSource(1, Long.MAX_VALUE),
                        WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers")
                .map(DeadLetterSavepointITCase::deadLetterOf)
                .uid("to-dead-letter")
                .sinkTo(sink)
                .uid(DeadLetterOutputs.UID);
    }

    private static DeadLetter deadLetterOf(Long n) throws InterruptedException {
        Thread.sleep(1);
        return new DeadLetter(DeadLetterReason.NOT_JSON, "not JSON", "numbers", n, ("line " + n).getBytes(StandardCharsets.UTF_8));
    }

    /** The dead-letter directory as the former version wrote it: Flink's FileSink, a part file per checkpoint. */
    private static Sink<DeadLetter> formerDirectorySink(String directory) {
        return FileSink.forRowFormat(new org.apache.flink.core.fs.Path(directory), new JsonLines())
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("dead-letter").withPartSuffix(".jsonl").build())
                .build();
    }

    private static final class JsonLines implements Encoder<DeadLetter> {
        private static final long serialVersionUID = 1L;

        @Override
        public void encode(DeadLetter deadLetter, OutputStream stream) throws IOException {
            stream.write(DeadLetterJson.toJsonLine(deadLetter));
            stream.write('\n');
        }
    }

    private static void awaitFiles(JobClient job, Path directory, Predicate<String> name, int atLeast) throws Exception {
        CompletableFuture<?> result = job.getJobExecutionResult();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (result.isDone()) {
                result.get(); // throws why the job ended
                throw new AssertionError("the job ended before writing dead-letter files");
            }
            long files = VisibleDeadLetters.files(directory).stream()
                    .filter(f -> name.test(f.getFileName().toString()))
                    .count();
            if (files >= atLeast) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + atLeast + " dead-letter files in " + directory + " after 60 s");
    }

    private static Set<Long> lines(Path directory) throws IOException {
        Set<Long> lines = new HashSet<>();
        List<JsonNode> deadLetters = VisibleDeadLetters.read(directory);
        for (JsonNode deadLetter : deadLetters) {
            lines.add(deadLetter.get("line").longValue());
        }
        assertEquals(deadLetters.size(), lines.size(), "no dead letter twice");
        return lines;
    }
}
