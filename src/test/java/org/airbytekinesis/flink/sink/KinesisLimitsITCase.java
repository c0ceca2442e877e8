package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.envelope.EnvelopeWriter;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Large records against Kinesis's real size limits: {@code write}, as the launcher runs it,
 * through a proxy that refuses what Kinesis refuses (data plus keys over 5 MiB per request, over
 * 1 MiB per record, more than 500 records) and answers PutRecords itself, so the emulator's own
 * speed with big records does not matter. Every record arrives and no request is ever refused
 * for its size, whatever the record size and {@code bufferSize}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KinesisLimitsITCase {
    private static final String ID = "00000000-0000-3000-8000-000000000000";
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static KinesisEmulator emulator;
    private static KinesisFaultProxy proxy;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        proxy = KinesisFaultProxy.start(emulator.endpoint()).setEnforceServiceLimits(true).setAnswerPutRecordsLocally(true);
    }

    @AfterAll
    static void stop() {
        proxy.close();
        emulator.close();
    }

    @ParameterizedTest(name = "{0} records, envelopes of {1} bytes, bufferSize {2}")
    @CsvSource({
        // The reported stall: 43 such records fit 5 MiB of data, and their keys took it over.
        "300, 121900, 100",
        // The largest record Kinesis takes (envelope plus key = 1 MiB), in full batches.
        "12, 1048540, 500",
        "12, 1048540, 1",
        "40, 102400, 500",
        "40, 512000, 7",
        "60, 262144, 250",
        "30, 174763, 43"
    })
    void everyRecordArrivesAndNoRequestIsRefusedForItsSize(int records, int envelopeBytes, int bufferSize) throws Exception {
        proxy.resetCounters();
        String stream = "big_" + records + "_" + envelopeBytes + "_" + bufferSize;
        Path input = writeInput(stream, records, envelopeBytes);
        Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":[{\"stream\":{\"name\":\"" + stream + "\"}}]}");
        Path config = Files.writeString(dir.resolve("config.json"),
                emulator.config(Map.of("bufferSize", bufferSize, "endpoint", proxy.endpoint())).toString());

        new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new Configuration())
                .run(WriteOptions.parse(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                        "--input", input.toString(), "--dead-letter", dir.resolve("dead-letter").toString())));

        assertEquals(0, proxy.sizeRejections(), "requests refused for their size: " + proxy);
        assertTrue(proxy.largestRequestBytes() <= KinesisFaultProxy.MAX_REQUEST_BYTES, proxy.toString());
        Set<String> keys = new HashSet<>();
        for (KinesisFaultProxy.AcceptedEntry entry : proxy.acceptedEntries()) {
            assertEquals(envelopeBytes, entry.dataLength(), "the envelope as sized");
            keys.add(entry.partitionKey());
        }
        assertEquals(records, keys.size(), "every record, once or as an equal-id duplicate");
        assertTrue(!Files.exists(dir.resolve("dead-letter")) || Files.list(dir.resolve("dead-letter")).count() == 0,
                "nothing dead-lettered");
    }

    /** Records whose envelopes come out at exactly {@code envelopeBytes} (the job's ids are 36 characters). */
    private Path writeInput(String stream, int records, int envelopeBytes) throws Exception {
        String prefix = "{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"emitted_at\":1700000000000,\"data\":";
        byte[] probe = (prefix + "{\"x\":\"\"}}}").getBytes(StandardCharsets.UTF_8);
        int overhead = new EnvelopeWriter(DataFormat.STRING).write(ID, "1700000000000", probe, prefix.length(),
                probe.length - 2).length;
        String filler = "x".repeat(envelopeBytes - overhead);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            lines.add(prefix + "{\"x\":\"" + filler + "\"}}}");
        }
        return Files.write(dir.resolve(stream + ".jsonl"), lines, StandardCharsets.UTF_8);
    }
}
