package org.airbytekinesis.flink.deadletter;

import java.io.IOException;
import java.io.OutputStream;
import org.airbytekinesis.flink.BadInputException;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.apache.flink.api.common.serialization.Encoder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;

/**
 * Where dead letters go: JSONL files in a directory (through Flink's FileSink, whose files are
 * part of the checkpoints and so survive restarts), or a Kinesis stream. Either way a
 * checkpoint completes only once they are stored, which the STATE releaser relies on.
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
     * Files {@code dead-letter-<part>.jsonl} in {@code directory}; a file is finished (renamed
     * from its in-progress name) when the checkpoint after its lines completes.
     */
    public static DeadLetterOutput directory(String directory) {
        return deadLetters -> deadLetters
                .sinkTo(FileSink.forRowFormat(new Path(directory), new JsonLineEncoder())
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .withRollingPolicy(OnCheckpointRollingPolicy.build())
                        .withOutputFileConfig(OutputFileConfig.builder()
                                .withPartPrefix("dead-letter")
                                .withPartSuffix(".jsonl")
                                .build())
                        .build())
                .uid(UID)
                .name("Dead letters to " + directory);
    }

    /** Records in a Kinesis stream, through the given sink (one that flushes on checkpoint). */
    public static DeadLetterOutput kinesis(String stream, Sink<KinesisEnvelope> sink, int maxRecordSizeBytes) {
        return deadLetters -> deadLetters
                .map(new ToEnvelope(stream, maxRecordSizeBytes))
                .name("Dead letter to Kinesis envelope")
                .sinkTo(sink)
                .uid(UID)
                .name("Dead letters to Kinesis " + stream);
    }

    private static final class JsonLineEncoder implements Encoder<DeadLetter> {
        private static final long serialVersionUID = 1L;

        @Override
        public void encode(DeadLetter deadLetter, OutputStream stream) throws IOException {
            stream.write(DeadLetterJson.toJsonLine(deadLetter));
            stream.write('\n');
        }
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
            // The partition key spreads dead letters over shards; source and line identify them.
            String key = deadLetter.source + ":" + deadLetter.lineNumber;
            key = key.length() > 256 ? key.substring(key.length() - 256) : key;
            byte[] json = DeadLetterJson.toJsonLine(deadLetter);
            if (json.length + key.length() > maxRecordSizeBytes) {
                // It cannot be kept byte-exact in the stream: stop loudly rather than cut it.
                throw new BadInputException(deadLetter.source, deadLetter.lineNumber, deadLetter.reason
                        + ", and the line is too large for the dead-letter stream " + stream + " (" + json.length
                        + " bytes as a dead letter); use a dead-letter directory (--dead-letter) for such input");
            }
            return new KinesisEnvelope(stream, key, json);
        }
    }
}
