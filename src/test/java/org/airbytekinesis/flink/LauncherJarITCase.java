package org.airbytekinesis.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.testing.Corpus;
import org.airbytekinesis.flink.testing.Deaggregation;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged job jar, as users run it: through {@code bin/airbyte-kinesis} and through Flink's
 * own CLI front end ({@code flink run}, user-code class loader), against kinesalite. Run by
 * Failsafe after {@code package}.
 */
class LauncherJarITCase {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path JAR = ROOT.resolve("target/airbyte-kinesis-flink.jar");
    private static final String SECRET = "SECRET-SENTINEL-4f1c9e";

    private static KinesisEmulator emulator;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEmulator() throws Exception {
        emulator = KinesisEmulator.kinesalite();
    }

    @AfterAll
    static void stopEmulator() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void theLauncherWritesEveryRecordPrintsOnlyAirbyteMessagesOnStdoutAndNeverTheSecret() throws Exception {
        Path config = emulator.writeConfig(dir, Map.of("privateKey", SECRET, "someFutureOption", true));
        Path messages = Corpus.file("messages__faros__octopus_all-streams.log");

        Result result = launch("write", "--config", config.toString(),
                "--catalog", Corpus.file("catalog__faros__octopus_catalog.json").toString(),
                "--input", messages.toString());

        assertEquals(0, result.exitCode, result.stderr);
        // stdout is reserved for Airbyte messages: here the input's two STATEs.
        List<String> stdout = result.stdout.lines().collect(Collectors.toList());
        assertEquals(2, stdout.size(), result.stdout);
        for (String line : stdout) {
            assertEquals("STATE", ExpectedRecords.EXACT.readTree(line).get("type").asText(), line);
        }
        assertTrue(result.stderr.contains("ignoring unknown keys [someFutureOption]"), result.stderr);
        assertTrue(result.stderr.contains("wrote 12 records to 2 Kinesis streams"), result.stderr);
        assertFalse(result.stderr.contains(SECRET));
        assertFalse(result.logs.contains(SECRET), "the log file holds no secret");

        ExpectedRecords expected = ExpectedRecords.fromFiles((ns, stream) -> "_" + stream, messages);
        try (KinesisClient client = emulator.client()) {
            expected.assertKinesisHolds(client, true);
        }
    }

    @Test
    void withOnBadInputFailABadLineMakesTheLauncherExitNonZeroWithOneErrorLineNamingFileAndLine() throws Exception {
        Path input = dir.resolve("bad.jsonl");
        Files.writeString(input, "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}\n"
                + "{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"emitted_at\":1}}\n");
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, "{\"streams\":[{\"stream\":{\"name\":\"s\"}}]}");

        Result result = launch("write", "--config", emulator.writeConfig(dir, Map.of("onBadInput", "fail")).toString(),
                "--catalog", catalog.toString(), "--input", input.toString());

        assertEquals(1, result.exitCode, result.stderr);
        List<String> errorLines = result.stderr.lines().filter(l -> l.startsWith("error: ")).collect(Collectors.toList());
        String error = input + " line 2: record has no \"data\"";
        assertEquals(List.of("error: " + error), errorLines, result.stderr);
        // The Airbyte platform gets the failure as a TRACE ERROR, the only line on stdout.
        List<String> stdout = result.stdout.lines().collect(Collectors.toList());
        assertEquals(1, stdout.size(), result.stdout);
        JsonNode trace = ExpectedRecords.EXACT.readTree(stdout.get(0));
        assertEquals("TRACE", trace.get("type").asText());
        assertEquals("ERROR", trace.get("trace").get("type").asText());
        assertEquals(error, trace.get("trace").get("error").get("message").asText());
    }

    @Test
    void commentAndInvalidLinesGoToTheDeadLetterDirectoryWhileEveryGoodRecordIsDelivered() throws Exception {
        Path messages = Corpus.file("messages__faros__octopus_all-streams.log");
        List<String> lines = new ArrayList<>(Files.readAllLines(messages, StandardCharsets.UTF_8));
        lines.add(0, "# exported by a script");
        lines.add(5, "// another comment");
        lines.add(9, "{\"type\":\"RECORD\",\"record\":{\"stream\":\"mytestsource__octopus__releases\",\"data\":{\"id\":");
        Path input = dir.resolve("with-bad-lines.log");
        Files.write(input, lines, StandardCharsets.UTF_8);

        Result result = launch("write", "--config", emulator.writeConfig(dir, Map.of()).toString(),
                "--catalog", Corpus.file("catalog__faros__octopus_catalog.json").toString(), "--input", input.toString());

        assertEquals(0, result.exitCode, result.stderr);
        assertTrue(result.stderr.contains("dead letters, not_json: 3"), result.stderr);
        List<JsonNode> deadLetters = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("dead-letter"))) {
            for (Path file : files.filter(f -> !f.getFileName().toString().startsWith(".")).collect(Collectors.toList())) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    deadLetters.add(ExpectedRecords.EXACT.readTree(line));
                }
            }
        }
        deadLetters.sort(java.util.Comparator.comparingLong(d -> d.get("line").longValue()));
        assertEquals(List.of(1L, 6L, 10L), deadLetters.stream().map(d -> d.get("line").longValue()).collect(Collectors.toList()));
        for (JsonNode deadLetter : deadLetters) {
            assertEquals("not_json", deadLetter.get("reason").asText());
            assertEquals(input.toString(), deadLetter.get("source").asText());
            int line = deadLetter.get("line").intValue();
            assertEquals(lines.get(line - 1), deadLetter.get("original").asText(), "the line as it was");
            assertEquals(lines.get(line - 1), new String(java.util.Base64.getDecoder().decode(
                    deadLetter.get("original_base64").asText()), StandardCharsets.UTF_8));
        }
        ExpectedRecords expected = ExpectedRecords.fromFiles((ns, stream) -> "_" + stream, messages);
        try (KinesisClient client = emulator.client()) {
            expected.assertKinesisHolds(client, true);
        }
    }

    @Test
    void aBoundedSocketInputDeliversEveryRecordAndEndsWhenTheServerCloses() throws Exception {
        Path messages = Corpus.file("messages__faros__octopus_all-streams.log");
        byte[] content = Files.readAllBytes(messages);
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                try (java.net.Socket client = server.accept()) {
                    client.getOutputStream().write(content);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            serving.start();
            Result result = launch("write", "--config", emulator.writeConfig(dir, Map.of()).toString(),
                    "--catalog", Corpus.file("catalog__faros__octopus_catalog.json").toString(),
                    "--input", "tcp://127.0.0.1:" + server.getLocalPort(), "--bounded");
            serving.join(10_000);
            assertEquals(0, result.exitCode, result.stderr);
            assertEquals(2, result.stdout.lines().count(), "the two STATEs: " + result.stdout);
        }
        ExpectedRecords expected = ExpectedRecords.fromFiles((ns, stream) -> "_" + stream, messages);
        try (KinesisClient client = emulator.client()) {
            expected.assertKinesisHolds(client, true);
        }
    }

    @Test
    void aConfigErrorNamesTheKey() throws Exception {
        Path catalog = dir.resolve("catalog.json");
        Files.writeString(catalog, "{\"streams\":[{\"stream\":{\"name\":\"s\"}}]}");
        Result result = launch("write", "--config", emulator.writeConfig(dir, Map.of("bufferSize", 501)).toString(),
                "--catalog", catalog.toString(), "--input", catalog.toString());
        assertEquals(1, result.exitCode);
        assertEquals("error: config: bufferSize must be between 1 and 500, got 501", result.stderr.strip());
        assertTrue(result.stdout.contains("\"failure_type\":\"config_error\""), result.stdout);
    }

    @Test
    void messagesPipedOnStdinGiveExactlyTheirStatesOnStdoutInOrderWithRecordCounts() throws Exception {
        Path config = emulator.writeConfig(dir, Map.of());
        Path catalog = Corpus.file("catalog__faros__octopus_catalog.json");
        for (String file : List.of("messages__faros__octopus_all-streams.log", "messages__faros_local_cli__test_src_input.jsonl")) {
            Path messages = Corpus.file(file);
            Result result = launchWithStdin(messages, "write", "--config", config.toString(), "--catalog", catalog.toString());
            assertEquals(0, result.exitCode, result.stderr);

            List<JsonNode> expectedStates = new ArrayList<>();
            List<Integer> recordsBefore = new ArrayList<>();
            int records = 0;
            for (String line : Files.readAllLines(messages, StandardCharsets.UTF_8)) {
                JsonNode message = ExpectedRecords.EXACT.readTree(line);
                if ("RECORD".equals(message.get("type").asText())) {
                    records++;
                } else if ("STATE".equals(message.get("type").asText())) {
                    expectedStates.add(message);
                    recordsBefore.add(records);
                    records = 0;
                }
            }
            List<String> stdout = result.stdout.lines().collect(Collectors.toList());
            assertEquals(expectedStates.size(), stdout.size(), file + ": " + result.stdout);
            for (int i = 0; i < stdout.size(); i++) {
                ObjectNode released = (ObjectNode) ExpectedRecords.EXACT.readTree(stdout.get(i));
                JsonNode stats = ((ObjectNode) released.get("state")).remove("destinationStats");
                assertEquals(expectedStates.get(i), released, file + ": state " + i + " as it came");
                assertTrue(stats.get("recordCount").isFloatingPointNumber(), "recordCount is a double");
                assertEquals(recordsBefore.get(i).doubleValue(), stats.get("recordCount").doubleValue(), file + ": state " + i);
            }
        }
    }

    @Test
    void theJarRunsThroughFlinksCliFrontEndWithTheUserCodeClassLoader() throws Exception {
        Path config = emulator.writeConfig(dir, Map.of());
        Path confDir = Files.createDirectories(dir.resolve("flink-conf"));
        Files.writeString(confDir.resolve("config.yaml"), "parallelism:\n  default: 2\n");
        Path messages = Corpus.file("messages__faros__bitbucket_all-streams.log");
        Path catalog = dir.resolve("bitbucket-catalog.json");
        Files.writeString(catalog, catalogOfStreamsIn(messages));

        List<String> command = new ArrayList<>(List.of("java",
                "@" + ROOT.resolve("flink-conf/java17-module-opens.args"),
                "-Daws.cborEnabled=false",
                "-Dlog4j2.configurationFile=" + ROOT.resolve("flink-conf/log4j-launcher.properties"),
                "-Dairbyte.kinesis.log.file=" + dir.resolve("cli.log"),
                "-cp", Files.readString(ROOT.resolve("target/launcher-classpath.txt")).strip(),
                "org.apache.flink.client.cli.CliFrontend", "run", "-t", "local", JAR.toString(),
                "write", "--config", config.toString(), "--catalog", catalog.toString(), "--input", messages.toString()));
        Result result = run(command, Map.of("FLINK_CONF_DIR", confDir.toString()), dir.resolve("cli.log"));

        assertEquals(0, result.exitCode, result.stderr + result.stdout);
        ExpectedRecords expected = ExpectedRecords.fromFiles((ns, stream) -> "_" + stream, messages);
        assertEquals(71, expected.total());
        try (KinesisClient client = emulator.client()) {
            expected.assertKinesisHolds(client, true);
        }
    }

    @Test
    void withKplAggregationTheJarWritesAggregatesThatKcl3UnpacksIntoEveryRecord() throws Exception {
        Path messages = Corpus.file("messages__faros__jira_all-streams.log");
        Path catalog = dir.resolve("jira-catalog.json");
        Files.writeString(catalog, catalogOfStreamsIn(messages));

        // The jar's relocated protobuf encodes the aggregates.
        Result result = launch("write", "--config", emulator.writeConfig(dir, Map.of("aggregation", "kpl")).toString(),
                "--catalog", catalog.toString(), "--input", messages.toString());

        assertEquals(0, result.exitCode, result.stderr);
        ExpectedRecords expected = ExpectedRecords.fromFiles((ns, stream) -> "_" + stream, messages);
        int kinesisRecords = 0;
        try (KinesisClient client = emulator.client()) {
            org.airbytekinesis.flink.tools.KinesisStreamReader reader = new org.airbytekinesis.flink.tools.KinesisStreamReader(client);
            for (String stream : expected.byStream().keySet()) {
                List<software.amazon.awssdk.services.kinesis.model.Record> raw = reader.readAll(stream);
                kinesisRecords += raw.size();
                List<software.amazon.awssdk.services.kinesis.model.Record> users = new ArrayList<>();
                for (software.amazon.kinesis.retrieval.KinesisClientRecord user : Deaggregation.userRecords(raw)) {
                    users.add(software.amazon.awssdk.services.kinesis.model.Record.builder()
                            .data(software.amazon.awssdk.core.SdkBytes.fromByteBuffer(user.data()))
                            .partitionKey(user.partitionKey()).build());
                }
                expected.assertStreamHolds(stream, users, true);
            }
        }
        assertTrue(kinesisRecords < expected.total(), kinesisRecords + " Kinesis records for " + expected.total() + " records");
    }

    @Test
    void theJobJarBundlesTheConnectorAndRelocatedJacksonButNoFlinkRuntimeOrLogging() throws IOException {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertEquals("org.airbytekinesis.flink.AirbyteKinesisMain",
                    jar.getManifest().getMainAttributes().getValue("Main-Class"));
            List<String> entries = Collections.list(jar.entries()).stream().map(e -> e.getName()).collect(Collectors.toList());
            assertTrue(entries.contains("org/apache/flink/connector/kinesis/sink/KinesisStreamsSink.class"));
            assertTrue(entries.stream().anyMatch(e -> e.startsWith("org/apache/flink/kinesis/shaded/software/amazon/awssdk/")));
            assertTrue(entries.stream().anyMatch(e -> e.startsWith("org/airbytekinesis/shaded/com/fasterxml/jackson/core/")));
            assertTrue(entries.contains("org/airbytekinesis/shaded/com/google/protobuf/CodedOutputStream.class"));
            for (String forbidden : List.of("com/fasterxml/", "com/google/protobuf/", "org/apache/logging/", "org/slf4j/", "com/google/common/",
                    "org/apache/commons/", "org/joda/", "org/apache/flink/runtime/", "org/apache/flink/api/common/",
                    "org/apache/flink/streaming/api/environment/", "org/apache/hc/", "io/netty/")) {
                assertFalse(entries.stream().anyMatch(e -> e.startsWith(forbidden)), "the jar bundles " + forbidden);
            }
        }
    }

    private String catalogOfStreamsIn(Path messages) throws IOException {
        List<String> streams;
        try (Stream<String> lines = Files.lines(messages)) {
            streams = lines.map(line -> {
                        try {
                            return ExpectedRecords.EXACT.readTree(line);
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    })
                    .filter(m -> "RECORD".equals(m.path("type").asText()))
                    .map(m -> m.get("record").get("stream").asText())
                    .distinct()
                    .collect(Collectors.toList());
        }
        return streams.stream()
                .map(s -> "{\"stream\":{\"name\":\"" + s + "\"},\"destination_sync_mode\":\"append\"}")
                .collect(Collectors.joining(",", "{\"streams\":[", "]}"));
    }

    private Result launch(String... args) throws Exception {
        return launchWithStdin(null, args);
    }

    private Result launchWithStdin(Path stdin, String... args) throws Exception {
        Path logDir = Files.createDirectories(dir.resolve("logs"));
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/airbyte-kinesis").toString());
        command.addAll(List.of(args));
        // No CBOR option here: the launcher must work with kinesalite as it is.
        return run(command, Map.of("AIRBYTE_KINESIS_LOG_DIR", logDir.toString()), logDir, stdin);
    }

    private Result run(List<String> command, Map<String, String> env, Path logs) throws Exception {
        return run(command, env, logs, null);
    }

    private Result run(List<String> command, Map<String, String> env, Path logs, Path stdin) throws Exception {
        File stdout = dir.resolve("stdout.txt").toFile();
        File stderr = dir.resolve("stderr.txt").toFile();
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(stdout).redirectError(stderr).redirectInput(ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin.toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        StringBuilder logText = new StringBuilder();
        if (Files.isDirectory(logs)) {
            try (Stream<Path> files = Files.list(logs)) {
                for (Path file : files.collect(Collectors.toList())) {
                    logText.append(Files.readString(file, StandardCharsets.UTF_8));
                }
            }
        } else if (Files.exists(logs)) {
            logText.append(Files.readString(logs, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(),
                Files.readString(stdout.toPath(), StandardCharsets.UTF_8),
                Files.readString(stderr.toPath(), StandardCharsets.UTF_8),
                logText.toString());
    }

    private static final class Result {
        final int exitCode;
        final String stdout;
        final String stderr;
        final String logs;

        Result(int exitCode, String stdout, String stderr, String logs) {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
            this.logs = logs;
        }
    }
}
