package org.airbytekinesis.flink.deadletter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Collection;
import org.apache.flink.api.common.serialization.Encoder;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.sink.FileSinkCommittable;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pending files of the former dead-letter output, Flink's FileSink under the same uid. Its
 * savepoints and checkpoints hold them in the sink's committer operator ({@code Sink Committer:
 * dead-letter-sink}); a job without that operator refuses to start from them unless told to
 * drop state ({@code --allowNonRestoredState}). So {@link DeadLetterFileSink} keeps a committer,
 * and it finishes those files as FileSink would have (renames them to their final names;
 * FileSink's own committer and serializer do it). The current writer hands it nothing. FileSink's
 * parts, which need the directory's file system to support recoverable writers, are made only
 * when such a file turns up.
 */
final class FormerFileSinkCommits implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FormerFileSinkCommits.class);

    private final String directory;
    private transient FileSink<DeadLetter> fileSink;

    FormerFileSinkCommits(String directory) {
        this.directory = directory;
    }

    SimpleVersionedSerializer<FileSinkCommittable> serializer() {
        return new LazySerializer(this);
    }

    Committer<FileSinkCommittable> committer(CommitterInitContext context) {
        return new LazyCommitter(this, context);
    }

    private FileSink<DeadLetter> fileSink() {
        if (fileSink == null) {
            fileSink = FileSink.forRowFormat(new Path(directory), new JsonLines()).build();
        }
        return fileSink;
    }

    private static final class LazySerializer implements SimpleVersionedSerializer<FileSinkCommittable> {
        private final FormerFileSinkCommits former;
        private SimpleVersionedSerializer<FileSinkCommittable> serializer;

        LazySerializer(FormerFileSinkCommits former) {
            this.former = former;
        }

        private SimpleVersionedSerializer<FileSinkCommittable> serializer() {
            if (serializer == null) {
                serializer = former.fileSink().getCommittableSerializer();
            }
            return serializer;
        }

        @Override
        public int getVersion() {
            return serializer().getVersion();
        }

        @Override
        public byte[] serialize(FileSinkCommittable committable) throws IOException {
            return serializer().serialize(committable);
        }

        @Override
        public FileSinkCommittable deserialize(int version, byte[] serialized) throws IOException {
            return serializer().deserialize(version, serialized);
        }
    }

    private static final class LazyCommitter implements Committer<FileSinkCommittable> {
        private final FormerFileSinkCommits former;
        private final CommitterInitContext context;
        private Committer<FileSinkCommittable> committer;

        LazyCommitter(FormerFileSinkCommits former, CommitterInitContext context) {
            this.former = former;
            this.context = context;
        }

        @Override
        public void commit(Collection<CommitRequest<FileSinkCommittable>> requests) throws IOException, InterruptedException {
            if (requests.isEmpty()) {
                return;
            }
            if (committer == null) {
                committer = former.fileSink().createCommitter(context);
            }
            LOG.info("Finishing {} files of the former dead-letter output (FileSink) restored from a checkpoint or savepoint",
                    requests.size());
            committer.commit(requests);
        }

        @Override
        public void close() throws Exception {
            if (committer != null) {
                committer.close();
            }
        }
    }

    /** FileSink needs an encoder; this one is never asked to write, as no FileSink writer is made. */
    private static final class JsonLines implements Encoder<DeadLetter> {
        private static final long serialVersionUID = 1L;

        @Override
        public void encode(DeadLetter deadLetter, OutputStream stream) throws IOException {
            stream.write(DeadLetterJson.toJsonLine(deadLetter));
            stream.write('\n');
        }
    }
}
