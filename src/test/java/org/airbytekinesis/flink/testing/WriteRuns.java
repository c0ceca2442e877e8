package org.airbytekinesis.flink.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.client.JobStatusMessage;

/**
 * {@code write} runs as the launcher makes them ({@link WriteCommand}), in the background of a
 * test on a MiniCluster, and the files a producer delivers to them.
 */
public final class WriteRuns {
    private WriteRuns() {}

    /** Runs {@code write ARGS} on the cluster of the test, starting from the Flink configuration {@code settings}. */
    public static CompletableFuture<Void> start(Configuration settings, List<String> args) {
        return CompletableFuture.runAsync(() -> {
            try {
                new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), settings)
                        .run(WriteOptions.parse(args));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** The job running on the cluster, once there is one (at most 30 s). */
    public static JobID runningJob(ClusterClient<?> cluster) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (JobStatusMessage status : cluster.listJobs().get()) {
                if (status.getJobState() == JobStatus.RUNNING) {
                    return status.getJobId();
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no job is running");
    }

    /**
     * Delivers records {@code {"seq": from..to-1}} of {@code stream} and a LEGACY STATE
     * {@code {"upTo": to}} as a producer should: written as {@code NAME.tmp}, then renamed.
     */
    public static Path deliver(Path directory, String name, String stream, int from, int to) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int seq = from; seq < to; seq++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"emitted_at\":1,\"data\":{\"seq\":" + seq + "}}}");
        }
        lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + to + "}}}");
        Path partial = Files.write(directory.resolve(name + ".tmp"), lines, StandardCharsets.UTF_8);
        return Files.move(partial, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Everything in the STATE files of a {@code --state-out} directory, as one string ("" before any). */
    public static String releasedStates(Path states) throws IOException {
        if (!Files.exists(states)) {
            return "";
        }
        StringBuilder all = new StringBuilder();
        try (java.util.stream.Stream<Path> files = Files.walk(states)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().collect(java.util.stream.Collectors.toList())) {
                all.append(Files.readString(file));
            }
        }
        return all.toString();
    }
}
