package org.airbytekinesis.flink.deadletter;

import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Where dead letters go: JSONL files in a directory ({@link DeadLetterFileSink}), or a Kinesis
 * stream. Either way a checkpoint completes only once they are stored (and, in a directory,
 * visible under their final names), which the STATE releaser relies on. A failure after that
 * flush but before the checkpoint completes writes them again after the restore: dead letters
 * are at-least-once, like the records.
 */
public final class DeadLetterOutputs {
    public static final String UID = "dead-letter-sink";

    private DeadLetterOutputs() {}

    /** Wires the dead letters to their destination. */
    public interface DeadLetterOutput {
        void attach(DataStream<DeadLetter> deadLetters);
    }

    /** For {@code onBadInput: fail}, where bad input stops the run and no dead letter is made. */
    public static DeadLetterOutput none() {
        return deadLetters -> {};
    }

    /**
     * Files {@code dead-letter-*.jsonl} in {@code directory}; each appears whole under its final
     * name before the checkpoint after its lines completes.
     */
    public static DeadLetterOutput directory(String directory) {
        return deadLetters -> deadLetters
                .sinkTo(directorySink(directory))
                .uid(UID)
                .name("Dead letters to " + directory);
    }

    /** The sink of {@link #directory}. */
    public static Sink<DeadLetter> directorySink(String directory) {
        return new DeadLetterFileSink(directory);
    }

    /**
     * Records in a Kinesis stream, through the given sink (one that flushes on checkpoint); a dead
     * letter too large for one record is cut to fit ({@link KinesisDeadLetter}).
     */
    public static DeadLetterOutput kinesis(String stream, Sink<KinesisEnvelope> sink, int maxRecordSizeBytes) {
        return deadLetters -> deadLetters
                .map(new ToEnvelope(stream, maxRecordSizeBytes))
                .name("Dead letter to Kinesis envelope")
                .sinkTo(sink)
                .uid(UID)
                .name("Dead letters to Kinesis " + stream);
    }

    private static final class ToEnvelope implements MapFunction<DeadLetter, KinesisEnvelope> {
        private static final long serialVersionUID = 1L;
        private final String stream;
        private final int maxRecordSizeBytes;

        ToEnvelope(String stream, int maxRecordSizeBytes) {
            this.stream = stream;
            this.maxRecordSizeBytes = maxRecordSizeBytes;
        }

        @Override
        public KinesisEnvelope map(DeadLetter deadLetter) {
            return KinesisDeadLetter.envelope(stream, deadLetter, maxRecordSizeBytes);
        }
    }
}
