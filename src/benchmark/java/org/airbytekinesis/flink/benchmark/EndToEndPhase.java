package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.apache.flink.api.common.JobExecutionResult;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * (e) Our job end to end: {@code WriteCommand}, exactly as {@code bin/airbyte-kinesis write}
 * runs it (local MiniCluster, the job's default parallelism, checkpoints as it sets them, the
 * real {@code KinesisSinks} with {@code FlushOnCheckpointSink}, stream provisioning, dead-letter
 * directory, STATEs released to stdout and {@code --state-out}), into a fresh kinesalite,
 * directly or through the latency proxy.
 *
 * <p>The phase's time is the job's net runtime (provisioning before it is not included; the
 * final flush and the final checkpoint at the end are). The steady rate comes from the sinks'
 * {@code numRecordsSend} counters, watched through {@link SinkProgressReporter}.
 */
final class EndToEndPhase {
    private EndToEndPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        StreamRoutes routes = StreamRoutes.forCatalog(InputGenerator.catalog(spec.streams));
        Path work = spec.workDir;
        try (EmulatorSession emulator = EmulatorSession.start(spec.latencyMillis, 100, work);
                KinesisClient direct = emulator.directClient()) {
            Path config = work.resolve("config.json");
            ObjectNode settings = emulator.config(mapper, spec.shards, spec.bufferSize);
            if (spec.partitionKey != null) {
                settings.put("partitionKey", spec.partitionKey).put("ordering", spec.ordering);
            }
            Files.writeString(config, mapper.writeValueAsString(settings));
            Path catalog = work.resolve("catalog.json");
            Files.writeString(catalog, mapper.writeValueAsString(InputGenerator.catalogJson(mapper, spec.streams)));
            Path states = work.resolve("states.jsonl");
            Files.deleteIfExists(states);
            List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                    "--input", spec.input.toString(), "--dead-letter", work.resolve("dead-letter").toString(),
                    "--state-out", states.toString()));
            if (spec.checkpointInterval != null) {
                args.add("--checkpoint-interval");
                args.add(spec.checkpointInterval);
            }
            WriteOptions options = WriteOptions.parse(args);

            JobExecutionResult job;
            long returned;
            long doneAt;
            try (PrintStream summary = new PrintStream(Files.newOutputStream(work.resolve("summary.txt")), true,
                    StandardCharsets.UTF_8);
                    Progress progress = new Progress(SinkProgressReporter::recordsSent, spec.records)
                    .measuringEmulatorCpu(emulator::emulatorCpuSeconds)) {
                progress.start();
                PhaseMain.Clock clock = new PhaseMain.Clock(emulator);
                job = new WriteCommand(summary).run(options);
                returned = System.nanoTime();
                result.seconds = job.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0;
                clock.stop(result, progress);
                doneAt = progress.doneNanos();
                result.notes.add(progress.timeline());
            }
            Object enveloped = job.getAllAccumulatorResults().get(RecordEnveloper.RECORDS_ACCUMULATOR);
            result.done = enveloped == null ? 0 : (Long) enveloped;
            if (SinkProgressReporter.counters() == 0) {
                result.notes.add("no steady rate: the sink counters were not seen (is target/benchmark/services on the"
                        + " classpath and FLINK_CONF_DIR set?)");
                result.steadyRate = Double.NaN;
            }
            // A local run's default parallelism is the number of cores, unless config.yaml sets one.
            int parallelism = spec.parallelism > 0 ? spec.parallelism : Runtime.getRuntime().availableProcessors();
            result.notes.add((spec.objectReuse ? "OBJECT REUSE ON (config.yaml), " : "") + "bufferSize " + spec.bufferSize + ", checkpoints every "
                    + (spec.checkpointInterval == null ? "10s (WriteCommand's default)" : spec.checkpointInterval)
                    + (doneAt > 0 ? String.format(", %.1f s from the last record sent to the end of the run (final checkpoint, closing)",
                            (returned - doneAt) / 1e9) : "")
                    + (parallelism > 0 ? "; " + CpuPathPhase.routerPlacement(routes, parallelism) : ""));
            ObjectNode extra = mapper.createObjectNode();
            extra.put("netRuntimeMs", job.getNetRuntime(TimeUnit.MILLISECONDS));
            extra.put("sinkRecordsSent", SinkProgressReporter.recordsSent());
            extra.put("tailSeconds", doneAt > 0 ? Math.round((returned - doneAt) / 1e6) / 1000.0 : -1);
            extra.put("statesReleased", Files.exists(states) ? Files.readAllLines(states).size() : 0);
            result.extra = extra;
            if (spec.verify) {
                result.verifiedRecords = StreamCounter.count(direct, routes.kinesisStreams().values());
            }
            emulator.close();
            result.proxyStats = emulator.proxyStats();
        }
    }
}
