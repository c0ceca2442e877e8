package org.airbytekinesis.flink;

import java.util.Map;
import java.util.function.Function;
import org.airbytekinesis.flink.deadletter.DeadLetterOutputs;
import org.airbytekinesis.flink.envelope.EnvelopeSettings;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRouter;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.routing.WriterBuckets;
import org.airbytekinesis.flink.source.AfterRead;
import org.airbytekinesis.flink.source.InputLine;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.state.StateReleaser;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * The pipeline, without its wiring: input lines are turned into Kinesis envelopes, keyed by
 * Kinesis stream and bucket ({@link WriterBuckets}), and routed through one side output per
 * stream to that stream's own sink;
 * lines that cannot be delivered go to the dead-letter output; STATE messages go to the
 * releaser, which lets each out once the records and dead letters before it are durable (and
 * ends of input files, which are then deleted or moved when asked). {@code main} passes the real
 * source, Kinesis sinks and stdout; tests pass bounded sources and collecting sinks and outputs.
 */
public final class AirbyteKinesisJob {
    public static final String SOURCE_UID = "airbyte-input";
    public static final String ENVELOPE_UID = "record-envelope";
    public static final String ROUTER_UID = "stream-router";
    public static final String SINK_UID_PREFIX = "kinesis-sink-";
    public static final String STATE_RELEASER_UID = "state-releaser";

    private AirbyteKinesisJob() {}

    /**
     * @param lines the input lines (source already named and uid'ed by the caller)
     * @param sinkForStream the sink of each Kinesis stream, by stream name; it must have
     *     written everything it was given when a checkpoint completes
     * @param stateOutput where released STATE messages go
     * @param deadLetterOutput where lines that cannot be delivered go; like the sinks, it must
     *     have stored what it was given when a checkpoint completes
     */
    public static void defineWorkflow(
            DataStream<InputLine> lines,
            StreamRoutes routes,
            EnvelopeSettings settings,
            Function<String, Sink<KinesisEnvelope>> sinkForStream,
            StateOutput stateOutput,
            DeadLetterOutputs.DeadLetterOutput deadLetterOutput) {
        defineWorkflow(lines, routes, settings, sinkForStream, stateOutput, deadLetterOutput, AfterRead.leave());
    }

    /** @param afterRead what becomes of an input file once its records are all durable */
    public static void defineWorkflow(
            DataStream<InputLine> lines,
            StreamRoutes routes,
            EnvelopeSettings settings,
            Function<String, Sink<KinesisEnvelope>> sinkForStream,
            StateOutput stateOutput,
            DeadLetterOutputs.DeadLetterOutput deadLetterOutput,
            AfterRead afterRead) {
        int parallelism = lines.getExecutionEnvironment().getParallelism();
        defineWorkflow(lines, routes, settings, sinkForStream, stateOutput, deadLetterOutput, afterRead,
                WriterBuckets.onePerStream(routes.kinesisStreams().values(), parallelism, maxParallelism(lines, parallelism)));
    }

    /** The router's maximum parallelism: the job's, or Flink's default for its parallelism. */
    public static int maxParallelism(DataStream<?> lines, int parallelism) {
        int configured = lines.getExecutionEnvironment().getMaxParallelism();
        return configured > 0 ? configured : WriterBuckets.defaultMaxParallelism(parallelism);
    }

    /** @param buckets how many sink writers each stream gets, and the router's key of each */
    public static void defineWorkflow(
            DataStream<InputLine> lines,
            StreamRoutes routes,
            EnvelopeSettings settings,
            Function<String, Sink<KinesisEnvelope>> sinkForStream,
            StateOutput stateOutput,
            DeadLetterOutputs.DeadLetterOutput deadLetterOutput,
            AfterRead afterRead,
            WriterBuckets buckets) {
        Map<String, OutputTag<KinesisEnvelope>> sideOutputs =
                StreamRouter.sideOutputs(routes.kinesisStreams().values());

        // Same parallelism as the input, so each reader's lines stay in one chain, in order: the
        // STATE counts and the STATE order depend on it (a socket is read by one subtask).
        SingleOutputStreamOperator<KinesisEnvelope> envelopes = lines
                .process(new RecordEnveloper(routes, settings))
                .setParallelism(lines.getParallelism())
                .uid(ENVELOPE_UID)
                .name("Airbyte message to Kinesis envelope");

        // Keyed by (stream, bucket): a stream's records spread over its buckets by partition
        // key, each bucket on a subtask of its own, each subtask with its own sink writer.
        SingleOutputStreamOperator<KinesisEnvelope> routed = envelopes
                .keyBy(envelope -> buckets.keyOf(envelope.kinesisStream, envelope.partitionKey))
                .process(new StreamRouter(sideOutputs))
                .uid(ROUTER_UID)
                .name("Route by stream");

        for (Map.Entry<String, OutputTag<KinesisEnvelope>> output : sideOutputs.entrySet()) {
            String kinesisStream = output.getKey();
            routed.getSideOutput(output.getValue())
                    .sinkTo(sinkForStream.apply(kinesisStream))
                    .uid(SINK_UID_PREFIX + kinesisStream)
                    .name("Kinesis " + kinesisStream);
        }

        deadLetterOutput.attach(envelopes.getSideOutput(RecordEnveloper.DEAD_LETTERS));

        // One subtask sees every STATE, so they are released in the order they arrive.
        envelopes.getSideOutput(RecordEnveloper.STATES)
                .global()
                .transform("Release STATE once its records are in Kinesis", Types.VOID, new StateReleaser(stateOutput, afterRead))
                .uid(STATE_RELEASER_UID)
                .setParallelism(1)
                .setMaxParallelism(1);
    }
}
