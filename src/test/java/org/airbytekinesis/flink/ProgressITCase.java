package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * A local run's progress lines on stderr, as {@code write} prints them (its own MiniCluster, the
 * run-summary reporter, kinesalite): periodic lines while it runs, and a last line whose counts
 * are the run's: lines and bytes read, records Kinesis acknowledged, dead letters, STATEs.
 */
class ProgressITCase {
    private static final Pattern LINE = Pattern.compile("airbyte-kinesis: ([\\d,]+) lines read(?: \\(([\\d.]+)%\\))?,"
            + " ([\\d,]+) records in Kinesis \\(([\\d,]+)/s\\), ([\\d,]+) dead letters, ([\\d,]+) retries,"
            + " STATEs: ([\\d,]+) released, ([\\d,]+) held");

    private KinesisEmulator emulator;
    private KinesisClient client;

    @TempDir
    Path dir;

    /** One emulator per test: each reads back exactly what its own run wrote. */
    @BeforeEach
    void startEmulator() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        client = emulator.client();
    }

    @AfterEach
    void stopEmulator() {
        if (client != null) {
            client.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    private static final class Input {
        final List<String> lines = new ArrayList<>();
        /** Good records; the bad ones are extra lines. */
        long records;
        long states;
        long bad;
    }

    private static Input input(int records) {
        Input input = new Input();
        for (int i = 0; i < records; i++) {
            String stream = i % 3 == 0 ? "beta" : "alpha";
            input.lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"data\":{\"i\":" + i
                    + ",\"text\":\"" + "x".repeat(i % 200) + "\"},\"emitted_at\":1}}");
            input.records++;
            if (i % 500 == 499) {
                input.lines.add("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":" + i + "}}}");
                input.states++;
            }
            if (i % 1000 == 10) {
                input.lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"alpha\",\"data\":[1]}}");
                input.bad++;
            }
        }
        return input;
    }

    private List<Matcher> runWrite(Input input, Map<String, Object> config, String... options) throws Exception {
        Path file = dir.resolve("input.jsonl");
        Files.write(file, input.lines, StandardCharsets.UTF_8);
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, "{\"streams\":[{\"stream\":{\"name\":\"alpha\"},\"destination_sync_mode\":\"append\"},"
                + "{\"stream\":{\"name\":\"beta\"},\"destination_sync_mode\":\"append\"}]}");
        List<String> args = new ArrayList<>(List.of("--config", emulator.writeConfig(dir, config).toString(),
                "--catalog", catalog.toString(), "--input", file.toString(), "--dead-letter", dir.resolve("dlq").toString(),
                "--checkpoint-interval", "300ms"));
        args.addAll(List.of(options));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        new WriteCommand(new PrintStream(console, true, StandardCharsets.UTF_8), new Configuration())
                .run(WriteOptions.parse(args));
        List<Matcher> progress = new ArrayList<>();
        for (String line : console.toString(StandardCharsets.UTF_8).split("\n")) {
            Matcher matcher = LINE.matcher(line);
            if (matcher.matches()) {
                progress.add(matcher);
            } else {
                assertTrue(!line.contains("lines read ("), "a progress line in another form: " + line);
            }
        }
        return progress;
    }

    private static long number(Matcher line, int group) {
        return Long.parseLong(line.group(group).replace(",", ""));
    }

    private long recordsIn(String stream) {
        return new KinesisStreamReader(client).readByShard(stream).values().stream().mapToLong(List::size).sum();
    }

    @Test
    void aLocalRunPrintsProgressWhileItRunsAndALastLineWithTheRunsOwnCounts() throws Exception {
        Input input = input(6_000);
        long fileBytes = input.lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();

        List<Matcher> progress = runWrite(input, Map.of("shardCount", 1), "--progress-interval", "50ms");

        assertTrue(progress.size() >= 3, "lines while it ran, then the last: " + progress.size());
        Matcher last = progress.get(progress.size() - 1);
        assertEquals(input.lines.size(), number(last, 1), "lines read");
        assertEquals("100.0", last.group(2), "of " + fileBytes + " bytes");
        assertEquals(input.records, number(last, 3), "records Kinesis acknowledged");
        assertEquals(recordsIn("_alpha") + recordsIn("_beta"), number(last, 3), "what Kinesis holds");
        assertTrue(number(last, 4) > 0, "the whole run's rate");
        assertEquals(input.bad, number(last, 5), "dead letters");
        assertEquals(0, number(last, 6), "retries");
        assertEquals(input.states, number(last, 7), "STATEs released");
        assertEquals(0, number(last, 8), "STATEs held at the end");
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(number(progress.get(i), 3) >= number(progress.get(i - 1), 3), "counts only grow");
            assertTrue(number(progress.get(i), 1) >= number(progress.get(i - 1), 1), "counts only grow");
        }
    }

    @Test
    void underAggregationRecordsInKinesisCountTheUserRecordsInsideTheAggregates() throws Exception {
        Input input = input(3_000);

        List<Matcher> progress = runWrite(input, Map.of("shardCount", 2, "aggregation", "kpl"), "--progress-interval", "1s");

        Matcher last = progress.get(progress.size() - 1);
        long userRecords = 0;
        long kinesisRecords = 0;
        for (String stream : List.of("_alpha", "_beta")) {
            for (List<Record> shard : new KinesisStreamReader(client).readByShard(stream).values()) {
                kinesisRecords += shard.size();
                userRecords += Deaggregation.userRecords(shard).size(); // KCL 3's deaggregation
            }
        }
        assertTrue(kinesisRecords < userRecords / 10, kinesisRecords + " Kinesis records for " + userRecords);
        assertEquals(input.records, userRecords);
        assertEquals(userRecords, number(last, 3), "user records, not Kinesis records");
    }

    @Test
    void quietPrintsNoProgress() throws Exception {
        List<Matcher> progress = runWrite(input(200), Map.of("shardCount", 1), "--quiet");

        assertEquals(List.of(), progress.stream().map(Matcher::group).collect(Collectors.toList()));
    }
}
