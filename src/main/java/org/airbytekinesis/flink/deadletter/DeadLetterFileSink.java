package org.airbytekinesis.flink.deadletter;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.file.sink.FileSinkCommittable;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The dead-letter directory: JSONL files {@code dead-letter-*.jsonl} that appear whole, under
 * their final names, before the checkpoint after their lines completes (see
 * {@link DeadLetterFileWriter}). Any Flink file system: local, HDFS, S3, ... Its committer
 * only finishes files of the former FileSink output restored from a savepoint
 * ({@link FormerFileSinkCommits}).
 */
public final class DeadLetterFileSink implements Sink<DeadLetter>, SupportsCommitter<FileSinkCommittable> {
    private static final long serialVersionUID = 1L;

    private final String directory;
    private final FormerFileSinkCommits former;

    public DeadLetterFileSink(String directory) {
        this.directory = directory;
        this.former = new FormerFileSinkCommits(directory);
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

    @Override
    public Committer<FileSinkCommittable> createCommitter(CommitterInitContext context) {
        return former.committer(context);
    }

    @Override
    public SimpleVersionedSerializer<FileSinkCommittable> getCommittableSerializer() {
        return former.serializer();
    }
}
