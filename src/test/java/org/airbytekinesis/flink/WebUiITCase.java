package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code write --web-ui PORT} in a local run: while the job runs (reading a socket the test
 * holds open), Flink's REST API lists it on that port and the web UI's page is served there;
 * the console says where.
 */
class WebUiITCase {
    private static final ObjectMapper MAPPER = new ObjectMapper();

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

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theRunningJobIsListedByTheRestApiAndItsWebUiIsServedOnTheGivenPort() throws Exception {
        int uiPort = KinesisEmulator.freePort();
        Path catalog = Files.writeString(dir.resolve("catalog.json"),
                "{\"streams\":[{\"stream\":{\"name\":\"alpha\"},\"destination_sync_mode\":\"append\"}]}");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<String> args = List.of("--config", emulator.writeConfig(dir, Map.of("shardCount", 1)).toString(),
                    "--catalog", catalog.toString(), "--input", "tcp://127.0.0.1:" + server.getLocalPort(), "--bounded",
                    "--dead-letter", dir.resolve("dlq").toString(), "--web-ui", String.valueOf(uiPort), "--quiet");
            CompletableFuture<JobExecutionResult> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return new WriteCommand(new PrintStream(console, true, StandardCharsets.UTF_8), new Configuration())
                            .run(WriteOptions.parse(args));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            server.setSoTimeout(120_000);
            try (Socket source = server.accept(); OutputStream out = source.getOutputStream()) {
                out.write("{\"type\":\"RECORD\",\"record\":{\"stream\":\"alpha\",\"data\":{\"i\":1},\"emitted_at\":1}}\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();

                HttpClient http = HttpClient.newHttpClient();
                JsonNode jobs = MAPPER.readTree(get(http, "http://localhost:" + uiPort + "/jobs/overview").body()).get("jobs");
                assertEquals(1, jobs.size(), jobs.toString());
                assertEquals("RUNNING", jobs.get(0).get("state").asText());
                assertTrue(jobs.get(0).get("name").asText().startsWith("airbyte-kinesis write"), jobs.toString());
                HttpResponse<String> page = get(http, "http://localhost:" + uiPort + "/");
                assertEquals(200, page.statusCode());
                assertTrue(page.body().contains("Apache Flink Web Dashboard"), "the web UI, not only the REST API");
            }
            JobExecutionResult result = run.get(120, TimeUnit.SECONDS);
            assertTrue(result.isJobExecutionResult());
        }
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("airbyte-kinesis: Flink web UI at http://localhost:"
                + uiPort + "/"), console.toString(StandardCharsets.UTF_8));
    }
}
