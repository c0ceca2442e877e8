package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.apache.flink.api.common.JobExecutionResult;

/**
 * (j, k) One Kinesis stream of {@value #SHARDS} shards written by the job at parallelism 1 (j)
 * and 2 (k, set by the phase's own {@code config.yaml}), through {@code WriteCommand} as the
 * launcher runs it, against an endpoint that answers PutRecords at once and stores nothing
 * ({@code ProxyMain --answer-locally}; kinesalite only creates and describes the stream). The
 * client side, not an emulator, is the limit. By the writer rule (a writer per 4 open shards, at
 * most the parallelism) the stream gets 1 and 2 writers. Reports the steady rate and the records
 * each sink subtask sent.
 */
final class ScaleOutPhase {
    static final int SHARDS = 8;

    private ScaleOutPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Path work = spec.workDir;
        try (EmulatorSession endpoint = EmulatorSession.start(0, 100, work, List.of("--answer-locally"))) {
            Path config = work.resolve("config.json");
            Files.writeString(config, mapper.writeValueAsString(endpoint.config(mapper, SHARDS, spec.bufferSize)));
            Path catalog = work.resolve("catalog.json");
            Files.writeString(catalog, mapper.writeValueAsString(InputGenerator.catalogJson(mapper, 1)));
            WriteOptions options = WriteOptions.parse(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                    "--input", spec.input.toString(), "--dead-letter", work.resolve("dead-letter").toString(),
                    "--state-out", work.resolve("states.jsonl").toString(), "--quiet"));
            JobExecutionResult job;
            try (PrintStream summary = new PrintStream(Files.newOutputStream(work.resolve("summary.txt")), true,
                    StandardCharsets.UTF_8);
                    Progress progress = new Progress(SinkProgressReporter::recordsSent, spec.records)) {
                progress.start();
                PhaseMain.Clock clock = new PhaseMain.Clock(null);
                job = new WriteCommand(summary).run(options);
                result.seconds = job.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0;
                clock.stop(result, progress);
                result.notes.add(progress.timeline());
            }
            Object enveloped = job.getAllAccumulatorResults().get(RecordEnveloper.RECORDS_ACCUMULATOR);
            result.done = enveloped == null ? 0 : (Long) enveloped;
            Map<Integer, Long> perSubtask = SinkProgressReporter.recordsSentPerSubtask();
            long active = perSubtask.values().stream().filter(n -> n > 0).count();
            double mean = perSubtask.values().stream().filter(n -> n > 0).mapToLong(Long::longValue).average().orElse(0);
            double deviation = perSubtask.values().stream().filter(n -> n > 0)
                    .mapToDouble(n -> Math.abs(n - mean) / mean).max().orElse(Double.NaN);
            int parallelism = spec.phase.equals("j") ? 1 : 2;
            ObjectNode extra = mapper.createObjectNode();
            extra.put("parallelism", parallelism);
            extra.put("shards", SHARDS);
            ObjectNode records = extra.putObject("recordsPerSinkSubtask");
            perSubtask.forEach((subtask, n) -> records.put(Integer.toString(subtask), n));
            extra.put("activeSinkSubtasks", active);
            extra.put("maxDeviationFromMean", Math.round(deviation * 1000) / 1000.0);
            result.extra = extra;
            result.notes.add(String.format(java.util.Locale.ROOT, "parallelism %d, %d shards, %d active sink subtasks,"
                    + " records per sink subtask %s (largest deviation from their mean %.1f%%); bufferSize %d",
                    parallelism, SHARDS, active, perSubtask, 100 * deviation, spec.bufferSize));
            result.proxyStats = null;
        }
    }
}
