package org.airbytekinesis.flink.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * With {@code deadLetterStream}, a record too large for Kinesis is stored as a cut dead letter
 * in that stream and the run goes on: the records and the STATE after it arrive too. Against
 * kinesalite, through the {@code write} command, with the default 1 MiB record limit.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeadLetterStreamITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 1024 * 1024;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path dir;

    @Test
    void aRecordTooLargeForKinesisIsACutDeadLetterInTheDeadLetterStreamAndTheRunGoesOn() throws Exception {
        String text = "text é€😀 ".repeat(80_000);
        byte[] tooLarge = record(1, "{\"text\":\"" + text + "\"}");
        assertTrue(tooLarge.length > LIMIT + 100_000, tooLarge.length + " bytes");
        Path input = dir.resolve("in.jsonl");
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] line : List.of(record(1, "{\"n\":1}"), state(1), tooLarge, record(3, "{\"n\":3}"), state(2))) {
            content.write(line);
            content.write('\n');
        }
        Files.write(input, content.toByteArray());
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"events\"},\"destination_sync_mode\":\"append\"}]}");
        Path stateOut = dir.resolve("state-out.jsonl");

        List<Record> deadLetters;
        List<Record> events;
        try (KinesisEmulator emulator = KinesisEmulator.kinesalite()) {
            Path config = emulator.writeConfig(dir, Map.of("deadLetterStream", "dead_letters", "shardCount", 1));
            new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(WriteOptions.parse(List.of(
                    "--config", config.toString(), "--catalog", catalog.toString(), "--input", input.toString(),
                    "--state-out", stateOut.toString(), "--checkpoint-interval", "200ms")));
            try (KinesisClient client = emulator.client()) {
                KinesisStreamReader reader = new KinesisStreamReader(client);
                deadLetters = reader.readAll("dead_letters");
                events = reader.readAll("_events");
            }
        }

        assertEquals(2, events.size(), "the records before and after it");
        assertEquals(2, Files.readAllLines(stateOut).size(), "both STATEs released, the one after the dead letter too");
        assertEquals(1, deadLetters.size());
        Record record = deadLetters.get(0);
        byte[] data = record.data().asByteArray();
        assertEquals(input + ":3", record.partitionKey());
        assertTrue(data.length + record.partitionKey().getBytes(StandardCharsets.UTF_8).length <= LIMIT,
                data.length + " bytes and the key");

        JsonNode deadLetter = JSON.readTree(data);
        assertEquals("record_too_large", deadLetter.get("reason").asText());
        assertEquals(input.toString(), deadLetter.get("source").asText());
        assertEquals(3, deadLetter.get("line").longValue());
        assertTrue(deadLetter.get("original_truncated").booleanValue());
        assertEquals(tooLarge.length, deadLetter.get("original_bytes").longValue());
        assertEquals(String.format("%064x", new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(tooLarge))),
                deadLetter.get("original_sha256").asText());
        byte[] prefix = Base64.getDecoder().decode(deadLetter.get("original_base64").asText());
        // Each byte kept costs about 2.3 to 2.9 bytes (base64, and the text, its emoji as JSON
        // escapes): a quarter of the limit is a floor that a mostly empty dead letter misses.
        assertTrue(prefix.length > LIMIT / 4, "the room holds much of the line: " + prefix.length + " bytes");
        assertArrayEquals(Arrays.copyOf(tooLarge, prefix.length), prefix, "the start of the line, byte for byte");
        assertEquals(new String(prefix, StandardCharsets.UTF_8), deadLetter.get("original").textValue(),
                "the same start as text, cut between characters");
    }

    private static byte[] record(int n, String data) {
        return ("{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"emitted_at\":" + n + ",\"data\":" + data + "}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] state(int n) {
        return ("{\"type\":\"STATE\",\"state\":{\"type\":\"LEGACY\",\"data\":{\"n\":" + n + "}}}").getBytes(StandardCharsets.UTF_8);
    }
}
