package org.airbytekinesis.flink.benchmark;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.airbytekinesis.flink.AirbyteKinesisJob;
import org.airbytekinesis.flink.deadletter.DeadLetter;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputFiles;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.testing.DroppingStateOutput;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * (b) Our CPU path: the job's own pipeline ({@link AirbyteKinesisJob#defineWorkflow}: the file
 * source, parse and envelope, keyBy stream, route to one side output per stream) on a local
 * MiniCluster with the job's default parallelism, but with a discarding sink per stream, a
 * STATE output that drops what it gets and a dead-letter output that counts. No checkpointing:
 * nothing here is made durable, and a checkpoint is no CPU path.
 */
final class CpuPathPhase {
    private static final String RECORDS = "b-records";
    private static final String DEAD_LETTERS = "b-dead-letters";

    private CpuPathPhase() {}

    static void run(PhaseSpec spec, PhaseResult result) throws Exception {
        StreamRoutes routes = StreamRoutes.forCatalog(InputGenerator.catalog(spec.streams));
        Configuration settings = new Configuration();
        settings.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(settings);
        if (spec.parallelism > 0) {
            env.setParallelism(spec.parallelism);
        }
        if (spec.objectReuse) {
            env.getConfig().enableObjectReuse(); // an experiment (--object-reuse); the job does not set it
        }
        DataStream<InputLine> lines = env
                .fromSource(InputFiles.boundedSource(List.of(spec.input.toUri().toString()), "benchmark"),
                        WatermarkStrategy.noWatermarks(), "Airbyte messages")
                .uid(AirbyteKinesisJob.SOURCE_UID);
        AirbyteKinesisJob.defineWorkflow(lines, routes, EnvelopeSettings.defaults(),
                stream -> new CountingSink<KinesisEnvelope>(RECORDS, envelope -> envelope.payload.length),
                new DroppingStateOutput(),
                deadLetters -> deadLetters
                        .sinkTo(new CountingSink<DeadLetter>(DEAD_LETTERS, letter -> letter.original.length))
                        .uid(DeadLetterOutputs.UID)
                        .name("Dead letters (counted)"));

        AtomicLong records = CountingSink.count(RECORDS);
        JobExecutionResult job;
        try (Progress progress = new Progress(records::get, spec.records)) {
            progress.start();
            PhaseMain.Clock clock = new PhaseMain.Clock(null);
            job = env.execute("benchmark (b): CPU path");
            result.seconds = job.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0;
            clock.stop(result, progress);
        }
        result.done = records.get();
        long deadLetters = CountingSink.count(DEAD_LETTERS).get();
        Object enveloped = job.getAllAccumulatorResults().get(RecordEnveloper.RECORDS_ACCUMULATOR);
        if (deadLetters > 0 || result.done != spec.records) {
            throw new IllegalStateException("expected " + spec.records + " records and no dead letters, got "
                    + result.done + " records, " + deadLetters + " dead letters (enveloped: " + enveloped + ")");
        }
        result.notes.add("parallelism " + env.getParallelism() + (spec.objectReuse ? ", OBJECT REUSE ON" : "") + "; "
                + routerPlacement(routes, env.getParallelism()));
    }

    /** Which router subtask (and so which sink subtask) keyBy sends each stream to. */
    static String routerPlacement(StreamRoutes routes, int parallelism) {
        int maxParallelism = KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism);
        Map<Integer, Integer> streamsBySubtask = new TreeMap<>();
        for (int i = 0; i < parallelism; i++) {
            streamsBySubtask.put(i, 0);
        }
        for (String stream : routes.kinesisStreams().values()) {
            streamsBySubtask.merge(KeyGroupRangeAssignment.assignKeyToParallelOperator(stream, maxParallelism, parallelism), 1,
                    Integer::sum);
        }
        return "streams per router subtask " + streamsBySubtask.values();
    }
}
