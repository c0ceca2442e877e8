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

    private SetupException refused(List<String> args) {
        return assertThrows(SetupException.class, () -> WriteOptions.parse(args));
    }

    @Test
    void everyRefusalNamesTheArgumentAndWhatIsWrong() throws Exception {
        Path input = Files.writeString(dir.resolve("input.jsonl"), "");
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "");
        String usage = "; usage: airbyte-kinesis write";
        String[][] cases = {
                {"--colour", "unknown argument --colour" + usage},
                {"--input", input.toString(), "--watch-interval", "5s", "--watch-interval needs --watch" + usage},
                {"--watch", "--watch needs --input DIR" + usage},
                {"--input", "tcp://localhost:9000", "--input", input.toString(),
                        "--input tcp://HOST:PORT must be the only input" + usage},
                {"--input", "tcp://localhost:9000", "--watch", "--watch is for directories, not for --input tcp://" + usage},
                {"--input", input.toString(), "--bounded",
                        "--bounded is for --input tcp://HOST:PORT (files are always read to their end)" + usage},
                {"--input", dir.resolve("missing.jsonl").toString(),
                        "--input " + dir.resolve("missing.jsonl") + ": no such file or directory"},
                {"--dead-letter", notADirectory.toString(), "--dead-letter " + notADirectory + ": not a directory"},
                {"--checkpoint-interval", "5ms", "--checkpoint-interval must be at least 10ms, got 5ms"},
                {"--checkpoint-interval", "soon", "--checkpoint-interval must be a duration such as 500ms, 10s or 2min, got soon"},
                {"--progress-interval", "--quiet", "--progress-interval needs a value" + usage},
        };
        for (String[] c : cases) {
            List<String> args = with(java.util.Arrays.copyOf(c, c.length - 1));
            String message = refused(args).getMessage();
            assertTrue(message.startsWith(c[c.length - 1]), args + " -> " + message);
        }
    }

    @Test
    void configAndCatalogAreRequiredAndMustBeFiles() {
        assertTrue(refused(List.of("--catalog", "x")).getMessage().startsWith("--config is required; usage:"));
        assertTrue(refused(List.of("--config", base.get(1))).getMessage().startsWith("--catalog is required; usage:"));
        Path missing = dir.resolve("nope.json");
        assertEquals("--config " + missing + ": no such file",
                refused(List.of("--config", missing.toString(), "--catalog", base.get(3))).getMessage());
        assertEquals("--catalog " + dir + ": no such file",
                refused(List.of("--config", base.get(1), "--catalog", dir.toString())).getMessage());
    }

    @Test
    void durationsTakeMillisecondsSecondsMinutesOrPlainMilliseconds() {
        assertEquals(Duration.ofMillis(500), WriteOptions.parseDuration("500ms", "--x"));
        assertEquals(Duration.ofSeconds(10), WriteOptions.parseDuration("10s", "--x"));
        assertEquals(Duration.ofMinutes(2), WriteOptions.parseDuration("2min", "--x"));
        assertEquals(Duration.ofMinutes(3), WriteOptions.parseDuration(" 3M ", "--x"));
        assertEquals(Duration.ofMillis(250), WriteOptions.parseDuration("250", "--x"));
    }
}
