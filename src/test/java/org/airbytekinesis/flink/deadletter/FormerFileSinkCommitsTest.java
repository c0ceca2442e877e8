package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.sink.FileSinkCommittable;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A savepoint of a job whose dead letters went through Flink's FileSink holds its pending
 * files; the dead-letter directory sink reads them with FileSink's serializer and finishes them
 * as FileSink would have. FileSink's committer's context is not used, hence the nulls below.
 */
class FormerFileSinkCommitsTest {
    @TempDir
    Path dir;

    @Test
    void pendingFilesOfTheFormerFileSinkAreReadFromTheSavepointAndFinishedUnderTheirFinalNames() throws Exception {
        FileSink<String> formerSink = FileSink
                .forRowFormat(new org.apache.flink.core.fs.Path(dir.toUri()), new SimpleStringEncoder<String>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .build();
        List<FileSinkCommittable> pending = committablesAtACheckpoint(formerSink, "{\"line\":1}", "{\"line\":2}");
        assertEquals(List.of(), visibleLines(), "pending files are hidden until committed");

        SimpleVersionedSerializer<FileSinkCommittable> formerSerializer = formerSink.getCommittableSerializer();
        DeadLetterFileSink sink = new DeadLetterFileSink(dir.toUri().toString());
        SimpleVersionedSerializer<FileSinkCommittable> serializer = sink.getCommittableSerializer();
        assertEquals(formerSerializer.getVersion(), serializer.getVersion());
        List<Committer.CommitRequest<FileSinkCommittable>> requests = new ArrayList<>();
        for (FileSinkCommittable committable : pending) {
            byte[] inSavepoint = formerSerializer.serialize(committable);
            FileSinkCommittable restored = serializer.deserialize(formerSerializer.getVersion(), inSavepoint);
            assertArrayEquals(inSavepoint, serializer.serialize(restored), "written again as FileSink wrote it");
            requests.add(new Request(restored));
        }

        try (Committer<FileSinkCommittable> committer = sink.createCommitter(null)) {
            committer.commit(requests);
        }
        assertEquals(List.of("{\"line\":1}", "{\"line\":2}"), visibleLines());
        for (Committer.CommitRequest<FileSinkCommittable> request : requests) {
            assertFalse(((Request) request).failed, "no commit failed");
        }
    }

    /** FileSink's parts need a file system with recoverable writers; none is asked for without a file to finish. */
    @Test
    void aDirectoryOnAFileSystemWithoutRecoverableWritersIsFineWhileNoFormerFileTurnsUp() throws Exception {
        DeadLetterFileSink sink = new DeadLetterFileSink("unsupported-scheme://bucket/dead-letters");
        sink.getCommittableSerializer();
        try (Committer<FileSinkCommittable> committer = sink.createCommitter(null)) {
            committer.commit(List.of());
        }
    }

    /** The committables the former FileSink's writer hands its committer at checkpoint 1. */
    private static List<FileSinkCommittable> committablesAtACheckpoint(FileSink<String> sink, String... lines) throws Exception {
        List<FileSinkCommittable> committables = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<String, CommittableMessage<FileSinkCommittable>> harness =
                new OneInputStreamOperatorTestHarness<>(new SinkWriterOperatorFactory<>(sink))) {
            harness.open();
            for (String line : lines) {
                harness.processElement(line, 0);
            }
            harness.prepareSnapshotPreBarrier(1);
            for (CommittableMessage<FileSinkCommittable> message : harness.extractOutputValues()) {
                if (message instanceof CommittableWithLineage) {
                    committables.add(((CommittableWithLineage<FileSinkCommittable>) message).getCommittable());
                }
            }
        }
        return committables;
    }

    /** Lines of the files a reader sees (not hidden), in order. */
    private List<String> visibleLines() throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .collect(Collectors.toList())) {
                lines.addAll(Files.readAllLines(file));
            }
        }
        return lines;
    }

    private static final class Request implements Committer.CommitRequest<FileSinkCommittable> {
        private final FileSinkCommittable committable;
        boolean failed;

        Request(FileSinkCommittable committable) {
            this.committable = committable;
        }

        @Override
        public FileSinkCommittable getCommittable() {
            return committable;
        }

        @Override
        public int getNumberOfRetries() {
            return 0;
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            failed = true;
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            failed = true;
        }

        @Override
        public void retryLater() {
            failed = true;
        }

        @Override
        public void updateAndRetryLater(FileSinkCommittable committable) {
            failed = true;
        }

        @Override
        public void signalAlreadyCommitted() {}
    }
}
