package org.airbytekinesis.flink.routing;

import java.util.LinkedHashMap;
import java.util.Map;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by Kinesis stream and bucket ({@link WriterBuckets}), sends every envelope to its
 * stream's side output, from which that stream's own sink reads (a writer per subtask). The main
 * output stays empty.
 */
public class StreamRouter extends KeyedProcessFunction<String, KinesisEnvelope, KinesisEnvelope> {
    private static final long serialVersionUID = 1L;

    private final Map<String, OutputTag<KinesisEnvelope>> tags;

    public StreamRouter(Map<String, OutputTag<KinesisEnvelope>> tags) {
        this.tags = new LinkedHashMap<>(tags);
    }

    /** One side output per Kinesis stream, keyed by its name. */
    public static Map<String, OutputTag<KinesisEnvelope>> sideOutputs(Iterable<String> kinesisStreams) {
        Map<String, OutputTag<KinesisEnvelope>> tags = new LinkedHashMap<>();
        for (String stream : kinesisStreams) {
            tags.put(stream, new OutputTag<>("kinesis-" + stream, TypeInformation.of(KinesisEnvelope.class)));
        }
        return tags;
    }

    @Override
    public void processElement(KinesisEnvelope envelope, Context ctx, Collector<KinesisEnvelope> out) {
        OutputTag<KinesisEnvelope> tag = tags.get(envelope.kinesisStream);
        if (tag == null) {
            // The enveloper only addresses catalog streams; anything else is a bug, not input.
            throw new IllegalStateException("no side output for Kinesis stream " + envelope.kinesisStream);
        }
        ctx.output(tag, envelope);
    }
}
