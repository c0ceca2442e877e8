package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteOptionsTest {
    @TempDir
    Path dir;

    private List<String> base;

    @BeforeEach
    void files() throws Exception {
        Path config = Files.writeString(dir.resolve("config.json"), "{}");
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[]}");
        base = List.of("--config", config.toString(), "--catalog", catalog.toString());
    }

    private List<String> with(String... more) {
        List<String> args = new ArrayList<>(base);
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void summaryJsonIsAnAbsoluteFileAndAbsentByDefault() {
        assertNull(WriteOptions.parse(base).summaryJson());
        Path relative = Path.of("target", "summary-" + System.nanoTime() + ".json");

        Path parsed = WriteOptions.parse(with("--summary-json", relative.toString())).summaryJson();

        assertEquals(relative.toAbsolutePath(), parsed);
    }

    @Test
    void summaryJsonInADirectoryThatDoesNotExistFailsBeforeTheRunNamingTheDirectory() {
        Path missing = dir.resolve("no-such-dir").resolve("summary.json");

        SetupException e = assertThrows(SetupException.class,
                () -> WriteOptions.parse(with("--summary-json", missing.toString())));

        assertTrue(e.getMessage().startsWith("--summary-json "), e.getMessage());
        assertTrue(e.getMessage().contains("no such directory " + missing.getParent()), e.getMessage());
    }

    @Test
    void summaryJsonThatIsADirectoryFailsSayingSo() {
        SetupException e = assertThrows(SetupException.class,
                () -> WriteOptions.parse(with("--summary-json", dir.toString())));

        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void summaryJsonWithoutAValueFailsWithTheUsage() {
        SetupException e = assertThrows(SetupException.class, () -> WriteOptions.parse(with("--summary-json")));

        assertTrue(e.getMessage().startsWith("--summary-json needs a value; usage: airbyte-kinesis write"), e.getMessage());
        assertTrue(e.getMessage().contains("[--summary-json FILE]"), e.getMessage());
    }
}
