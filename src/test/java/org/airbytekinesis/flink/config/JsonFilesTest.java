package org.airbytekinesis.flink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.airbytekinesis.flink.SetupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonFilesTest {
    @TempDir
    Path tempDir;

    private Path file(String content) throws Exception {
        Path file = tempDir.resolve("file.json");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    @Test
    void aFileThatMayBeQuotedSaysWhatJacksonFoundWrongAndWhere() throws Exception {
        Path file = file("{\"streams\":\n  [unquoted]}");
        SetupException e = assertThrows(SetupException.class, () -> JsonFiles.read(file, "catalog", true));
        assertTrue(e.getMessage().startsWith("catalog " + file + ": not valid JSON at line 2, column "), e.getMessage());
        assertTrue(e.getMessage().contains("unquoted"), e.getMessage());
    }

    @Test
    void aFileThatMayHoldSecretsSaysOnlyWhere() throws Exception {
        Path file = file("{\"privateKey\":hunter2sekrit}");
        SetupException e = assertThrows(SetupException.class, () -> JsonFiles.read(file, "config", false));
        assertTrue(e.getMessage().startsWith("config " + file + ": not valid JSON at line 1, column "), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void aValidFileIsItsJson() throws Exception {
        assertEquals(3, JsonFiles.read(file("{\"a\":[1,2,3]}"), "catalog", true).get("a").size());
    }
}
