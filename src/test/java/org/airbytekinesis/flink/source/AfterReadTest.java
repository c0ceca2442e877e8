package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.Locations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AfterReadTest {
    @TempDir
    Path dir;

    private static String uri(Path path) {
        return Locations.resolve(path.toString());
    }

    @Test
    void leaveIsTheDefaultAndTouchesNothing() throws IOException {
        Path file = Files.writeString(dir.resolve("a.jsonl"), "x");
        AfterRead.leave().inputCompleted(new org.apache.flink.core.fs.Path(file.toUri()).toString());
        assertTrue(Files.exists(file));
        assertEquals("leave", AfterRead.parse("LEAVE", "--after-read", List.of()).toString());
    }

    @Test
    void deleteRemovesTheFileAndAFileAlreadyGoneIsNoError() throws IOException {
        Path file = Files.writeString(dir.resolve("a.jsonl"), "x");
        AfterRead delete = AfterRead.parse("delete", "--after-read", List.of(uri(dir)));
        String fileUri = new org.apache.flink.core.fs.Path(file.toUri()).toString();
        delete.inputCompleted(fileUri);
        assertFalse(Files.exists(file));
        delete.inputCompleted(fileUri); // released again after a restore
    }

    @Test
    void moveKeepsThePathUnderItsInputAndNeverReplacesAnArchivedFile() throws IOException {
        Path inbox = Files.createDirectories(dir.resolve("inbox/day"));
        Path archive = dir.resolve("archive");
        AfterRead move = AfterRead.parse("move:" + archive, "--after-read", List.of(uri(dir.resolve("inbox"))));
        for (int delivery = 0; delivery < 3; delivery++) {
            Path file = Files.writeString(inbox.resolve("users.jsonl"), "delivery " + delivery);
            move.inputCompleted(new org.apache.flink.core.fs.Path(file.toUri()).toString());
        }
        assertEquals("delivery 0", Files.readString(archive.resolve("day/users.jsonl")));
        assertEquals("delivery 1", Files.readString(archive.resolve("day/users.jsonl.1")));
        assertEquals("delivery 2", Files.readString(archive.resolve("day/users.jsonl.2")));
        assertFalse(Files.exists(inbox.resolve("users.jsonl")));
    }

    @Test
    void anExplicitlyGivenFileIsMovedUnderItsName() throws IOException {
        Path file = Files.writeString(dir.resolve("single.jsonl"), "x");
        AfterRead move = AfterRead.parse("move:" + dir.resolve("done"), "--after-read", List.of(uri(file)));
        move.inputCompleted(new org.apache.flink.core.fs.Path(file.toUri()).toString());
        assertEquals("x", Files.readString(dir.resolve("done/single.jsonl")));
    }

    @Test
    void badFormsAndArchivesThatWouldBeReadAgainAreRefusedNamingTheOption() {
        List<String> inputs = List.of(uri(dir.resolve("inbox")));
        assertEquals("--after-read must be leave, delete or move:DIR, got \"archive\"",
                assertThrows(SetupException.class, () -> AfterRead.parse("archive", "--after-read", inputs)).getMessage());
        assertEquals("--after-read must be leave, delete or move:DIR, got \"move:\"",
                assertThrows(SetupException.class, () -> AfterRead.parse("move:", "--after-read", inputs)).getMessage());
        String inside = assertThrows(SetupException.class,
                () -> AfterRead.parse("move:" + dir.resolve("inbox/done"), "--after-read", inputs)).getMessage();
        assertTrue(inside.contains("the archive must be outside the input"), inside);
        String otherFileSystem = assertThrows(SetupException.class,
                () -> AfterRead.parse("move:s3://bucket/done/", "--after-read", inputs)).getMessage();
        assertTrue(otherFileSystem.contains("must be on the file system of the input"), otherFileSystem);
        String stdin = assertThrows(SetupException.class, () -> AfterRead.parse("delete", "--after-read", List.of())).getMessage();
        assertTrue(stdin.contains("is for file inputs"), stdin);
        String socket = assertThrows(SetupException.class,
                () -> AfterRead.parse("delete", "--after-read", List.of("tcp://localhost:9000"))).getMessage();
        assertTrue(socket.contains("is for file inputs"), socket);
    }
}
