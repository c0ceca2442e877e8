package org.airbytekinesis.flink;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.airbytekinesis.flink.routing.KinesisStreamNames;
import org.airbytekinesis.flink.testing.ExpectedRecords;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar on a real Flink session cluster: a JobManager and two TaskManagers of one slot
 * each (so parallelism 2 spans both) in JVMs of their own, started by {@code deploy/standalone/}
 * from the Maven artifacts with {@code flink-conf/config.yaml}, the jar submitted with Flink's CLI
 * front end against kinesalite. The cluster's classpath has no connector: the Kinesis connector (with its shaded
 * AWS SDK), the file connector and Jackson come from the job jar through the user-code class
 * loader. Run by Failsafe after {@code package}.
 */
class StandaloneClusterJarITCase {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path SCRIPTS = ROOT.resolve("deploy/standalone");
    /** Under target/, and kept after the run: the cluster's logs are there when something fails. */
    private static final Path CLUSTER_DIR = ROOT.resolve("target/standalone-cluster-it");
    private static final Path MESSAGES = ROOT.resolve("examples/messages.jsonl");
    private static final Path CATALOG = ROOT.resolve("examples/catalog.json");
    private static final List<String> TASK_MANAGERS = List.of("taskmanager", "taskmanager-2");

    private static KinesisEmulator emulator;
    private static Thread stopOnExit;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEmulatorAndCluster() throws Exception {
        emulator = KinesisEmulator.kinesalite();
        if (Files.isDirectory(CLUSTER_DIR)) {
            stopCluster(); // left over from an aborted run
        }
        deleteRecursively(CLUSTER_DIR);
        Files.createDirectories(CLUSTER_DIR);
        stopOnExit = new Thread(StandaloneClusterJarITCase::stopCluster, "stop-standalone-cluster");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        Script start = script("start-cluster.sh", List.of("-D", "taskmanager.numberOfTaskSlots=1"), Duration.ofSeconds(90),
                "start-cluster");
        assertEquals(0, start.exitCode, "start-cluster.sh failed:\n" + start.output);
    }

    @AfterAll
    static void stopClusterAndEmulator() {
        try {
            stopCluster();
            if (stopOnExit != null) {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            }
        } finally {
            if (emulator != null) {
                emulator.close();
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theJobJarRunsOnTheSeparateTaskManagersAndWritesEveryDemoRecord() throws Exception {
        String classpath = Files.readString(ROOT.resolve("target/launcher-classpath.txt"));
        assertTrue(classpath.contains("flink-rpc-akka-loader") && classpath.contains("flink-runtime-1.20"), classpath);
        assertFalse(classpath.contains("flink-connector-kinesis") || classpath.contains("awssdk"),
                "the cluster's classpath holds no connector and no AWS SDK: " + classpath);

        Path config = emulator.writeConfig(dir, Map.of());
        Path deadLetters = dir.resolve("dead-letter");
        Script submit = script("submit.sh", List.of("write", "--config", config.toString(), "--catalog", CATALOG.toString(),
                "--input", MESSAGES.toString(), "--dead-letter", deadLetters.toString()), Duration.ofMinutes(2), "submit");

        assertEquals(0, submit.exitCode, "submit.sh failed:\n" + submit.output + logs());
        Matcher finished = Pattern.compile("Job with JobID ([0-9a-f]{32}) has finished").matcher(submit.output);
        assertTrue(finished.find(), submit.output);
        String jobId = finished.group(1);
        assertTrue(submit.output.contains("wrote 30 records to 3 Kinesis streams"), submit.output);

        // The job ran on the cluster: the REST API lists it as finished, the TaskManager's log
        // has its tasks, and the STATEs were released on the TaskManager (its stdout), not by
        // the CLI.
        JsonNode jobs = ExpectedRecords.EXACT.readTree(rest("/jobs/overview"));
        Optional<JsonNode> job = stream(jobs.get("jobs")).filter(j -> jobId.equals(j.get("jid").asText())).findFirst();
        assertTrue(job.isPresent(), jobs.toString());
        assertEquals("FINISHED", job.get().get("state").asText(), jobs.toString());
        assertEquals(2, ExpectedRecords.EXACT.readTree(rest("/overview")).get("taskmanagers").intValue());
        String taskManagerLogs = taskManagerFiles("log");
        assertTrue(taskManagerLogs.contains("Received task Source: Airbyte messages"), "a TaskManager ran the source");
        assertTrue(taskManagerLogs.contains(jobId), "the TaskManager logs name the job");
        List<String> released = taskManagerFiles("out").lines()
                .filter(line -> line.startsWith("{")).collect(Collectors.toList());
        assertEquals(2, released.size(), "the demo's two STATEs, released by a TaskManager: " + released);
        for (String line : released) {
            assertEquals("STATE", ExpectedRecords.EXACT.readTree(line).get("type").asText(), line);
        }
        assertFalse(submit.output.contains("\"type\":\"STATE\"") || submit.output.contains("\"type\": \"STATE\""),
                "the CLI printed no STATE");

        ExpectedRecords expected = ExpectedRecords.fromFiles(KinesisStreamNames::of, MESSAGES);
        assertEquals(30, expected.total());
        assertEquals(3, expected.byStream().size());
        try (KinesisClient client = emulator.client()) {
            KinesisStreamReader reader = new KinesisStreamReader(client);
            for (String stream : expected.byStream().keySet()) {
                expected.assertStreamHolds(stream, reader.readAll(stream), true);
            }
        }
        assertFalse(Files.exists(deadLetters) && hasFiles(deadLetters), "the demo has no bad lines");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aOneStreamCatalogIsWrittenByBothSinkSubtasksOnBothTaskManagers() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            lines.add("{\"type\":\"RECORD\",\"record\":{\"stream\":\"solo\",\"data\":{\"i\":" + i + "},\"emitted_at\":1}}");
        }
        Path input = Files.write(dir.resolve("solo.jsonl"), lines, StandardCharsets.UTF_8);
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"solo\"},\"destination_sync_mode\":\"append\"}]}");
        // 8 shards: by the writer rule (one per 4 shards, at most the parallelism of 2) two writers.
        Path config = emulator.writeConfig(dir, Map.of("shardCount", 8));
        Script submit = script("submit.sh", List.of("write", "--config", config.toString(), "--catalog", catalog.toString(),
                "--input", input.toString(), "--dead-letter", dir.resolve("dead-letter").toString()), Duration.ofMinutes(2),
                "submit-solo");
        assertEquals(0, submit.exitCode, "submit.sh failed:\n" + submit.output + logs());
        Matcher finished = Pattern.compile("Job with JobID ([0-9a-f]{32}) has finished").matcher(submit.output);
        assertTrue(finished.find(), submit.output);
        String jobId = finished.group(1);

        // The router and the sink writers run chained in one vertex: the records each subtask read
        // are the records its writer was given.
        JsonNode vertex = stream(ExpectedRecords.EXACT.readTree(rest("/jobs/" + jobId)).get("vertices"))
                .filter(v -> v.get("name").asText().startsWith("Route by stream")).findFirst()
                .orElseThrow(() -> new AssertionError("no router vertex"));
        JsonNode subtasks = ExpectedRecords.EXACT.readTree(rest("/jobs/" + jobId + "/vertices/" + vertex.get("id").asText()))
                .get("subtasks");
        assertEquals(2, subtasks.size());
        long total = 0;
        List<String> taskManagers = new ArrayList<>();
        for (JsonNode subtask : subtasks) {
            long read = subtask.get("metrics").get("read-records").asLong();
            assertTrue(read > 100, "each sink subtask wrote a share: " + subtasks);
            total += read;
            taskManagers.add(subtask.get("taskmanager-id").asText());
        }
        assertEquals(400, total, subtasks.toString());
        assertEquals(2, new java.util.HashSet<>(taskManagers).size(), "on both TaskManagers: " + taskManagers);
        try (KinesisClient client = emulator.client()) {
            assertEquals(400, new KinesisStreamReader(client).readAll("_solo").size());
        }
    }

    /** The TaskManagers' log or out files, one after the other. */
    private static String taskManagerFiles(String extension) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String role : TASK_MANAGERS) {
            text.append(Files.readString(CLUSTER_DIR.resolve("log/" + role + "." + extension), StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    private static final class Script {
        final int exitCode;
        final String output;

        Script(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    /** Runs a deploy/standalone script for this test's cluster; stdout and stderr together. */
    private static Script script(String name, List<String> args, Duration timeout, String outputName) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(SCRIPTS.resolve(name).toString());
        command.addAll(args);
        File output = CLUSTER_DIR.resolve(outputName + ".txt").toFile();
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectErrorStream(true).redirectOutput(output)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("AIRBYTE_KINESIS_CLUSTER_DIR", CLUSTER_DIR.toString());
        builder.environment().put("STARTUP_TIMEOUT", "60");
        builder.environment().put("TASKMANAGERS", Integer.toString(TASK_MANAGERS.size()));
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor();
            throw new AssertionError(name + " timed out after " + timeout.toSeconds() + " s:\n"
                    + Files.readString(output.toPath(), StandardCharsets.UTF_8) + logs());
        }
        return new Script(process.exitValue(), Files.readString(output.toPath(), StandardCharsets.UTF_8));
    }

    /** stop-cluster.sh, then, should it fail, the JVMs named in the pid files are killed directly. */
    private static synchronized void stopCluster() {
        try {
            ProcessBuilder builder = new ProcessBuilder(SCRIPTS.resolve("stop-cluster.sh").toString())
                    .redirectErrorStream(true).redirectOutput(CLUSTER_DIR.resolve("stop-cluster.txt").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().put("AIRBYTE_KINESIS_CLUSTER_DIR", CLUSTER_DIR.toString());
            Process stop = builder.start();
            if (!stop.waitFor(60, TimeUnit.SECONDS)) {
                stop.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            // fall through to the pid files
        }
        List<String> roles = new ArrayList<>(TASK_MANAGERS);
        roles.add("jobmanager");
        for (String role : roles) {
            Path pidFile = CLUSTER_DIR.resolve(role + ".pid");
            try {
                if (Files.exists(pidFile)) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
                            .filter(p -> p.info().commandLine().orElse("").contains(CLUSTER_DIR.toString()))
                            .ifPresent(ProcessHandle::destroyForcibly);
                }
            } catch (IOException | NumberFormatException e) {
                // nothing left to stop
            }
        }
    }

    private static String rest(String path) throws Exception {
        String config = Files.readString(CLUSTER_DIR.resolve("conf/config.yaml"), StandardCharsets.UTF_8);
        Matcher port = Pattern.compile("(?m)^rest\\.port: '?(\\d+)'?$").matcher(config);
        assertTrue(port.find(), config);
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port.group(1) + path))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return response.body();
    }

    private static String logs() {
        StringBuilder text = new StringBuilder();
        for (String file : List.of("jobmanager.log", "taskmanager.log", "taskmanager.out", "taskmanager-2.log",
                "taskmanager-2.out")) {
            Path path = CLUSTER_DIR.resolve("log").resolve(file);
            try {
                List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
                text.append("\n--- last lines of ").append(path).append(":\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            } catch (IOException e) {
                text.append("\n--- no ").append(path);
            }
        }
        return text.toString();
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items.stream();
    }

    private static boolean hasFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.anyMatch(Files::isRegularFile);
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(file);
            }
        }
    }
}
