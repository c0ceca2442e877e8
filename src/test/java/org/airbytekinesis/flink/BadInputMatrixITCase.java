package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.envelope.RecordEnveloper;
import org.airbytekinesis.flink.testing.Corpus;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * The bad-input matrix: real connector output ({@code src/test/resources/corpus}) and generated files
 * with CRLF endings, a UTF-8 BOM, a 5 MiB line, records at the 1 MiB envelope limit, binary
 * garbage, a last line without newline, data nested 5000 deep, duplicate keys, numbers of 400
 * digits, streams missing from the catalog, comment lines, invalid UTF-8, JSON that is not an
 * object and invalid AirbyteMessages. All files go through ONE {@code write} run (kinesalite,
 * {@code --dead-letter DIR}, {@code --state-out FILE}); every file writes only to Kinesis
 * streams of its own, so each file is checked on its own: the records read back from Kinesis,
 * its dead letters (reason, source, line, byte-exact original) and its counts
 * (lines = delivered + dead-lettered + skipped).
 *
 * <p>What each line must become is worked out here, independently of the job's streaming
 * scanner: with Jackson's tree model per line ({@link Oracle}), following the documented meaning
 * of each dead-letter reason.
 *
 * <p>Decided behaviours this class pins down:
 * <ul>
 *   <li>Duplicate keys inside {@code data} are delivered verbatim, both keys, byte for byte (the
 *       data is never parsed into values); anywhere else in the message the last one wins, as
 *       with Jackson's tree model and JavaScript's {@code JSON.parse}.
 *   <li>A UTF-8 BOM at the very start of a file is ignored: the first line is read as if it
 *       were not there (and a released STATE does not carry it).
 *   <li>A message type the protocol does not know (also a lowercase {@code "record"}) is
 *       counted and skipped, not dead-lettered, as the README says.
 *   <li>Each input file is the output of a sync of its own: a STATE's recordCount counts the
 *       records of its own file since that file's previous STATE.
 * </ul>
 */
class BadInputMatrixITCase {
    private static final int LIMIT = 1024 * 1024;
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    static Path dir;

    private static KinesisEmulator emulator;

    /** File name -> the file and what it must give. */
    private static final Map<String, Expected> EXPECTED = new LinkedHashMap<>();
    /** Kinesis stream -> its records, read back after the run. */
    private static final Map<String, List<Record>> DELIVERED = new HashMap<>();
    /** Dead letters by source. */
    private static final Map<String, List<JsonNode>> DEAD_LETTERS = new HashMap<>();
    private static final List<byte[]> RELEASED_STATES = new ArrayList<>();
    private static JobExecutionResult result;
    private static long runStartMillis;
    private static long runEndMillis;

    // ------------------------------------------------------------------------------------------
    // The run

    @BeforeAll
    @Timeout(180)
    static void writeEveryFileInOneRun() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        Path inputs = Files.createDirectories(dir.resolve("inputs"));

        // Generated files, each with the catalog streams it owns: {namespace, name}.
        Map<Path, List<String[]>> generated = new LinkedHashMap<>();
        generated.put(write(inputs, "crlf.jsonl", crlfFile()), streams("crlf"));
        generated.put(write(inputs, "cr-at-end-without-lf.jsonl", crAtEndFile()), streams("cr_end"));
        generated.put(write(inputs, "no-final-newline.jsonl", noFinalNewlineFile()), streams("nofinal"));
        generated.put(write(inputs, "bom-record.jsonl", concat(BOM, lines(
                record("bom", "{\"n\":1,\"first\":\"line after the BOM\"}", "1"),
                record("bom", "{\"n\":2}", "2")))), streams("bom"));
        generated.put(write(inputs, "bom-state.jsonl", concat(BOM, lines(
                state("{\"marker\":\"bom-state-first\"}"),
                record("bom_state", "{\"n\":1}", "1"),
                state("{\"marker\":\"bom-state-second\"}")))), streams("bom_state"));
        generated.put(write(inputs, "huge.jsonl", hugeFile()), streams("huge"));
        generated.put(write(inputs, "binary-garbage.dat", garbageFile()), streams("garbage"));
        generated.put(write(inputs, "deep.jsonl", deepFile()), streams("deep"));
        generated.put(write(inputs, "duplicate-keys.jsonl", duplicateKeysFile()), streams("dupes"));
        generated.put(write(inputs, "duplicate-record-objects.jsonl", lines(
                        "{\"type\":\"RECORD\",\"record\":{\"namespace\":\"ghost_ns\",\"stream\":\"dupes_b\",\"data\":{\"v\":1},\"emitted_at\":1},"
                                + "\"record\":{\"stream\":\"dupes_b\",\"data\":{\"v\":2},\"emitted_at\":2}}")),
                List.of(new String[] {null, "dupes_b"}, new String[] {"ghost_ns", "dupes_b"}));
        generated.put(write(inputs, "big-numbers.jsonl", bigNumbersFile()), streams("numbers"));
        generated.put(write(inputs, "unknown-stream.jsonl", unknownStreamFile()),
                List.of(new String[] {null, "known_stream"}, new String[] {"cat_ns", "ns_stream"}));
        generated.put(write(inputs, "comments.jsonl", commentsFile()), streams("comments"));
        generated.put(write(inputs, "invalid-utf8.jsonl", invalidUtf8File()), streams("utf8"));
        generated.put(write(inputs, "not-objects.jsonl", notObjectsFile()), streams("arrays"));
        generated.put(write(inputs, "not-object-edge-cases.jsonl", notObjectEdgeCasesFile()), streams("edge"));
        generated.put(write(inputs, "invalid-messages.jsonl", invalidMessagesFile()), streams("invalid_msgs", "no_emitted_at"));

        // The catalog: every generated file's streams, and every stream the corpus has records of.
        Map<Path, List<String[]>> owned = new LinkedHashMap<>();
        for (Path corpusFile : Corpus.messageFiles()) {
            owned.put(corpusFile, recordStreamsOf(corpusFile));
        }
        owned.putAll(generated);
        List<String[]> catalogStreams = new ArrayList<>();
        owned.values().forEach(catalogStreams::addAll);
        Oracle oracle = new Oracle(catalogStreams);
        for (Map.Entry<Path, List<String[]>> file : owned.entrySet()) {
            Set<String> own = file.getValue().stream().map(s -> kinesisName(s[0], s[1])).collect(Collectors.toSet());
            Expected expected = onBigStack(() -> oracle.expect(file.getKey(), own));
            Expected earlier = EXPECTED.put(file.getKey().getFileName().toString(), expected);
            assertNull(earlier, "file names must be unique: " + file.getKey());
        }
        Set<String> allStreams = new HashSet<>();
        for (Expected expected : EXPECTED.values()) {
            for (String stream : expected.ownStreams) {
                assertTrue(allStreams.add(stream), "every Kinesis stream belongs to one file: " + stream);
            }
        }

        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, catalogJson(catalogStreams));
        Path config = emulator.writeConfig(dir, Map.of("shardCount", 1));
        Path deadLetterDir = dir.resolve("dead-letter");
        Path stateOut = dir.resolve("state-out.jsonl");
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                "--dead-letter", deadLetterDir.toString(), "--state-out", stateOut.toString(),
                "--checkpoint-interval", "200ms"));
        for (Path file : owned.keySet()) {
            args.add("--input");
            args.add(file.toString());
        }

        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        runStartMillis = System.currentTimeMillis();
        result = new WriteCommand(new PrintStream(summary, true, StandardCharsets.UTF_8)).run(WriteOptions.parse(args));
        runEndMillis = System.currentTimeMillis();

        try (KinesisClient client = emulator.client()) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            for (String stream : allStreams) {
                DELIVERED.put(stream, reader.readAll(stream));
            }
        }
        try (Stream<Path> files = Files.list(deadLetterDir)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().startsWith("."))
                    .collect(Collectors.toList())) {
                for (byte[] line : splitLines(Files.readAllBytes(file))) {
                    JsonNode deadLetter = Oracle.TREE.readTree(line);
                    DEAD_LETTERS.computeIfAbsent(deadLetter.path("source").asText(), s -> new ArrayList<>()).add(deadLetter);
                }
            }
        }
        RELEASED_STATES.addAll(splitLines(Files.readAllBytes(stateOut)));
    }

    @AfterAll
    static void stopEmulator() {
        if (emulator != null) {
            emulator.close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Per file

    static List<String> corpusFiles() throws IOException {
        return Corpus.messageFiles().stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpusFiles")
    void realConnectorOutputIsDeliveredCompletelyAndNothingOfItIsDeadLettered(String file) throws Exception {
        Expected expected = EXPECTED.get(file);
        assertEquals(List.of(), expected.deadLetters, file + ": the oracle finds no bad line in real output");
        assertFileOutcome(file);
        // The shared oracle of the other ITCases agrees on what must be in Kinesis.
        ExpectedRecords shared = ExpectedRecords.fromFiles(BadInputMatrixITCase::kinesisName, expected.file);
        assertEquals(expected.deliveries.size(), shared.total(), file);
        for (String stream : expected.ownStreams) {
            shared.assertStreamHolds(stream, DELIVERED.get(stream), true);
        }
    }

    @Test
    void crlfLineEndingsAreReadLikeLfAndADeadLetterKeepsTheLineWithoutItsCr() throws Exception {
        Expected expected = assertFileOutcome("crlf.jsonl");
        assertEquals(3, expected.deliveries.size());
        assertEquals(1, expected.deadLetters.size());
        JsonNode comment = deadLettersOf("crlf.jsonl").get(0);
        assertEquals("# exported on Windows", comment.get("original").asText(), "the \\r of \\r\\n is part of the line end");
    }

    @Test
    void aLastLineWithoutANewlineIsStillReadAndDelivered() throws Exception {
        assertEquals(2, assertFileOutcome("no-final-newline.jsonl").deliveries.size());
        assertEquals(2, assertFileOutcome("cr-at-end-without-lf.jsonl").deliveries.size());
        // The corpus's octopus file has no trailing newline either: its last line is a RECORD.
        byte[] octopus = Files.readAllBytes(Corpus.file("messages__faros__octopus_all-streams.log"));
        assertFalse(octopus[octopus.length - 1] == '\n');
        assertFileOutcome("messages__faros__octopus_all-streams.log");
    }

    @Test
    void aRecordWhoseEnvelopeIsOverOneMebibyteIsDeadLetteredAsRecordTooLargeAndOneExactlyAtTheLimitIsDelivered()
            throws Exception {
        Expected expected = assertFileOutcome("huge.jsonl");
        assertEquals(List.of(2L, 4L), expected.deadLetters.stream().map(d -> d.lineNumber).collect(Collectors.toList()));
        for (JsonNode deadLetter : deadLettersOf("huge.jsonl")) {
            assertEquals("record_too_large", deadLetter.get("reason").asText());
        }
        // The record at exactly 1 MiB (envelope plus partition key) is in Kinesis.
        List<Record> records = DELIVERED.get("_huge");
        assertTrue(records.stream().anyMatch(r -> r.data().asByteArray().length + r.partitionKey().length() == LIMIT),
                "a record of exactly " + LIMIT + " bytes with its key was delivered");
    }

    @Test
    void binaryGarbageIsDeadLetteredLineByLineWithItsExactBytes() throws Exception {
        Expected expected = assertFileOutcome("binary-garbage.dat");
        assertTrue(expected.deadLetters.size() > 20, "garbage lines: " + expected.deadLetters.size());
        assertTrue(expected.deadLetters.stream().anyMatch(d -> d.reason.equals("invalid_utf8")));
        assertEquals(0, expected.deliveries.size());
    }

    @Test
    void dataNestedFiveThousandLevelsDeepIsDeliveredIntact() throws Exception {
        Expected expected = assertFileOutcome("deep.jsonl");
        assertEquals(3, expected.deliveries.size());
        // Byte for byte: each delivered data text is one of the (already compact) input data texts.
        Set<String> sent = new HashSet<>(expected.rawData);
        for (Record record : DELIVERED.get("_deep")) {
            String data = Oracle.TREE.readTree(record.data().asByteArray()).get("_airbyte_data").textValue();
            assertTrue(sent.contains(data), "delivered data is the input's text, " + data.length() + " chars");
        }
    }

    /**
     * Duplicate keys: inside {@code data} both keys are delivered verbatim; anywhere else the
     * last one wins (type, record.stream, record.data, record.emitted_at).
     */
    @Test
    void duplicateKeysInsideDataAreDeliveredVerbatimAndElsewhereTheLastOneWins() throws Exception {
        Expected expected = assertFileOutcome("duplicate-keys.jsonl");
        assertEquals(6, expected.deliveries.size());
        Set<String> delivered = new HashSet<>();
        for (Record record : DELIVERED.get("_dupes")) {
            delivered.add(Oracle.TREE.readTree(record.data().asByteArray()).get("_airbyte_data").textValue());
        }
        assertTrue(delivered.contains("{\"a\":1,\"a\":2}"), "both keys, as they came: " + delivered);
        assertTrue(delivered.contains("{\"o\":{\"x\":1,\"x\":{\"y\":2}}}"), "nested duplicates too: " + delivered);
        assertTrue(delivered.contains("{\"k\":\"second-data-wins\"}"), delivered.toString());
    }

    /** A message with two "record" objects is read as the last one alone, like any duplicate key. */
    @Test
    void aMessageWithTwoRecordObjectsIsReadAsTheLastOneAlone() throws Exception {
        assertFileOutcome("duplicate-record-objects.jsonl");
    }

    @Test
    void numbersOfFourHundredDigitsAreDeliveredAsTheExactLiterals() throws Exception {
        Expected expected = assertFileOutcome("big-numbers.jsonl");
        assertEquals(2, expected.deliveries.size());
        List<String> envelopes = DELIVERED.get("_numbers").stream()
                .map(r -> r.data().asUtf8String()).collect(Collectors.toList());
        String all = String.join("\n", envelopes);
        for (String literal : BIG_NUMBER_LITERALS) {
            assertTrue(all.contains(literal), "literal of " + literal.length() + " chars kept exactly");
        }
        assertTrue(all.contains("\"_airbyte_emitted_at\":123456789012345678901234567890,"), all.substring(0, 200));
    }

    @Test
    void recordsOfStreamsMissingFromTheCatalogAreDeadLetteredAsStreamNotInCatalog() throws Exception {
        Expected expected = assertFileOutcome("unknown-stream.jsonl");
        assertEquals(List.of(2L, 3L, 5L), expected.deadLetters.stream().map(d -> d.lineNumber).collect(Collectors.toList()));
        assertTrue(expected.deadLetters.stream().allMatch(d -> d.reason.equals("stream_not_in_catalog")));
        JsonNode missing = deadLettersOf("unknown-stream.jsonl").get(0);
        assertTrue(missing.get("message").asText().contains("missing_stream"), missing.toString());
        assertEquals(2, DELIVERED.get("_known_stream").size(), "exact match and the namespace-less fallback");
        assertEquals(1, DELIVERED.get("cat_ns_ns_stream").size(), "a record without namespace matches the only stream of its name");
    }

    @Test
    void commentLinesAreDeadLetteredAsNotJson() throws Exception {
        Expected expected = assertFileOutcome("comments.jsonl");
        assertEquals(7, expected.deadLetters.size());
        assertTrue(expected.deadLetters.stream().allMatch(d -> d.reason.equals("not_json")));
    }

    @Test
    void invalidUtf8AnywhereInALineIsDeadLetteredAsInvalidUtf8() throws Exception {
        Expected expected = assertFileOutcome("invalid-utf8.jsonl");
        assertEquals(10, expected.deadLetters.size());
        assertTrue(expected.deadLetters.stream().allMatch(d -> d.reason.equals("invalid_utf8")));
        for (JsonNode deadLetter : deadLettersOf("invalid-utf8.jsonl")) {
            assertTrue(deadLetter.get("original").isNull(), "no text for bytes that are not UTF-8: " + deadLetter);
        }
    }

    @Test
    void jsonThatIsNotAnObjectIsDeadLetteredAsNotAnObject() throws Exception {
        Expected expected = assertFileOutcome("not-objects.jsonl");
        assertEquals(8, expected.deadLetters.size());
        assertTrue(expected.deadLetters.stream().allMatch(d -> d.reason.equals("not_an_object")));
    }

    /**
     * Lines that merely start like an array or a scalar get the reason of their real problem:
     * {@code [1,2} is not JSON, {@code 1 2} is JSON with content after it (not_json), and an
     * array holding a byte that is not UTF-8 is invalid_utf8 (DeadLetterReason's own definitions).
     */
    @Test
    void malformedLinesThatStartLikeAnArrayOrAScalarGetTheReasonOfTheirRealProblem() throws Exception {
        assertFileOutcome("not-object-edge-cases.jsonl");
    }

    @Test
    void invalidAirbyteMessagesAreDeadLetteredWithTheirOwnReasonsAndUnknownTypesAreSkipped() throws Exception {
        Expected expected = assertFileOutcome("invalid-messages.jsonl");
        Map<String, Long> reasons = expected.deadLetters.stream()
                .collect(Collectors.groupingBy(d -> d.reason, TreeMap::new, Collectors.counting()));
        assertEquals(Map.of("invalid_message", 8L, "record_without_stream", 3L, "record_without_object_data", 3L), reasons);
        assertEquals(Map.of("TRACE", 1, "CONTROL", 1, "SOMETHING_NEW", 1, "record", 1), expected.skippedByType);
        assertEquals(2, DELIVERED.get("_no_emitted_at").size(), "records without emitted_at get the time they were read");
    }

    /** What the user wants: a BOM at the very start of a file (a file saved on Windows) is ignored. */
    @Test
    void aUtf8ByteOrderMarkAtTheStartOfAFileIsIgnored() throws Exception {
        assertFileOutcome("bom-record.jsonl");
        assertFileOutcome("bom-state.jsonl");
        byte[] released = RELEASED_STATES.stream()
                .filter(s -> new String(s, StandardCharsets.UTF_8).contains("bom-state-first"))
                .findFirst().orElseThrow(() -> new AssertionError("the STATE of bom-state.jsonl line 1 was not released"));
        assertFalse(startsWith(released, BOM),
                "a STATE on the first line of a file that starts with a BOM is released WITH the BOM bytes EF BB BF in"
                        + " front (on stdout and in --state-out): the BOM is not ignored; fix: drop EF BB BF at the start"
                        + " of a file's first line in source/AirbyteLineFormat.LineReader (or LineSplitter)");
        assertEquals(Oracle.TREE.readTree(state("{\"marker\":\"bom-state-first\"}")), withoutStats(released));
    }

    // ------------------------------------------------------------------------------------------
    // The run as a whole

    @Test
    void theRunsCountersAreTheSumsOfThePerFileNumbers() {
        Map<String, Object> counters = result.getAllAccumulatorResults();
        long lines = 0;
        long records = 0;
        long blank = 0;
        Map<String, Long> deadLetters = new TreeMap<>();
        Map<String, Long> messages = new TreeMap<>();
        for (Expected expected : EXPECTED.values()) {
            lines += expected.lines;
            records += expected.deliveries.size();
            blank += expected.blank;
            expected.skippedByType.forEach((type, n) -> messages.merge(type, (long) n, Long::sum));
        }
        assertEquals(lines, counters.get(RecordEnveloper.LINES_ACCUMULATOR), "lines read");
        assertEquals(records, counters.get(RecordEnveloper.RECORDS_ACCUMULATOR), "records");
        assertEquals(blank, (long) (Long) counters.getOrDefault(RecordEnveloper.BLANK_ACCUMULATOR, 0L), "blank lines");
        // Per reason as in the dead-letter files (whether each reason is right is checked per file).
        DEAD_LETTERS.values().forEach(list -> list.forEach(d -> deadLetters.merge(d.get("reason").asText(), 1L, Long::sum)));
        assertEquals(deadLetters, prefixed(counters, RecordEnveloper.DEAD_LETTER_ACCUMULATOR_PREFIX), "dead letters by reason");
        assertEquals(EXPECTED.values().stream().mapToLong(e -> e.deadLetters.size()).sum(),
                deadLetters.values().stream().mapToLong(Long::longValue).sum(), "dead letters");
        assertEquals(messages, prefixed(counters, RecordEnveloper.MESSAGE_TYPE_ACCUMULATOR_PREFIX), "other messages by type");
        long deliveredInKinesis = DELIVERED.values().stream().mapToLong(List::size).sum();
        assertEquals(records, deliveredInKinesis, "records read back from Kinesis");
    }

    @Test
    void everyValidStateIsReleasedExactlyOnceAsItCameWithDestinationStatsAdded() throws Exception {
        List<String> want = new ArrayList<>();
        for (Expected expected : EXPECTED.values()) {
            expected.states.forEach(state -> want.add(state.getKey().toString()));
        }
        List<String> got = new ArrayList<>();
        for (byte[] released : RELEASED_STATES) {
            JsonNode stats = Oracle.TREE.readTree(released).path("state").path("destinationStats");
            assertTrue(stats.path("recordCount").isFloatingPointNumber(), "recordCount is a double: " + stats);
            got.add(withoutStats(released).toString());
        }
        want.sort(null);
        got.sort(null);
        assertEquals(want, got, "STATE lines in --state-out, without destinationStats");
    }

    /**
     * Each input file is a sync's output of its own: a STATE's recordCount counts the records of
     * its own file since that file's previous STATE, however the files are spread over readers.
     */
    @Test
    void aStatesRecordCountCountsTheRecordsOfItsOwnFileSinceThePreviousStateOfThatFile() throws Exception {
        Map<String, Long> want = new TreeMap<>();
        Map<String, String> fileOf = new HashMap<>();
        for (Map.Entry<String, Expected> file : EXPECTED.entrySet()) {
            for (Map.Entry<JsonNode, Long> state : file.getValue().states) {
                assertNull(want.put(state.getKey().toString(), state.getValue()), "input STATEs are distinct");
                fileOf.put(state.getKey().toString(), file.getKey());
            }
        }
        Map<String, Long> got = new TreeMap<>();
        for (byte[] released : RELEASED_STATES) {
            double count = Oracle.TREE.readTree(released).path("state").path("destinationStats").path("recordCount").doubleValue();
            got.put(withoutStats(released).toString(), (long) count);
        }
        List<String> wrong = new ArrayList<>();
        want.forEach((state, count) -> {
            if (!count.equals(got.get(state))) {
                wrong.add(fileOf.get(state) + ": recordCount " + got.get(state) + " instead of " + count + " for "
                        + abbreviate(state));
            }
        });
        assertEquals(List.of(), wrong, "STATEs counting records of other input files");
    }

    // ------------------------------------------------------------------------------------------
    // Setup errors: a SetupException before any job starts, naming the problem

    @Test
    void aCatalogThatIsNotJsonStopsTheRunNamingTheCatalogFileLineAndColumn() throws Exception {
        Path catalog = dir.resolve("broken-catalog.json");
        Files.writeString(catalog, "{\"streams\": [\n  {\"stream\": {\"name\": \"s\"}},\n  {\"stream\": {\"name\": \"t\"}} oops\n]}");
        SetupException error = assertThrows(SetupException.class,
                () -> writeWith(emulator.writeConfig(Files.createTempDirectory(dir, "c"), Map.of()), catalog));
        assertTrue(error.getMessage().startsWith("catalog " + catalog + ": not valid JSON at line 3, column 29"),
                error.getMessage());
    }

    @Test
    void aConfigValueOfTheWrongTypeStopsTheRunNamingTheKey() throws Exception {
        Path catalog = dir.resolve("small-catalog.json");
        Files.writeString(catalog, catalogJson(streams("s")));
        Map<String, Object> wrongTypes = new LinkedHashMap<>();
        wrongTypes.put("shardCount", "five");
        wrongTypes.put("bufferSize", 2.5);
        wrongTypes.put("maxRecordSizeBytes", "1048576");
        wrongTypes.put("dataFormat", 1);
        wrongTypes.put("region", List.of("us-east-1"));
        wrongTypes.put("endpoint", true);
        for (Map.Entry<String, Object> wrong : wrongTypes.entrySet()) {
            Path config = emulator.writeConfig(Files.createTempDirectory(dir, "c"), Map.of(wrong.getKey(), wrong.getValue()));
            SetupException error = assertThrows(SetupException.class, () -> writeWith(config, catalog), wrong.getKey());
            assertTrue(error.getMessage().startsWith("config: " + wrong.getKey() + " must be"), error.getMessage());
        }
    }

    @Test
    void anUnknownOnBadInputValueStopsTheRunNamingTheKeyAndTheAllowedValues() throws Exception {
        Path catalog = dir.resolve("small-catalog.json");
        Files.writeString(catalog, catalogJson(streams("s")));
        Path config = emulator.writeConfig(Files.createTempDirectory(dir, "c"), Map.of("onBadInput", "skip"));
        SetupException error = assertThrows(SetupException.class, () -> writeWith(config, catalog));
        assertEquals("config: onBadInput must be \"dead-letter\" or \"fail\", got \"skip\"", error.getMessage());
    }

    private static void writeWith(Path config, Path catalog) throws Exception {
        Path input = dir.resolve("setup-error-input.jsonl");
        Files.write(input, record("s", "{}", "1"));
        new WriteCommand(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(WriteOptions.parse(List.of("--config", config.toString(), "--catalog", catalog.toString(),
                        "--dead-letter", dir.resolve("setup-error-dead-letter").toString(), "--input", input.toString())));
    }

    // ------------------------------------------------------------------------------------------
    // The per-file check

    /** Records, dead letters and counts of one file, against the oracle. */
    private static Expected assertFileOutcome(String fileName) throws Exception {
        Expected expected = EXPECTED.get(fileName);
        assertNotNull(expected, fileName);
        String source = expected.file.toAbsolutePath().normalize().toString();
        onBigStack(() -> {
            int delivered = 0;
            for (String stream : expected.ownStreams) {
                List<Record> records = DELIVERED.get(stream);
                assertRecords(fileName, stream, expected.deliveriesTo(stream), records);
                delivered += records.size();
            }
            assertEquals(expected.deliveries.size(), delivered, fileName + ": records delivered");

            List<JsonNode> deadLetters = deadLettersOf(fileName);
            List<String> want = new ArrayList<>();
            for (Expected.DeadLine line : expected.deadLetters) {
                want.add("line " + line.lineNumber + ": " + line.reason);
            }
            List<String> got = new ArrayList<>();
            for (JsonNode deadLetter : deadLetters) {
                got.add("line " + deadLetter.path("line").asLong() + ": " + deadLetter.path("reason").asText());
            }
            assertEquals(want, got, fileName + ": dead letters (line and reason)");
            for (int i = 0; i < deadLetters.size(); i++) {
                JsonNode deadLetter = deadLetters.get(i);
                Expected.DeadLine line = expected.deadLetters.get(i);
                assertEquals(source, deadLetter.path("source").asText(), fileName + " line " + line.lineNumber + ": source");
                byte[] original = Base64.getDecoder().decode(deadLetter.path("original_base64").asText());
                assertArrayEquals(line.bytes, original, fileName + " line " + line.lineNumber + ": original bytes");
                if (validUtf8(line.bytes)) {
                    assertEquals(new String(line.bytes, StandardCharsets.UTF_8), deadLetter.path("original").textValue(),
                            fileName + " line " + line.lineNumber + ": original text");
                } else {
                    assertTrue(deadLetter.path("original").isNull(), fileName + " line " + line.lineNumber + ": original");
                }
                String message = deadLetter.path("message").asText("");
                assertFalse(message.isBlank(), fileName + " line " + line.lineNumber + ": message");
                assertTrue(message.length() < 400, fileName + " line " + line.lineNumber + ": the message does not quote the line: "
                        + abbreviate(message));
            }

            assertEquals(expected.lines, delivered + deadLetters.size() + expected.skipped(),
                    fileName + ": lines read = delivered + dead-lettered + skipped (blank, non-record)");
            return null;
        });
        return expected;
    }

    private static List<JsonNode> deadLettersOf(String fileName) {
        Expected expected = EXPECTED.get(fileName);
        List<JsonNode> deadLetters = new ArrayList<>(DEAD_LETTERS.getOrDefault(
                expected.file.toAbsolutePath().normalize().toString(), List.of()));
        deadLetters.sort(Comparator.comparingLong(d -> d.path("line").asLong()));
        return deadLetters;
    }

    /**
     * The records of one Kinesis stream against the expected (data, emitted_at) pairs, JSON-equal
     * with exact numbers; an expected emitted_at of null means "the time it was read".
     */
    private static void assertRecords(String fileName, String stream, List<Expected.Delivery> expected, List<Record> records)
            throws IOException {
        Map<List<JsonNode>, Integer> want = new HashMap<>();
        for (Expected.Delivery delivery : expected) {
            want.merge(Arrays.asList(delivery.data, delivery.emittedAt), 1, Integer::sum);
        }
        Map<List<JsonNode>, Integer> got = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (Record record : records) {
            JsonNode envelope = Oracle.TREE.readTree(record.data().asByteArray());
            assertEquals(Set.of("_airbyte_ab_id", "_airbyte_emitted_at", "_airbyte_data"), fieldNames(envelope), stream);
            String id = envelope.get("_airbyte_ab_id").asText();
            assertEquals(id, UUID.fromString(id).toString(), stream + ": id is a UUID");
            assertEquals(id, record.partitionKey(), stream + ": the partition key is the id");
            assertTrue(ids.add(id), stream + ": ids are unique");
            assertTrue(envelope.get("_airbyte_data").isTextual(), stream + ": _airbyte_data is a JSON string");
            JsonNode data = Oracle.TREE.readTree(envelope.get("_airbyte_data").textValue());
            JsonNode emittedAt = envelope.get("_airbyte_emitted_at");
            List<JsonNode> key = Arrays.asList(data, emittedAt);
            if (!want.containsKey(key) && want.containsKey(Arrays.asList(data, null)) && emittedAt.isIntegralNumber()
                    && emittedAt.longValue() >= runStartMillis && emittedAt.longValue() <= runEndMillis) {
                key = Arrays.asList(data, null);
            }
            got.merge(key, 1, Integer::sum);
        }
        if (!want.equals(got)) {
            fail(fileName + ": records of Kinesis stream " + stream + " differ; missing " + difference(want, got)
                    + ", unexpected " + difference(got, want));
        }
    }

    private static List<String> difference(Map<List<JsonNode>, Integer> a, Map<List<JsonNode>, Integer> b) {
        List<String> missing = new ArrayList<>();
        a.forEach((key, n) -> {
            int other = b.getOrDefault(key, 0);
            if (other < n) {
                missing.add((n - other) + " x " + abbreviate(String.valueOf(key)));
            }
        });
        return missing;
    }

    // ------------------------------------------------------------------------------------------
    // The oracle

    /** What one input file must give. */
    static final class Expected {
        static final class Delivery {
            final String kinesisStream;
            final JsonNode data;
            /** Null when the record has none: the job then uses the time it read the line. */
            final JsonNode emittedAt;

            Delivery(String kinesisStream, JsonNode data, JsonNode emittedAt) {
                this.kinesisStream = kinesisStream;
                this.data = data;
                this.emittedAt = emittedAt;
            }
        }

        static final class DeadLine {
            final long lineNumber;
            final String reason;
            final byte[] bytes;

            DeadLine(long lineNumber, String reason, byte[] bytes) {
                this.lineNumber = lineNumber;
                this.reason = reason;
                this.bytes = bytes;
            }
        }

        final Path file;
        final Set<String> ownStreams;
        long lines;
        long blank;
        final List<Delivery> deliveries = new ArrayList<>();
        final List<DeadLine> deadLetters = new ArrayList<>();
        final Map<String, Integer> skippedByType = new TreeMap<>();
        /** The data text of each delivered record, as it is in the line. */
        final List<String> rawData = new ArrayList<>();
        /** Each valid STATE (as it came, without a leading BOM) and the recordCount it must get. */
        final List<Map.Entry<JsonNode, Long>> states = new ArrayList<>();
        /** Records delivered since the last STATE: per Kinesis stream, and in all under "". */
        final Map<String, Long> sinceLastState = new HashMap<>();

        Expected(Path file, Set<String> ownStreams) {
            this.file = file;
            this.ownStreams = ownStreams;
        }

        long skipped() {
            return blank + skippedByType.values().stream().mapToInt(Integer::intValue).sum();
        }

        List<Delivery> deliveriesTo(String stream) {
            return deliveries.stream().filter(d -> d.kinesisStream.equals(stream)).collect(Collectors.toList());
        }
    }

    /**
     * Decides per line with Jackson's tree model (not the job's streaming scanner) what must
     * happen, by the documented meaning of each reason: bytes that are not UTF-8 are
     * invalid_utf8; text that is not one JSON value (also comments, content after the value) is
     * not_json; a JSON value that is not an object is not_an_object; then the message checks.
     */
    static final class Oracle {
        static final ObjectMapper TREE = JsonMapper.builder(JsonFactory.builder()
                        .streamReadConstraints(StreamReadConstraints.builder()
                                .maxNestingDepth(100_000)
                                .maxNumberLength(Integer.MAX_VALUE)
                                .maxStringLength(Integer.MAX_VALUE)
                                .build())
                        .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(100_000).build())
                        .build())
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();

        private final Map<List<String>, String> exact = new HashMap<>();
        private final Map<String, List<String>> namespacesByName = new HashMap<>();

        Oracle(List<String[]> catalogStreams) {
            for (String[] stream : catalogStreams) {
                exact.put(Arrays.asList(stream[0], stream[1]), kinesisName(stream[0], stream[1]));
                namespacesByName.computeIfAbsent(stream[1], n -> new ArrayList<>()).add(stream[0]);
            }
        }

        /** README: exact (namespace, name), else the only stream of that name when one side has no namespace. */
        String route(String namespace, String name) {
            String stream = exact.get(Arrays.asList(namespace, name));
            if (stream != null) {
                return stream;
            }
            List<String> namespaces = namespacesByName.getOrDefault(name, List.of());
            if (namespaces.size() == 1 && (namespace == null || namespaces.get(0) == null)) {
                return kinesisName(namespaces.get(0), name);
            }
            return null;
        }

        Expected expect(Path file, Set<String> ownStreams) throws IOException {
            Expected expected = new Expected(file, ownStreams);
            List<byte[]> lines = splitLines(Files.readAllBytes(file));
            for (int i = 0; i < lines.size(); i++) {
                byte[] line = lines.get(i);
                // The wanted behaviour: a BOM at the very start of a file is not part of the data.
                byte[] content = i == 0 && startsWith(line, BOM) ? Arrays.copyOfRange(line, 3, line.length) : line;
                expected.lines++;
                classify(expected, i + 1, line, content);
            }
            for (Expected.Delivery delivery : expected.deliveries) {
                assertTrue(ownStreams.contains(delivery.kinesisStream), file + " delivers to " + delivery.kinesisStream
                        + ", which is not one of its own streams " + ownStreams);
            }
            return expected;
        }

        private void classify(Expected expected, long number, byte[] original, byte[] line) {
            if (isBlank(line)) {
                expected.blank++;
                return;
            }
            if (!validUtf8(line)) {
                dead(expected, number, "invalid_utf8", original);
                return;
            }
            JsonNode message;
            try {
                message = TREE.readTree(line);
            } catch (IOException e) {
                dead(expected, number, "not_json", original);
                return;
            }
            if (!message.isObject()) {
                dead(expected, number, "not_an_object", original);
                return;
            }
            JsonNode type = message.get("type");
            if (type == null || !type.isTextual()) {
                dead(expected, number, "invalid_message", original);
                return;
            }
            if ("RECORD".equals(type.textValue())) {
                record(expected, number, original, line, message);
            } else if ("STATE".equals(type.textValue())) {
                JsonNode state = message.get("state");
                if (state == null || !state.isObject()) {
                    dead(expected, number, "invalid_message", original);
                } else {
                    expected.skippedByType.merge("STATE", 1, Integer::sum);
                    expected.states.add(Map.entry(message, recordCount(expected, state)));
                }
            } else {
                expected.skippedByType.merge(type.textValue(), 1, Integer::sum);
            }
        }

        private void record(Expected expected, long number, byte[] original, byte[] line, JsonNode message) {
            JsonNode record = message.get("record");
            if (record == null || !record.isObject()) {
                dead(expected, number, "invalid_message", original);
                return;
            }
            JsonNode stream = record.get("stream");
            if (stream == null || !stream.isTextual() || stream.textValue().isEmpty()) {
                dead(expected, number, "record_without_stream", original);
                return;
            }
            JsonNode namespace = record.get("namespace");
            if (namespace != null && !namespace.isNull() && !namespace.isTextual()) {
                dead(expected, number, "invalid_message", original);
                return;
            }
            JsonNode emittedAt = record.get("emitted_at");
            if (emittedAt != null && !emittedAt.isNull() && !emittedAt.isNumber()) {
                dead(expected, number, "invalid_message", original);
                return;
            }
            JsonNode data = record.get("data");
            if (data == null || !data.isObject()) {
                dead(expected, number, "record_without_object_data", original);
                return;
            }
            String kinesisStream = route(namespace == null || namespace.isNull() ? null : namespace.textValue(),
                    stream.textValue());
            if (kinesisStream == null) {
                dead(expected, number, "stream_not_in_catalog", original);
                return;
            }
            JsonNode emitted = emittedAt == null || emittedAt.isNull() ? null : emittedAt;
            if (envelopeSize(data, emitted) > LIMIT) {
                dead(expected, number, "record_too_large", original);
                return;
            }
            expected.deliveries.add(new Expected.Delivery(kinesisStream, data, emitted));
            expected.sinceLastState.merge(kinesisStream, 1L, Long::sum);
            expected.sinceLastState.merge("", 1L, Long::sum);
            if (expected.file.getFileName().toString().equals("deep.jsonl")) {
                expected.rawData.add(rawDataText(line));
            }
        }

        /**
         * README: a STREAM state counts the records of its stream since that stream's previous
         * state; GLOBAL and LEGACY count all records since the previous state. Within its file.
         */
        private long recordCount(Expected expected, JsonNode state) {
            if ("STREAM".equals(state.path("type").asText())) {
                JsonNode descriptor = state.path("stream").path("stream_descriptor");
                String stream = descriptor.path("name").isTextual()
                        ? route(descriptor.path("namespace").isTextual() ? descriptor.path("namespace").textValue() : null,
                                descriptor.path("name").textValue())
                        : null;
                Long count = stream == null ? null : expected.sinceLastState.remove(stream);
                expected.sinceLastState.remove("");
                return count == null ? 0 : count;
            }
            long count = expected.sinceLastState.getOrDefault("", 0L);
            expected.sinceLastState.clear();
            return count;
        }

        private static void dead(Expected expected, long number, String reason, byte[] original) {
            expected.deadLetters.add(new Expected.DeadLine(number, reason, original));
        }

        /**
         * The envelope {"_airbyte_ab_id":"UUID","_airbyte_emitted_at":N,"_airbyte_data":"DATA"}
         * plus its 36-character partition key. Exact for compact ASCII data without escapes (the
         * records generated to sit at the limit); other records are kept far from it.
         */
        static long envelopeSize(JsonNode data, JsonNode emittedAt) {
            String compact;
            try {
                compact = TREE.writeValueAsString(data);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            long quoted = 2 + compact.getBytes(StandardCharsets.UTF_8).length
                    + compact.chars().filter(c -> c == '"' || c == '\\').count();
            String emitted = emittedAt == null ? Long.toString(System.currentTimeMillis()) : emittedAt.toString();
            long size = "{\"_airbyte_ab_id\":\"".length() + 36 + "\",\"_airbyte_emitted_at\":".length()
                    + emitted.length() + ",\"_airbyte_data\":".length() + quoted + "}".length() + 36;
            if (Math.abs(size - LIMIT) < 64 * 1024 && !data.has("boundary")) {
                throw new IllegalStateException("a test record is too close to the size limit to be sure: " + size);
            }
            return size;
        }

        /** The data object's text in a line generated by this class: compact, key "data", last in "record". */
        private static String rawDataText(byte[] line) {
            String text = new String(line, StandardCharsets.UTF_8);
            int start = text.indexOf("\"data\":") + "\"data\":".length();
            int end = text.lastIndexOf(",\"emitted_at\"");
            return text.substring(start, end);
        }
    }

    // ------------------------------------------------------------------------------------------
    // The generated inputs

    private static byte[] crlfFile() {
        return crlf(
                record("crlf", "{\"n\":1,\"text\":\"line\\r\\nbreak\"}", "1700000000001"),
                state("{\"crlf\":1}"),
                "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hello\"}}".getBytes(StandardCharsets.UTF_8),
                new byte[0],
                // A lone CR inside a line is JSON whitespace.
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"crlf\",\r\"data\":{\"n\":2},\"emitted_at\":2}}".getBytes(StandardCharsets.UTF_8),
                "# exported on Windows".getBytes(StandardCharsets.UTF_8),
                record("crlf", "{\"n\":3}", "3"));
    }

    private static byte[] crAtEndFile() {
        return concat(record("cr_end", "{\"n\":1}", "1"), "\r\n".getBytes(StandardCharsets.US_ASCII),
                record("cr_end", "{\"n\":2}", "2"), "\r".getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] noFinalNewlineFile() {
        return concat(record("nofinal", "{\"n\":1}", "1"), new byte[] {'\n'},
                "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"x\"}}\n".getBytes(StandardCharsets.UTF_8),
                record("nofinal", "{\"n\":2,\"last\":\"no newline after me\"}", "2"));
    }

    private static byte[] hugeFile() {
        // The padding that puts a record's envelope plus key exactly at the limit.
        long base = Oracle.envelopeSize(treeOf("{\"boundary\":\"\"}"), treeOf("1"));
        int atLimit = (int) (LIMIT - base);
        return lines(
                record("huge", "{\"n\":1}", "1"),
                record("huge", "{\"blob\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}", "2"),
                record("huge", "{\"boundary\":\"" + "y".repeat(atLimit) + "\"}", "1"),
                record("huge", "{\"boundary\":\"" + "z".repeat(atLimit + 1) + "\"}", "1"),
                state("{\"huge\":1}"));
    }

    /** Seeded random bytes, without '[', '"', digits and '-' (lines starting so are edge cases of their own). */
    private static byte[] garbageFile() {
        Random random = new Random(20240607L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 6000; i++) {
            int b = random.nextInt(256);
            if (random.nextInt(80) == 0) {
                b = '\n';
            } else if (b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9')) {
                b = 0xFF;
            }
            out.write(b);
        }
        return out.toByteArray();
    }

    private static byte[] deepFile() {
        int depth = 5000;
        StringBuilder objects = new StringBuilder("{\"d\":");
        objects.append("{\"a\":".repeat(depth)).append("1").append("}".repeat(depth)).append('}');
        StringBuilder arrays = new StringBuilder("{\"arr\":");
        arrays.append("[".repeat(depth)).append("1").append("]".repeat(depth)).append('}');
        StringBuilder mixed = new StringBuilder("{\"m\":");
        mixed.append("[{\"m\":".repeat(depth / 2)).append("null").append("}]".repeat(depth / 2)).append('}');
        return lines(
                record("deep", objects.toString(), "1"),
                record("deep", arrays.toString(), "2"),
                record("deep", mixed.toString(), "3"),
                ("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"deep\",\"extra\":" + objects + "}}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] duplicateKeysFile() {
        return lines(
                record("dupes", "{\"a\":1,\"a\":2}", "1"),
                "{\"type\":\"LOG\",\"type\":\"RECORD\",\"record\":{\"stream\":\"dupes\",\"data\":{\"k\":\"type-last-wins\"},\"emitted_at\":2}}",
                "{\"type\":\"RECORD\",\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"m\"},"
                        + "\"record\":{\"stream\":\"dupes\",\"data\":{\"k\":\"a log after all\"},\"emitted_at\":3}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"dupes\",\"data\":{\"k\":\"first\"},\"data\":{\"k\":\"second-data-wins\"},\"emitted_at\":4}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"nope\",\"stream\":\"dupes\",\"data\":{\"k\":\"stream-last-wins\"},\"emitted_at\":5}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"dupes\",\"emitted_at\":1,\"emitted_at\":6,\"data\":{\"k\":\"emitted-last-wins\"}}}",
                record("dupes", "{\"o\":{\"x\":1,\"x\":{\"y\":2}}}", "7"),
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"dupes\",\"data\":{\"k\":1},\"data\":[1],\"emitted_at\":8}}");
    }

    private static final List<String> BIG_NUMBER_LITERALS = List.of(
            "1" + "2345678901".repeat(39) + "234567890",
            "-9" + "8765432109".repeat(39) + "876543210",
            "3." + "1415926535".repeat(20) + "8979323846".repeat(20),
            "1E+400",
            "-2.5e-400",
            "-0.0",
            "0.1000000000000000055511151231257827021181583404541015625");

    private static byte[] bigNumbersFile() {
        assertEquals(400, BIG_NUMBER_LITERALS.get(0).length());
        StringBuilder data = new StringBuilder("{");
        for (int i = 0; i < BIG_NUMBER_LITERALS.size(); i++) {
            data.append(i == 0 ? "" : ",").append("\"n").append(i).append("\":").append(BIG_NUMBER_LITERALS.get(i));
        }
        data.append(",\"list\":[").append(BIG_NUMBER_LITERALS.get(0)).append(",").append(BIG_NUMBER_LITERALS.get(2)).append("]}");
        return lines(
                record("numbers", data.toString(), "1700000000000"),
                record("numbers", "{\"n\":1}", "123456789012345678901234567890"));
    }

    private static byte[] unknownStreamFile() {
        return lines(
                record("known_stream", "{\"n\":1}", "1"),
                record("missing_stream", "{\"n\":2}", "2"),
                recordIn("other_ns", "ns_stream", "{\"n\":3}", "3"),
                recordIn("whatever", "known_stream", "{\"n\":4}", "4"),
                record("Known_Stream", "{\"n\":5}", "5"),
                record("ns_stream", "{\"n\":6}", "6"),
                state("{\"unknown\":1}"));
    }

    private static byte[] commentsFile() {
        return lines(
                "# exported by a script",
                "// a comment",
                new String(record("comments", "{\"n\":1}", "1"), StandardCharsets.UTF_8),
                "   # an indented comment",
                "/* a block comment */",
                new String(record("comments", "{\"n\":2}", "2"), StandardCharsets.UTF_8) + " // a trailing comment",
                "#",
                "-- an SQL comment",
                new String(record("comments", "{\"n\":3}", "3"), StandardCharsets.UTF_8));
    }

    private static byte[] invalidUtf8File() {
        return lines(
                record("utf8", "{\"s\":\"café – 😀 Σ Рома\"}", "1"),
                bytes("\u00FF\u00FE not text at all"),
                recordLatin1("{\"s\":\"lone continuation \u0080 byte\"}"),
                recordLatin1("{\"s\":\"overlong slash \u00C0\u00AF\"}"),
                recordLatin1("{\"s\":\"encoded surrogate \u00ED\u00A0\u0080\"}"),
                recordLatin1("{\"s\":\"beyond U+10FFFF \u00F5\u0080\u0080\u0080\"}"),
                recordLatin1("{\"s\":\"truncated \u00E2\u0082\"}"),
                bytes("{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"bad \u00FF byte\"}}"),
                recordLatin1("{\"key \u00C3\":1}"),
                bytes("{\"type\":\"RECORD\",\"record\":{\"stream\":\"utf\u00808\",\"data\":{},\"emitted_at\":1}}"),
                recordLatin1("{\"s\":\"caf\u00E9 in Latin-1\"}"),
                record("utf8", "{\"n\":2}", "2"));
    }

    private static byte[] notObjectsFile() {
        return lines(
                "[" + new String(record("arrays", "{\"n\":0}", "1"), StandardCharsets.UTF_8) + "]",
                "[]",
                "\"a string\"",
                "42",
                "null",
                "true",
                new String(record("arrays", "{\"n\":1}", "1"), StandardCharsets.UTF_8),
                "  [1, 2, 3]  ",
                "-1.5e3");
    }

    private static byte[] notObjectEdgeCasesFile() {
        return lines(
                bytes("[1,2"),
                bytes("1 2"),
                bytes("[1,\"\u00FF\"]"),
                bytes("\"unterminated"),
                bytes("{} {}"),
                record("edge", "{\"n\":1}", "1"));
    }

    private static byte[] invalidMessagesFile() {
        return lines(
                "{}",
                "{\"type\":5}",
                "{\"type\":\"RECORD\"}",
                "{\"type\":\"RECORD\",\"record\":[1]}",
                "{\"type\":\"RECORD\",\"record\":{\"data\":{},\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"\",\"data\":{},\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":5,\"data\":{},\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"invalid_msgs\",\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"invalid_msgs\",\"data\":[1],\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"invalid_msgs\",\"data\":\"{}\",\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"invalid_msgs\",\"namespace\":5,\"data\":{},\"emitted_at\":1}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"invalid_msgs\",\"data\":{},\"emitted_at\":\"1700000000000\"}}",
                "{\"type\":\"STATE\"}",
                "{\"type\":\"STATE\",\"state\":[]}",
                "{\"type\":\"TRACE\",\"trace\":{\"type\":\"ERROR\",\"emitted_at\":1.0,\"error\":{\"message\":\"the source failed\"}}}",
                "{\"type\":\"CONTROL\",\"control\":{\"type\":\"CONNECTOR_CONFIG\",\"emitted_at\":1.0,\"connectorConfig\":{\"config\":{}}}}",
                "{\"type\":\"SOMETHING_NEW\",\"x\":1}",
                new String(record("invalid_msgs", "{\"n\":1}", "1"), StandardCharsets.UTF_8),
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"no_emitted_at\",\"data\":{\"n\":\"none\"}}}",
                "{\"type\":\"RECORD\",\"record\":{\"stream\":\"no_emitted_at\",\"data\":{\"n\":\"null\"},\"emitted_at\":null}}",
                "{\"type\":\"record\",\"record\":{\"stream\":\"invalid_msgs\",\"data\":{\"n\":\"lowercase type\"},\"emitted_at\":1}}");
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    private static byte[] record(String stream, String data, String emittedAt) {
        return recordIn(null, stream, data, emittedAt);
    }

    private static byte[] recordIn(String namespace, String stream, String data, String emittedAt) {
        return ("{\"type\":\"RECORD\",\"record\":{" + (namespace == null ? "" : "\"namespace\":\"" + namespace + "\",")
                + "\"stream\":\"" + stream + "\",\"data\":" + data + ",\"emitted_at\":" + emittedAt + "}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A RECORD of stream utf8 whose data is given as ISO-8859-1 characters, one per byte. */
    private static byte[] recordLatin1(String data) {
        return bytes("{\"type\":\"RECORD\",\"record\":{\"stream\":\"utf8\",\"data\":" + data + ",\"emitted_at\":1}}");
    }

    private static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] state(String data) {
        return ("{\"type\":\"STATE\",\"state\":{\"type\":\"LEGACY\",\"data\":" + data + "}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] lines(Object... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object line : lines) {
            out.writeBytes(line instanceof byte[] ? (byte[]) line : ((String) line).getBytes(StandardCharsets.UTF_8));
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] crlf(byte[]... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] line : lines) {
            out.writeBytes(line);
            out.write('\r');
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static Path write(Path dir, String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static List<String[]> streams(String... names) {
        List<String[]> streams = new ArrayList<>();
        for (String name : names) {
            streams.add(new String[] {null, name});
        }
        return streams;
    }

    /** The corpus's stream names are Kinesis-safe already: the Kinesis stream is the plain join. */
    static String kinesisName(String namespace, String stream) {
        return (namespace == null ? "" : namespace) + "_" + stream;
    }

    private static List<String[]> recordStreamsOf(Path file) throws IOException {
        Set<List<String>> streams = new LinkedHashSet<>();
        for (byte[] line : splitLines(Files.readAllBytes(file))) {
            if (isBlank(line)) {
                continue;
            }
            JsonNode message = Oracle.TREE.readTree(line);
            if ("RECORD".equals(message.path("type").asText())) {
                JsonNode record = message.get("record");
                streams.add(Arrays.asList(record.hasNonNull("namespace") ? record.get("namespace").asText() : null,
                        record.get("stream").asText()));
            }
        }
        return streams.stream().map(s -> new String[] {s.get(0), s.get(1)}).collect(Collectors.toList());
    }

    private static String catalogJson(List<String[]> streams) {
        ObjectNode catalog = Oracle.TREE.createObjectNode();
        ArrayNode array = catalog.putArray("streams");
        for (String[] stream : streams) {
            ObjectNode entry = array.addObject();
            ObjectNode descriptor = entry.putObject("stream");
            descriptor.put("name", stream[1]);
            if (stream[0] != null) {
                descriptor.put("namespace", stream[0]);
            }
            entry.put("destination_sync_mode", "append");
        }
        return catalog.toString();
    }

    /** Lines at LF; a CR right before the LF belongs to the line end; a last line needs no LF. */
    static List<byte[]> splitLines(byte[] content) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                int end = i > start && content[i - 1] == '\r' ? i - 1 : i;
                lines.add(Arrays.copyOfRange(content, start, end));
                start = i + 1;
            }
        }
        if (start < content.length) {
            lines.add(Arrays.copyOfRange(content, start, content.length));
        }
        return lines;
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    static boolean validUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(Arrays.copyOf(bytes, prefix.length), prefix);
    }

    private static JsonNode treeOf(String json) {
        try {
            return Oracle.TREE.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A released STATE without the destinationStats the job adds. */
    private static JsonNode withoutStats(byte[] released) throws IOException {
        ObjectNode state = (ObjectNode) Oracle.TREE.readTree(released);
        ((ObjectNode) state.get("state")).remove("destinationStats");
        return state;
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Map<String, Long> prefixed(Map<String, Object> counters, String prefix) {
        Map<String, Long> values = new TreeMap<>();
        counters.forEach((name, value) -> {
            if (name.startsWith(prefix) && (Long) value != 0) {
                values.put(name.substring(prefix.length()), (Long) value);
            }
        });
        return values;
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "... (" + text.length() + " chars)" : text;
    }

    /** Trees 5000 levels deep are compared and hashed recursively: give them room. */
    private static <T> T onBigStack(Callable<T> work) throws Exception {
        AtomicReference<T> value = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                value.set(work.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "big-stack", 512L * 1024 * 1024);
        thread.start();
        thread.join();
        Throwable t = failure.get();
        if (t instanceof Exception) {
            throw (Exception) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return value.get();
    }
}
