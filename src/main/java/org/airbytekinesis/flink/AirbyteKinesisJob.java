package org.airbytekinesis.flink;

import java.util.Map;
import java.util.function.Function;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.routing.StreamRouter;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.InputLine;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * The pipeline, without its wiring: input lines are turned into Kinesis envelopes, keyed by
 * Kinesis stream, and routed through one side output per stream to that stream's own sink.
 * {@code main} passes the real file source and Kinesis sinks; tests pass bounded sources and
 * collecting sinks.
 */
public final class AirbyteKinesisJob {
    public static final String SOURCE_UID = "airbyte-input";
    public static final String ENVELOPE_UID = "record-envelope";
    public static final String ROUTER_UID = "stream-router";
    public static final String SINK_UID_PREFIX = "kinesis-sink-";

    private AirbyteKinesisJob() {}

    /**
     * @param lines the input lines (source already named and uid'ed by the caller)
     * @param sinkForStream the sink of each Kinesis stream, by stream name
     */
    public static void defineWorkflow(
            DataStream<InputLine> lines,
            StreamRoutes routes,
            DataFormat dataFormat,
            Function<String, Sink<KinesisEnvelope>> sinkForStream) {
        Map<String, OutputTag<KinesisEnvelope>> sideOutputs =
                StreamRouter.sideOutputs(routes.kinesisStreams().values());

        SingleOutputStreamOperator<KinesisEnvelope> routed = lines
                .flatMap(new RecordEnveloper(routes, dataFormat))
                .uid(ENVELOPE_UID)
                .name("Airbyte record to Kinesis envelope")
                .keyBy(envelope -> envelope.kinesisStream)
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
    }
}
