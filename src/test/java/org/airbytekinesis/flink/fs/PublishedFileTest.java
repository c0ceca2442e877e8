package org.airbytekinesis.flink.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PublishedFile on the local file system, and on a local disk that declares itself an object store. */
class PublishedFileTest {
    private static final byte[] CONTENT = {'{', '"', 'a', '"', ':', '1', '}', '\n', (byte) 0xFF, 0, '\r', '\n'};

    @TempDir
    Path dir;

    @Test
    void nothingIsUnderTheFinalNameBeforePublishAndAfterItTheContentIsExactAndTheHiddenFileGone() throws Exception {
        Path target = dir.resolve("out.jsonl");
        PublishedFile file = PublishedFile.create(flinkPath(target), false);
        file.write(CONTENT, 0, 8);
        file.stream().write(CONTENT, 8, CONTENT.length - 8);
        assertEquals(CONTENT.length, file.bytesWritten());
        assertEquals(List.of(".out.jsonl.inprogress"), names(), "written under a hidden name");
        assertFalse(Files.exists(target));

        file.publish();
        assertTrue(file.isPublished());
        assertEquals(List.of("out.jsonl"), names());
        assertArrayEquals(CONTENT, Files.readAllBytes(target));
    }

    @Test
    void aLargeFileIsPublishedWholeBeyondTheWriteBuffer() throws Exception {
        Path target = dir.resolve("large.bin");
        byte[] chunk = new byte[100_003];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31);
        }
        PublishedFile file = PublishedFile.create(flinkPath(target), false);
        for (int i = 0; i < 7; i++) {
            file.write(chunk, 0, chunk.length);
        }
        assertFalse(Files.exists(target));
        file.publish();
        byte[] written = Files.readAllBytes(target);
        assertEquals(7L * chunk.length, written.length);
        assertArrayEquals(chunk, java.util.Arrays.copyOfRange(written, 6 * chunk.length, 7 * chunk.length));
    }

    @Test
    void anExistingFileIsReplacedOnlyWhenReplacingWasAskedFor() throws Exception {
        Path target = Files.writeString(dir.resolve("state.json"), "old");

        assertThrows(FileAlreadyExistsException.class, () -> PublishedFile.create(flinkPath(target), false));
        assertEquals("old", Files.readString(target));

        PublishedFile file = PublishedFile.create(flinkPath(target), true);
        file.write("new".getBytes(StandardCharsets.UTF_8), 0, 3);
        assertEquals("old", Files.readString(target), "the old file stays until publish");
        file.publish();
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aFileThatAppearedUnderTheFinalNameMeanwhileIsKeptAndPublishingFailsWhenNotReplacing() throws Exception {
        Path target = dir.resolve("out.jsonl");
        PublishedFile file = PublishedFile.create(flinkPath(target), false);
        file.write(CONTENT, 0, CONTENT.length);
        Files.writeString(target, "someone else's");

        assertThrows(FileAlreadyExistsException.class, file::publish);
        assertEquals("someone else's", Files.readString(target));
        file.discard();
        assertEquals(List.of("out.jsonl"), names(), "the unpublished file is gone after discard");
    }

    @Test
    void discardLeavesNothingBehindAndKeepsAPublishedFile() throws Exception {
        PublishedFile discarded = PublishedFile.create(flinkPath(dir.resolve("a.jsonl")), false);
        discarded.write(CONTENT, 0, CONTENT.length);
        discarded.discard();
        discarded.discard();
        assertEquals(List.of(), names());
        assertThrows(IOException.class, () -> discarded.write(CONTENT, 0, 1));
        assertThrows(IllegalStateException.class, discarded::publish);

        PublishedFile published = PublishedFile.create(flinkPath(dir.resolve("b.jsonl")), false);
        published.write(CONTENT, 0, CONTENT.length);
        published.publish();
        published.discard();
        assertEquals(List.of("b.jsonl"), names());
        assertThrows(IOException.class, () -> published.write(CONTENT, 0, 1), "no writing after publish");
    }

    @Test
    void closingTheStreamDoesNotEndTheFile() throws Exception {
        Path target = dir.resolve("c.txt");
        PublishedFile file = PublishedFile.create(flinkPath(target), false);
        try (OutputStream out = file.stream()) {
            out.write('x');
        }
        file.stream().write('y');
        assertFalse(Files.exists(target));
        file.publish();
        assertEquals("xy", Files.readString(target));
    }

    @Test
    void onAnObjectStoreTheFileIsWrittenUnderItsFinalNameWithoutAHiddenCopy() throws Exception {
        Path target = dir.resolve("object.jsonl");
        org.apache.flink.core.fs.Path objectPath =
                new org.apache.flink.core.fs.Path(ObjectStoreLikeFileSystem.SCHEME + "://" + target.toAbsolutePath());
        PublishedFile file = PublishedFile.create(objectPath, false);
        assertEquals(objectPath, file.writtenPath());
        file.write(CONTENT, 0, CONTENT.length);
        assertEquals(List.of("object.jsonl"), names(), "no in-progress name: the object appears when its upload completes");
        file.publish();
        assertArrayEquals(CONTENT, Files.readAllBytes(target));

        assertThrows(FileAlreadyExistsException.class, () -> PublishedFile.create(objectPath, false));
        PublishedFile replacement = PublishedFile.create(objectPath, true);
        replacement.write(CONTENT, 0, 2);
        replacement.publish();
        assertArrayEquals(new byte[] {'{', '"'}, Files.readAllBytes(target));

        org.apache.flink.core.fs.Path otherPath =
                new org.apache.flink.core.fs.Path(ObjectStoreLikeFileSystem.SCHEME + "://" + dir.resolve("other.jsonl").toAbsolutePath());
        PublishedFile discarded = PublishedFile.create(otherPath, false);
        discarded.write(CONTENT, 0, CONTENT.length);
        discarded.discard();
        assertEquals(List.of("object.jsonl"), names(), "a discarded object is deleted");
    }

    private static org.apache.flink.core.fs.Path flinkPath(Path path) {
        return new org.apache.flink.core.fs.Path(path.toUri());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
