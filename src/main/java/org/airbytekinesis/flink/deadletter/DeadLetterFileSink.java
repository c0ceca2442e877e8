package org.airbytekinesis.flink.deadletter;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.fs.Path;

/**
 * The dead-letter directory: JSONL files {@code dead-letter-*.jsonl} that appear whole, under
 * their final names, before the checkpoint after their lines completes (see
 * {@link DeadLetterFileWriter}). Any Flink file system: local, HDFS, S3, ...
 */
public final class DeadLetterFileSink implements Sink<DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final String directory;

    public DeadLetterFileSink(String directory) {
        this.directory = directory;
    }

    @Override
    @Deprecated
    public SinkWriter<DeadLetter> createWriter(InitContext context) {
        return new DeadLetterFileWriter(new Path(directory), context.getSubtaskId());
    }

    @Override
    public SinkWriter<DeadLetter> createWriter(WriterInitContext context) {
        return new DeadLetterFileWriter(new Path(directory), context.getSubtaskId());
    }
}
