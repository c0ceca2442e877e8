package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The two credentials (accessKey, privateKey) never show anywhere: a sentinel value is planted
 * as each, and everything the job writes is searched for both, byte for byte. The launcher
 * ({@code bin/airbyte-kinesis}) runs as a process for {@code write} (records, STATEs, LOG, a
 * TRACE ERROR, bad lines, {@code --state-out}, {@code --dead-letter}), {@code check} (succeeding
 * and failing) and failing {@code write}s; searched are its stdout (with the TRACE ERROR of a
 * failure), stderr, the log file, the dead-letter and state-out files, and whatever else stays
 * in its working and temporary directories; once more with the launcher's log raised to DEBUG.
 * On a MiniCluster, the REST API's view of the job (configuration, plan, vertices, accumulators,
 * exceptions) is searched. Run by Failsafe after {@code package}.
 */
class SecretsJarITCase {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String NONCE = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private static final String ACCESS_KEY = "SECRET-SENTINEL-ACCESS-" + NONCE;
    private static final String PRIVATE_KEY = "SECRET-SENTINEL-PRIVATE-" + NONCE;
    private static final List<String> SENTINELS = List.of(ACCESS_KEY, PRIVATE_KEY);

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

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

    // ------------------------------------------------------------------------------------------
    // The launcher

    @Test
    void aWriteWithRecordsStatesLogsATraceErrorAndBadLinesShowsNeitherKeyAnywhere() throws Exception {
        Path config = config("config", Map.of("someFutureOption", "x"));
        Path catalog = catalog("launcher_s1", "launcher_s2");
        Path input = input("launcher_s1", "launcher_s2");
        Path runDir = Files.createDirectories(dir.resolve("write"));

        Run run = launch(runDir, "write", "--config", config.toString(), "--catalog", catalog.toString(),
                "--input", input.toString(), "--state-out", runDir.resolve("state-out.jsonl").toString(),
                "--dead-letter", runDir.resolve("dead-letter").toString(), "--checkpoint-interval", "300ms");

        assertEquals(0, run.exitCode, run.stderr);
        // It really produced everything that is searched.
        List<String> stdout = run.stdout.lines().collect(Collectors.toList());
        assertEquals(3, stdout.size(), run.stdout);
        for (String line : stdout) {
            assertEquals("STATE", ExpectedRecords.EXACT.readTree(line).get("type").asText(), line);
        }
        assertEquals(3, Files.readAllLines(runDir.resolve("state-out.jsonl")).size());
        assertTrue(run.stderr.contains("The source reported an error"), run.stderr);
        assertTrue(run.stderr.contains("ignoring unknown keys [someFutureOption]"), run.stderr);
        assertTrue(run.stderr.contains("5 lines went to the dead-letter output"), run.stderr);
        assertEquals(5, deadLetterLines(runDir.resolve("dead-letter")), "dead letters");
        try (KinesisClient client = emulator.client()) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            assertEquals(3, reader.readAll("_launcher_s1").size());
            assertEquals(2, reader.readAll("ns_launcher_s2").size());
        }
        assertNoSentinelIn(run);
    }

    @Test
    void checkShowsNeitherKeyWhenItSucceedsNorWhenTheEndpointRefusesTheConnection() throws Exception {
        Run succeeded = launch(Files.createDirectories(dir.resolve("check-ok")),
                "check", "--config", config("config-ok", Map.of()).toString());
        assertEquals(0, succeeded.exitCode, succeeded.stderr);
        assertEquals("SUCCEEDED", connectionStatus(succeeded).path("status").asText(), succeeded.stdout);
        assertNoSentinelIn(succeeded);

        String closed = closedPortEndpoint();
        Run refused = launch(Files.createDirectories(dir.resolve("check-refused")),
                "check", "--config", config("config-refused", Map.of("endpoint", closed)).toString());
        assertEquals(0, refused.exitCode, refused.stderr);
        JsonNode status = connectionStatus(refused);
        assertEquals("FAILED", status.path("status").asText(), refused.stdout);
        // README: "cannot connect to ENDPOINT: connection refused"; with the launcher's
        // -Daws.maxAttempts=10 it is "no answer from ENDPOINT in time" today. Either names it.
        assertTrue(status.path("message").asText().contains(closed), status.toString());
        assertNoSentinelIn(refused);
    }

    @Test
    void aWriteThatFailsOnItsConfigOrItsEndpointShowsNeitherKeyInItsErrorTraceOrLog() throws Exception {
        Path catalog = catalog("failing_s1", "failing_s2");
        Path input = input("failing_s1", "failing_s2");

        Path badConfigDir = Files.createDirectories(dir.resolve("write-buffer-size-0"));
        Run badConfig = launch(badConfigDir, "write", "--config", config("config-buffer-0", Map.of("bufferSize", 0)).toString(),
                "--catalog", catalog.toString(), "--input", input.toString(),
                "--state-out", badConfigDir.resolve("state-out.jsonl").toString());
        assertEquals(1, badConfig.exitCode, badConfig.stderr);
        assertEquals("error: config: bufferSize must be between 1 and 500, got 0", lastLine(badConfig.stderr));
        assertTrue(badConfig.stdout.contains("\"failure_type\":\"config_error\""), badConfig.stdout);
        assertNoSentinelIn(badConfig);

        Path badEndpointDir = Files.createDirectories(dir.resolve("write-bad-endpoint"));
        String endpoint = closedPortEndpoint();
        // One SDK attempt: with the launcher's -Daws.maxAttempts=10 the refused connection is retried
        // until the 20 s call time-out, too slow here; the messages on that path hold no secret either.
        Run badEndpoint = launchWith(badEndpointDir, "-Daws.maxAttempts=1", "write",
                "--config", config("config-bad-endpoint", Map.of("endpoint", endpoint)).toString(),
                "--catalog", catalog.toString(), "--input", input.toString(),
                "--state-out", badEndpointDir.resolve("state-out.jsonl").toString());
        assertEquals(1, badEndpoint.exitCode, badEndpoint.stderr);
        assertTrue(lastLine(badEndpoint.stderr).startsWith("error: ") && lastLine(badEndpoint.stderr).contains(endpoint),
                badEndpoint.stderr);
        assertTrue(badEndpoint.stdout.contains("\"type\":\"TRACE\""), badEndpoint.stdout);
        assertNoSentinelIn(badEndpoint);
    }

    /**
     * Servers may repeat what they got: AWS and kinesalite answer a malformed Authorization
     * header with IncompleteSignatureException and the whole header, access key id included
     * (here made malformed by an access key that starts with '='). check redacts it; write must
     * too.
     */
    @Test
    void aWriteWhoseCredentialsTheEndpointRefusesShowsNeitherKeyEvenWhenTheServerEchoesTheAccessKey() throws Exception {
        Path config = config("config-echo", Map.of("accessKey", "=" + ACCESS_KEY));
        Path checkDir = Files.createDirectories(dir.resolve("check-echo"));
        Run check = launch(checkDir, "check", "--config", config.toString());
        assertEquals("FAILED", connectionStatus(check).path("status").asText(), check.stdout);
        assertTrue(connectionStatus(check).path("message").asText().contains("IncompleteSignatureException"), check.stdout);

        Path writeDir = Files.createDirectories(dir.resolve("write-echo"));
        Run write = launch(writeDir, "write", "--config", config.toString(),
                "--catalog", catalog("echo_s1", "echo_s2").toString(), "--input", input("echo_s1", "echo_s2").toString());
        assertEquals(1, write.exitCode, write.stderr);
        assertTrue(write.stderr.contains("IncompleteSignatureException"), write.stderr);

        assertAll(() -> assertNoSentinelIn(check), () -> assertNoSentinelIn(write));
    }

    /**
     * The launcher's own log configuration with its levels raised to DEBUG, as someone chasing a
     * problem would: the log must still hold neither key. (At DEBUG, Netty's LoggingHandler in the
     * Kinesis connector's shaded AWS SDK logs every HTTP request whole, with its Authorization
     * header, whose Credential= is the access key id.)
     */
    @Test
    void aWriteWithTheLaunchersLogRaisedToDebugShowsNeitherKeyInTheLog() throws Exception {
        String launcherLog = Files.readString(ROOT.resolve("flink-conf/log4j-launcher.properties"));
        String debugLog = launcherLog.replaceAll("(?m)^(rootLogger\\.level|logger\\.job\\.level)\\s*=\\s*INFO\\s*$", "$1 = DEBUG");
        assertTrue(debugLog.contains("rootLogger.level = DEBUG"), debugLog);
        Path debugConfig = Files.createDirectories(dir.resolve("configs")).resolve("log4j-debug.properties");
        Files.writeString(debugConfig, debugLog);
        Path runDir = Files.createDirectories(dir.resolve("write-debug"));

        Run run = launchWith(runDir, "-Dlog4j2.configurationFile=" + debugConfig, "write",
                "--config", config("config-debug", Map.of()).toString(),
                "--catalog", catalog("debug_s1", "debug_s2").toString(), "--input", input("debug_s1", "debug_s2").toString(),
                "--dead-letter", runDir.resolve("dead-letter").toString(), "--checkpoint-interval", "300ms");

        assertEquals(0, run.exitCode, run.stderr);
        assertTrue(run.logs.contains(" DEBUG "), "the log is at DEBUG");
        assertNoSentinelIn(run);
    }

    // ------------------------------------------------------------------------------------------
    // The REST API of the cluster the job runs on

    @Test
    void theRestApiShowsNeitherKeyInTheJobsConfigurationPlanVerticesAccumulatorsOrExceptions(
            @InjectClusterClient ClusterClient<?> cluster) throws Exception {
        Path config = config("config-rest", Map.of());
        Path stateOut = dir.resolve("rest-state-out.jsonl");
        List<String> args = List.of("--config", config.toString(), "--catalog", catalog("rest_s1", "rest_s2").toString(),
                "--input", input("rest_s1", "rest_s2").toString(), "--state-out", stateOut.toString(),
                "--dead-letter", dir.resolve("rest-dead-letter").toString(), "--checkpoint-interval", "200ms");
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        new WriteCommand(new PrintStream(summary, true, StandardCharsets.UTF_8)).run(WriteOptions.parse(args));
        assertEquals(3, Files.readAllLines(stateOut).size(), "the job ran to its end");

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = cluster.getWebInterfaceURL();
        JsonNode overview = ExpectedRecords.EXACT.readTree(get(http, base + "/jobs/overview"));
        String jobId = null;
        for (JsonNode job : overview.path("jobs")) {
            if (job.path("name").asText().startsWith("airbyte-kinesis write")) {
                jobId = job.path("jid").asText();
            }
        }
        assertTrue(jobId != null, "the job is listed: " + overview);

        Map<String, String> pages = new LinkedHashMap<>();
        for (String path : List.of("/jobs/overview", "/jobs/" + jobId, "/jobs/" + jobId + "/config",
                "/jobs/" + jobId + "/plan", "/jobs/" + jobId + "/exceptions", "/jobs/" + jobId + "/accumulators",
                "/jobs/" + jobId + "/checkpoints", "/jobs/" + jobId + "/checkpoints/config",
                "/jobs/" + jobId + "/jobmanager/config", "/jobs/" + jobId + "/jobmanager/environment",
                "/jobmanager/config", "/taskmanagers")) {
            pages.put(path, get(http, base + path));
        }
        JsonNode details = ExpectedRecords.EXACT.readTree(pages.get("/jobs/" + jobId));
        for (JsonNode vertex : details.path("vertices")) {
            String vertexPath = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText();
            for (String suffix : List.of("", "/accumulators", "/subtasks/accumulators", "/taskmanagers")) {
                pages.put(vertexPath + suffix, get(http, base + vertexPath + suffix));
            }
        }
        // The plan is the real one, with the operators' names.
        String plan = pages.get("/jobs/" + jobId + "/plan");
        assertTrue(plan.contains("Kinesis _rest_s1") && plan.contains("Kinesis ns_rest_s2"), plan);
        assertTrue(pages.get("/jobs/" + jobId + "/config").contains("execution-config"), pages.get("/jobs/" + jobId + "/config"));

        List<Executable> checks = new ArrayList<>();
        for (Map.Entry<String, String> page : pages.entrySet()) {
            checks.add(() -> assertNoSentinel("GET " + page.getKey(), page.getValue()));
        }
        checks.add(() -> assertNoSentinel("the run summary", summary.toString(StandardCharsets.UTF_8)));
        assertAll(checks);
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    private Path config(String name, Map<String, Object> extra) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("accessKey", ACCESS_KEY);
        values.put("privateKey", PRIVATE_KEY);
        values.putAll(extra);
        // Outside every directory that is searched: only the config itself may hold the keys.
        Path configDir = Files.createDirectories(dir.resolve("configs").resolve(name));
        return emulator.writeConfig(configDir, values);
    }

    private Path catalog(String stream, String namespacedStream) throws IOException {
        Path file = Files.createDirectories(dir.resolve("inputs")).resolve("catalog-" + stream + ".json");
        Files.writeString(file, "{\"streams\":[{\"stream\":{\"name\":\"" + stream + "\"},\"destination_sync_mode\":\"append\"},"
                + "{\"stream\":{\"name\":\"" + namespacedStream + "\",\"namespace\":\"ns\"},\"destination_sync_mode\":\"append\"}]}");
        return file;
    }

    /**
     * Everything a sync sends: LOG, RECORDs of two streams, STREAM/GLOBAL/LEGACY STATEs, TRACE
     * STREAM_STATUS and ERROR, a blank line and five bad lines (a comment, broken JSON, a stream
     * missing from the catalog, invalid UTF-8, an array).
     */
    private Path input(String stream, String namespacedStream) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> lines = new ArrayList<>(List.of(
                "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"starting the sync\"}}",
                record(null, stream, 1), record(null, stream, 2), record("ns", namespacedStream, 1),
                "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"" + stream
                        + "\"},\"stream_state\":{\"cursor\":2}}}}",
                "{\"type\":\"TRACE\",\"trace\":{\"type\":\"STREAM_STATUS\",\"emitted_at\":1.0,\"stream_status\":"
                        + "{\"stream_descriptor\":{\"name\":\"" + stream + "\"},\"status\":\"COMPLETE\"}}}",
                "{\"type\":\"TRACE\",\"trace\":{\"type\":\"ERROR\",\"emitted_at\":1.0,\"error\":{\"message\":"
                        + "\"the source hit an error\",\"internal_message\":\"java.lang.RuntimeException: boom\","
                        + "\"stack_trace\":\"at Source.read\",\"failure_type\":\"system_error\"}}}",
                "{\"type\":\"LOG\",\"log\":{\"level\":\"ERROR\",\"message\":\"something went wrong\"}}",
                "# a comment",
                "{\"type\":\"RECORD\",\"record\":{",
                record(null, "not_in_catalog", 1),
                "",
                "[1,2,3]",
                record(null, stream, 3), record("ns", namespacedStream, 2),
                "{\"type\":\"STATE\",\"state\":{\"type\":\"GLOBAL\",\"global\":{\"shared_state\":{\"lsn\":1},\"stream_states\":[]}}}",
                "{\"type\":\"STATE\",\"state\":{\"type\":\"LEGACY\",\"data\":{\"cursor\":\"2024\"}}}"));
        for (String line : lines) {
            out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            out.write('\n');
        }
        out.writeBytes("{\"type\":\"LOG\",\"log\":{\"message\":\"\u00ff\u00fe\"}}".getBytes(StandardCharsets.ISO_8859_1));
        out.write('\n');
        Path file = Files.createDirectories(dir.resolve("inputs")).resolve("messages-" + stream + ".jsonl");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static String record(String namespace, String stream, int n) {
        return "{\"type\":\"RECORD\",\"record\":{" + (namespace == null ? "" : "\"namespace\":\"" + namespace + "\",")
                + "\"stream\":\"" + stream + "\",\"data\":{\"n\":" + n + ",\"note\":\"accessKey and privateKey are config keys\"},"
                + "\"emitted_at\":1700000000000}}";
    }

    private static String closedPortEndpoint() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        return "http://127.0.0.1:" + port;
    }

    private static JsonNode connectionStatus(Run run) throws IOException {
        List<String> lines = run.stdout.lines().collect(Collectors.toList());
        assertEquals(1, lines.size(), run.stdout);
        JsonNode message = ExpectedRecords.EXACT.readTree(lines.get(0));
        assertEquals("CONNECTION_STATUS", message.path("type").asText(), run.stdout);
        return message.path("connectionStatus");
    }

    private static long deadLetterLines(Path deadLetterDir) throws IOException {
        long count = 0;
        try (Stream<Path> files = Files.list(deadLetterDir)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().startsWith(".")).collect(Collectors.toList())) {
                count += Files.readAllLines(file).size();
            }
        }
        return count;
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().collect(Collectors.toList());
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, response.statusCode(), url + ": " + response.body());
        return response.body();
    }

    /**
     * Runs {@code bin/airbyte-kinesis} in {@code runDir} (its working directory), with its log
     * and temporary directories inside it, stdout and stderr to files in it.
     */
    private static Run launch(Path runDir, String... args) throws Exception {
        return launchWith(runDir, "", args);
    }

    private static Run launchWith(Path runDir, String javaOptions, String... args) throws Exception {
        Path logs = Files.createDirectories(runDir.resolve("logs"));
        Path tmp = Files.createDirectories(runDir.resolve("tmp"));
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/airbyte-kinesis").toString());
        command.addAll(List.of(args));
        File stdout = runDir.resolve("stdout.txt").toFile();
        File stderr = runDir.resolve("stderr.txt").toFile();
        ProcessBuilder builder = new ProcessBuilder(command).directory(runDir.toFile())
                .redirectOutput(stdout).redirectError(stderr).redirectInput(new File("/dev/null"));
        builder.environment().put("AIRBYTE_KINESIS_LOG_DIR", logs.toString());
        builder.environment().put("AIRBYTE_KINESIS_JAVA_OPTS", ("-Djava.io.tmpdir=" + tmp + " " + javaOptions).strip());
        Process process = builder.start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String logText = "";
        try (Stream<Path> files = Files.list(logs)) {
            for (Path file : files.collect(Collectors.toList())) {
                logText += Files.readString(file, StandardCharsets.UTF_8);
            }
        }
        assertFalse(logText.isBlank(), "the run wrote a log file in " + logs);
        return new Run(runDir, process.exitValue(), Files.readString(stdout.toPath(), StandardCharsets.UTF_8),
                Files.readString(stderr.toPath(), StandardCharsets.UTF_8), logText);
    }

    /** Every file left in the run's directory (stdout, stderr, logs, dead letters, state-out, temporary files). */
    private static void assertNoSentinelIn(Run run) throws IOException {
        List<String> hits = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(run.dir)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        for (Path file : files) {
            byte[] content = Files.readAllBytes(file);
            for (String sentinel : SENTINELS) {
                byte[] needle = sentinel.getBytes(StandardCharsets.UTF_8);
                int at = indexOf(content, needle, 0);
                if (at < 0) {
                    continue;
                }
                int count = 0;
                Set<String> loggers = new TreeSet<>();
                for (int i = at; i >= 0; i = indexOf(content, needle, i + 1)) {
                    count++;
                    loggers.add(logLineStart(content, i));
                }
                hits.add(run.dir.relativize(file) + " holds the " + (sentinel.equals(ACCESS_KEY) ? "accessKey" : "privateKey")
                        + " " + count + " times, first at byte " + at + " (log lines starting " + loggers + "): ..."
                        + context(content, at) + "...");
            }
        }
        assertTrue(files.size() >= 3, "searched " + files);
        assertEquals(List.of(), hits, "a secret leaked (searched " + files.size() + " files in " + run.dir + ")");
    }

    private static void assertNoSentinel(String where, String text) {
        for (String sentinel : SENTINELS) {
            int at = text.indexOf(sentinel);
            assertTrue(at < 0, () -> where + " holds the " + (sentinel.equals(ACCESS_KEY) ? "accessKey" : "privateKey") + ": ..."
                    + text.substring(Math.max(0, at - 300), Math.min(text.length(), at + sentinel.length() + 100)) + "...");
        }
    }

    private static String context(byte[] content, int at) {
        int from = Math.max(0, at - 600);
        int to = Math.min(content.length, at + 100);
        return new String(content, from, to - from, StandardCharsets.UTF_8).replaceAll("[\\p{Cntrl}&&[^\n]]", "?");
    }

    /** The start of the log line (timestamp, level, logger) that holds byte {@code at}, for the report. */
    private static String logLineStart(byte[] content, int at) {
        String before = new String(content, Math.max(0, at - 20_000), Math.min(at, 20_000), StandardCharsets.UTF_8);
        Matcher line = Pattern
                .compile("(?m)^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} +(\\w+) +(\\S+)").matcher(before);
        String last = "?";
        while (line.find()) {
            last = line.group(1) + " " + line.group(2);
        }
        return last;
    }

    private static int indexOf(byte[] content, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= content.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (content[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static final class Run {
        final Path dir;
        final int exitCode;
        final String stdout;
        final String stderr;
        final String logs;

        Run(Path dir, int exitCode, String stdout, String stderr, String logs) {
            this.dir = dir;
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
            this.logs = logs;
        }
    }
}
