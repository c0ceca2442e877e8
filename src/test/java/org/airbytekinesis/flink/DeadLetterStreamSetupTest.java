package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deadLetterStream} as {@code write} sets it up, through the launcher's own path
 * ({@link WriteOptions#parse} and {@link WriteOptions#plan()}): what it refuses before anything
 * runs, each refusal naming the key and what is wrong, and the plan it makes otherwise.
 */
class DeadLetterStreamSetupTest {
    @TempDir
    Path dir;

    private WritePlan plan(String config, String... more) throws Exception {
        Path configFile = Files.writeString(dir.resolve("config.json"), config);
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":["
                + "{\"stream\":{\"name\":\"users\"},\"destination_sync_mode\":\"append\"},"
                + "{\"stream\":{\"name\":\"orders\",\"namespace\":\"shop\"},\"destination_sync_mode\":\"overwrite\"}]}");
        List<String> args = new ArrayList<>(List.of("--config", configFile.toString(), "--catalog", catalog.toString(),
                "--input", Files.writeString(dir.resolve("in.jsonl"), "").toString()));
        args.addAll(List.of(more));
        return WriteOptions.parse(args).plan();
    }

    @Test
    void aDeadLetterStreamIsWrittenInAppendModeBesideTheCatalogStreamsAndNoDirectoryIsUsed() throws Exception {
        WritePlan plan = plan("{\"deadLetterStream\":\"dead_letters\"}");

        assertEquals(Map.of("_users", DestinationSyncMode.APPEND, "shop_orders", DestinationSyncMode.OVERWRITE,
                "dead_letters", DestinationSyncMode.APPEND), plan.syncModes());
        assertNull(plan.deadLetterDirectory());
        assertEquals("dead_letters", plan.config().deadLetterStream().orElseThrow());
    }

    @Test
    void aNameKinesisWouldRefuseIsRefusedBeforeTheRunNamingTheKeyAndTheName() {
        for (String name : List.of("dead letters", "dead/letters", "", "x".repeat(129))) {
            SetupException e = assertThrows(SetupException.class,
                    () -> plan("{\"deadLetterStream\":\"" + name + "\"}"), name);

            assertEquals("config: deadLetterStream must be a Kinesis stream name (1 to 128 of a-z, A-Z, 0-9, _ . -),"
                    + " got \"" + name + "\"", e.getMessage());
        }
    }

    @Test
    void theLongestNameKinesisTakesIsTaken() throws Exception {
        String longest = "a.b-C_9" + "x".repeat(121);

        assertEquals(longest, plan("{\"deadLetterStream\":\"" + longest + "\"}").config().deadLetterStream().orElseThrow());
    }

    @Test
    void theKinesisStreamOfACatalogStreamIsRefusedAsTheDeadLetterStreamNamingIt() {
        for (String taken : List.of("_users", "shop_orders")) {
            SetupException e = assertThrows(SetupException.class, () -> plan("{\"deadLetterStream\":\"" + taken + "\"}"));

            assertEquals("config: deadLetterStream " + taken + " is also the Kinesis stream of a catalog stream;"
                    + " dead letters need a stream of their own", e.getMessage());
        }
    }

    @Test
    void aDeadLetterStreamAndADeadLetterDirectoryTogetherAreRefused() {
        SetupException e = assertThrows(SetupException.class, () -> plan("{\"deadLetterStream\":\"dead_letters\"}",
                "--dead-letter", dir.resolve("dead-letter").toString()));

        assertEquals("give either a dead-letter directory or deadLetterStream in the config, not both", e.getMessage());
    }
}
