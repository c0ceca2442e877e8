package org.airbytekinesis.flink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LocationsTest {
    @Test
    void plainPathsAndFileUrisAreLocalOtherFileSystemsAreNot() {
        assertTrue(Locations.isLocal("/data/input.jsonl"));
        assertTrue(Locations.isLocal("data/input.jsonl"));
        assertTrue(Locations.isLocal("file:///data/input.jsonl"));
        assertTrue(Locations.isLocal("file:/data/input.jsonl"));
        assertFalse(Locations.isLocal("s3://bucket/input.jsonl"));
        assertFalse(Locations.isLocal("hdfs://namenode:8020/input.jsonl"));
    }

    @Test
    void theLocalPathOfAFileUriIsItsPathAndOtherFileSystemsHaveNone() {
        assertEquals(Path.of("/data/input.jsonl"), Locations.localPath("file:///data/input.jsonl"));
        assertEquals(Path.of("/data/input.jsonl"), Locations.localPath("file:/data/input.jsonl"));
        assertEquals(Path.of("data/input.jsonl"), Locations.localPath("data/input.jsonl"));
        assertNull(Locations.localPath("s3://bucket/input.jsonl"));
    }

    @Test
    void aLocalPathResolvesToAnAbsoluteFileUriAndOtherUrisStayAsGiven() {
        assertEquals(Path.of("data/x.jsonl").toAbsolutePath().toUri().toString(), Locations.resolve("data/./x.jsonl"));
        assertEquals("file:///data/x.jsonl", Locations.resolve("file:///data/x.jsonl"));
        assertEquals("s3://bucket/x.jsonl", Locations.resolve("s3://bucket/x.jsonl"));
    }
}
