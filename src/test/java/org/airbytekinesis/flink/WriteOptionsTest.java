package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        assertNull(WriteOptions.parse(base).reporting().summaryJson());
        Path relative = Path.of("target", "summary-" + System.nanoTime() + ".json");

        Path parsed = WriteOptions.parse(with("--summary-json", relative.toString())).reporting().summaryJson();

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

    @Test
    void progressComesEveryTenSecondsByDefaultAtTheGivenIntervalOrNeverWhenQuiet() {
        assertEquals(Duration.ofSeconds(10), WriteOptions.parse(base).reporting().progressInterval());
        assertEquals(Duration.ofMillis(500), WriteOptions.parse(with("--progress-interval", "500ms")).reporting().progressInterval());
        assertEquals(Duration.ZERO, WriteOptions.parse(with("--quiet")).reporting().progressInterval());
    }

    @Test
    void quietWithAProgressIntervalIsAContradictionNamedAsSuch() {
        SetupException e = assertThrows(SetupException.class,
                () -> WriteOptions.parse(with("--quiet", "--progress-interval", "5s")));

        assertTrue(e.getMessage().startsWith("--quiet turns progress off; it cannot go with --progress-interval"), e.getMessage());
    }

    @Test
    void theWebUiPortIsOptionalAndDefaultsToFlinks8081() {
        assertEquals(0, WriteOptions.parse(base).reporting().webUiPort());
        assertEquals(8081, WriteOptions.parse(with("--web-ui")).reporting().webUiPort());
        assertEquals(8081, WriteOptions.parse(with("--web-ui", "--quiet")).reporting().webUiPort(), "an option is not a port");
        assertEquals(18081, WriteOptions.parse(with("--web-ui", "18081")).reporting().webUiPort());
    }

    @Test
    void aWebUiPortOutOfRangeOrNotANumberIsRefusedNamingIt() {
        for (String port : new String[] {"0", "65536", "http"}) {
            SetupException e = assertThrows(SetupException.class, () -> WriteOptions.parse(with("--web-ui", port)));

            assertEquals("--web-ui takes a port from 1 to 65535, got " + port, e.getMessage());
        }
    }
}
