package org.airbytekinesis.flink.source;

import static org.airbytekinesis.flink.source.WatchedDirectoryEnumeratorTest.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.source.WatchedDirectoryEnumeratorTest.Watch;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.FileSourceSplitSerializer;
import org.apache.flink.connector.file.src.PendingSplitsCheckpoint;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The enumerator's own state format, and the state of the FileSource-based watched source it replaced. */
class WatchedDirectoryStateSerializerTest {
    private static final WatchedDirectoryStateSerializer SERIALIZER =
            new WatchedDirectoryStateSerializer(FileSourceSplitSerializer.INSTANCE);

    @TempDir
    java.nio.file.Path dir;

    @Test
    void stateSurvivesItsSerializer() throws IOException {
        FileSourceSplit plain = new FileSourceSplit("watch-7", new Path("file:/in/a.jsonl"), 0, 12, 1_700_000_000_123L, 12, "h1");
        FileSourceSplit read = new FileSourceSplit("0000000003", new Path("s3://bucket/in/ä b.jsonl"), 0, 99, 5, 99,
                new String[0], new CheckpointedPosition(CheckpointedPosition.NO_OFFSET, 17));
        Map<Path, FileVersion> files = new LinkedHashMap<>();
        files.put(new Path("file:/in/a.jsonl"), new FileVersion(1_700_000_000_123L, 12));
        files.put(new Path("s3://bucket/in/ä b.jsonl"), FileVersion.UNKNOWN);
        files.put(new Path("file:/in/empty.jsonl"), new FileVersion(0, 0));

        WatchedDirectoryState copy = SERIALIZER.deserialize(SERIALIZER.getVersion(),
                SERIALIZER.serialize(new WatchedDirectoryState(List.of(plain, read), files, 42)));

        assertEquals(2, copy.unassigned().size());
        assertSplitEquals(plain, copy.unassigned().get(0));
        assertSplitEquals(read, copy.unassigned().get(1));
        assertEquals(files, copy.handedOut());
        assertTrue(copy.handedOut().get(new Path("s3://bucket/in/ä b.jsonl")).isUnknown());
        assertEquals(42, copy.splitsMade());
        assertEquals(0, SERIALIZER.deserialize(100, SERIALIZER.serialize(WatchedDirectoryState.EMPTY)).handedOut().size());
    }

    @Test
    void unknownVersionsAndDamagedBytesAreErrors() throws IOException {
        byte[] bytes = SERIALIZER.serialize(new WatchedDirectoryState(List.of(),
                Map.of(new Path("file:/in/a.jsonl"), new FileVersion(1, 2)), 1));
        IOException unknown = assertThrows(IOException.class, () -> SERIALIZER.deserialize(2, bytes));
        assertTrue(unknown.getMessage().contains("unknown version 2"), unknown.getMessage());
        assertThrows(IOException.class, () -> SERIALIZER.deserialize(100, Arrays.copyOf(bytes, bytes.length + 1)));
        assertThrows(IOException.class, () -> SERIALIZER.deserialize(100, Arrays.copyOf(bytes, bytes.length - 1)));
    }

    /**
     * The old job's enumerator (Flink's, over the same files) had handed out two files and still
     * held the third when its checkpoint was taken. Since then one of the two was deleted and the
     * other replaced.
     */
    @Test
    void theOldWatchedSourcesStateIsReadItsPathsCountAsReadAndLaterDeliveriesAreRead() throws Exception {
        java.nio.file.Path watched = Files.createDirectories(dir.resolve("incoming"));
        deliver(watched, "x.jsonl", "x\n", FileTime.fromMillis(1_000_000));
        deliver(watched, "y.jsonl", "y\n", FileTime.fromMillis(1_000_000));
        deliver(watched, "p.jsonl", "p\n", FileTime.fromMillis(1_000_000));
        Watch<PendingSplitsCheckpoint<FileSourceSplit>> old = Watch.of(oldSource(watched), 0);
        SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>> oldEnumerator = old.enumerator;
        List<FileSourceSplit> oldRead = List.of(take(old, 0), take(old, 0));
        PendingSplitsCheckpoint<FileSourceSplit> checkpoint = oldEnumerator.snapshotState(7);
        assertEquals(1, checkpoint.getSplits().size());
        assertEquals(3, checkpoint.getAlreadyProcessedPaths().size());
        String pending = checkpoint.getSplits().iterator().next().path().getName();
        byte[] version1 = oldSource(watched).getEnumeratorCheckpointSerializer().serialize(checkpoint);
        assertEquals(1, oldSource(watched).getEnumeratorCheckpointSerializer().getVersion());
        java.nio.file.Path gone = watched.resolve(oldRead.get(0).path().getName());
        java.nio.file.Path replaced = watched.resolve(oldRead.get(1).path().getName());
        Files.delete(gone);
        deliver(watched, replaced.getFileName().toString(), "replaced\n", FileTime.fromMillis(2_000_000));

        Source<InputLine, FileSourceSplit, ?> source = newSource(watched);
        assertSame(FileSourceSplitSerializer.INSTANCE, source.getSplitSerializer(), "the readers' state stays readable");
        assertEquals(Boundedness.CONTINUOUS_UNBOUNDED, source.getBoundedness());
        Watch<?> restored = Watch.restoring(source, 1, version1, 0);
        restored.list();
        assertEquals(List.of(pending), names(restored.takeAll(0)),
                "the pending split is read; the replaced file is not, as the old job may have read it in this version");
        restored.list();
        assertEquals(List.of(), restored.takeAll(0));

        deliver(watched, replaced.getFileName().toString(), "replaced again\n", FileTime.fromMillis(3_000_000));
        deliver(watched, gone.getFileName().toString(), "back\n", FileTime.fromMillis(3_000_000));
        restored.list();
        assertEquals(names(oldRead), names(restored.takeAll(0)), "a redelivery, and the deleted file was forgotten");
    }

    private static FileSourceSplit take(Watch<?> watch, int reader) {
        watch.enumerator.handleSplitRequest(reader, null);
        return watch.context.take(reader).get(0);
    }

    /** The watched source as it was built before: Flink's FileSource, monitoring continuously. */
    private static FileSource<InputLine> oldSource(java.nio.file.Path watched) {
        return FileSource.forBulkFileFormat(new AirbyteLineFormat("run"), new Path(watched.toUri()))
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(p -> InputFiles.isVisible(p.getName())))
                .monitorContinuously(Duration.ofSeconds(10))
                .build();
    }

    private static Source<InputLine, FileSourceSplit, ?> newSource(java.nio.file.Path watched) {
        return InputFiles.watchingSource(List.of(watched.toUri().toString()), "run", Duration.ofSeconds(10));
    }

    private static void deliver(java.nio.file.Path watched, String name, String content, FileTime modified) throws IOException {
        java.nio.file.Path partial = watched.resolve(name + ".tmp");
        Files.write(partial, content.getBytes(StandardCharsets.UTF_8));
        Files.setLastModifiedTime(partial, modified);
        Files.move(partial, watched.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void assertSplitEquals(FileSourceSplit expected, FileSourceSplit actual) {
        assertEquals(expected.splitId(), actual.splitId());
        assertEquals(expected.path(), actual.path());
        assertEquals(expected.offset(), actual.offset());
        assertEquals(expected.length(), actual.length());
        assertEquals(expected.fileModificationTime(), actual.fileModificationTime());
        assertEquals(expected.fileSize(), actual.fileSize());
        assertEquals(Arrays.asList(expected.hostnames()), Arrays.asList(actual.hostnames()));
        assertEquals(expected.getReaderPosition(), actual.getReaderPosition());
    }
}
