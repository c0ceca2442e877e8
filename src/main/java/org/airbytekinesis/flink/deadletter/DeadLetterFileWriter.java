package org.airbytekinesis.flink.deadletter;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.airbytekinesis.flink.fs.PublishedFile;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.connector.file.sink.FileSinkCommittable;
import org.apache.flink.core.fs.Path;

/**
 * Writes dead letters, one JSON line each, to a new file of the dead-letter directory and
 * publishes it in {@link #flush}: Flink flushes a sink writer before it passes on each
 * checkpoint barrier and at the end of the input, so when a checkpoint completes, the dead
 * letters before its barrier are in files under their final names. The STATE releaser relies on
 * that. Nothing is kept in Flink state: a published file needs nothing more, and the lines of
 * an unpublished one are read again after a restore. It hands the sink's committer nothing: that
 * one is there only for what the former FileSink left in savepoints ({@link FormerFileSinkCommits}).
 */
final class DeadLetterFileWriter implements CommittingSinkWriter<DeadLetter, FileSinkCommittable> {
    private final Path directory;
    private final int subtask;
    /** The file being written; null until the first dead letter after a flush, so no file is empty. */
    private PublishedFile file;

    DeadLetterFileWriter(Path directory, int subtask) {
        this.directory = directory;
        this.subtask = subtask;
    }

    @Override
    public void write(DeadLetter deadLetter, Context context) throws IOException {
        if (file == null) {
            file = PublishedFile.create(new Path(directory, DeadLetterFileNames.next(subtask)), false);
        }
        byte[] line = DeadLetterJson.toJsonLine(deadLetter);
        file.write(line, 0, line.length);
        file.stream().write('\n');
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
        if (file != null) {
            file.publish();
            file = null;
        }
    }

    @Override
    public Collection<FileSinkCommittable> prepareCommit() {
        return List.of();
    }

    /** A file not published yet belongs to an attempt that ends without a checkpoint covering it. */
    @Override
    public void close() {
        if (file != null) {
            file.discard();
            file = null;
        }
    }
}
