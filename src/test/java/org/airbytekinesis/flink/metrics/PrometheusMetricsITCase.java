package org.airbytekinesis.flink.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.airbytekinesis.flink.WriteCommand;
import org.airbytekinesis.flink.WriteOptions;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local run with the Prometheus reporter exactly as {@code flink-conf/config.yaml} configures
 * it (on a free port), scraped over HTTP while the job runs: the job's series carry their stream,
 * reason and type as labels, the connector's own sink metrics are there, and every series the
 * Grafana dashboard in {@code deploy/grafana} queries is one the job exports.
 */
class PrometheusMetricsITCase {
    private static final String OPERATOR = "flink_taskmanager_job_task_operator_";
    private static final Path DASHBOARD = Path.of("deploy", "grafana", "airbyte-kinesis-dashboard.json");

    @TempDir
    static Path dir;

    private static PrometheusScrape scrape;

    @BeforeAll
    static void runTheJobAndScrapeItWhileItRuns() throws Exception {
        int promPort = KinesisEmulator.freePort();
        Configuration shipped = GlobalConfiguration.loadConfiguration("flink-conf");
        Configuration settings = new Configuration();
        shipped.toMap().forEach((key, value) -> {
            if (key.startsWith("metrics.reporter.prom.")) {
                settings.setString(key, value);
            }
        });
        assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                settings.toMap().get("metrics.reporter.prom.factory.class"), "the shipped config.yaml has the reporter");
        settings.setString("metrics.reporter.prom.port", String.valueOf(promPort));

        try (KinesisEmulator emulator = KinesisEmulator.kinesalite();
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path catalog = Files.writeString(dir.resolve("catalog.json"), "{\"streams\":["
                    + "{\"stream\":{\"name\":\"alpha\"},\"destination_sync_mode\":\"append\"},"
                    + "{\"stream\":{\"name\":\"order-items\"},\"destination_sync_mode\":\"append\"}]}");
            List<String> args = List.of("--config", emulator.writeConfig(dir, Map.of("shardCount", 1)).toString(),
                    "--catalog", catalog.toString(), "--input", "tcp://127.0.0.1:" + server.getLocalPort(), "--bounded",
                    "--dead-letter", dir.resolve("dlq").toString(), "--checkpoint-interval", "500ms", "--quiet");
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                try {
                    new WriteCommand(new PrintStream(console, true, StandardCharsets.UTF_8), settings)
                            .run(WriteOptions.parse(args));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            server.setSoTimeout(120_000);
            try (Socket source = server.accept(); OutputStream out = source.getOutputStream()) {
                StringBuilder lines = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    lines.append("{\"type\":\"RECORD\",\"record\":{\"stream\":\"").append(i < 30 ? "alpha" : "order-items")
                            .append("\",\"data\":{\"i\":").append(i).append("},\"emitted_at\":1}}\n");
                }
                lines.append("not json\n");
                lines.append("{\"type\":\"STATE\",\"state\":{\"data\":{\"upTo\":50}}}\n");
                out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                scrapeUntil(promPort, s -> s.sum(OPERATOR + "stream_recordsAcknowledged", Map.of()) == 50
                        && s.sum(OPERATOR + "statesReleased", Map.of()) == 1);
                // One scrape reads its series one after the other, so the one that saw the release
                // may have read the held STATEs just before it: the next one starts after it.
                scrape = scrapeUntil(promPort, s -> true);
            }
            run.get(120, TimeUnit.SECONDS);
        }
    }

    private static PrometheusScrape scrapeUntil(int port, java.util.function.Predicate<PrometheusScrape> done)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        PrometheusScrape last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                last = new PrometheusScrape(response.body());
                if (done.test(last)) {
                    return last;
                }
            } catch (java.io.IOException e) {
                // the reporter is not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the scrape never showed the whole run: " + (last == null ? "no answer" : last.names()));
    }

    @Test
    void theJobsCountsAreOneSeriesNameEachWithTheStreamReasonOrTypeAsALabel() {
        assertEquals(30, scrape.sum(OPERATOR + "stream_records", Map.of("stream", "_alpha")));
        assertEquals(20, scrape.sum(OPERATOR + "stream_records", Map.of("stream", "_order_items")));
        assertEquals(30, scrape.sum(OPERATOR + "stream_recordsAcknowledged", Map.of("stream", "_alpha")));
        assertEquals(20, scrape.sum(OPERATOR + "stream_recordsAcknowledged", Map.of("stream", "_order_items")));
        assertTrue(scrape.sum(OPERATOR + "stream_bytes", Map.of("stream", "_alpha")) > 30 * 50);
        assertEquals(1, scrape.sum(OPERATOR + "reason_deadLetters", Map.of("reason", "not_json")));
        assertEquals(1, scrape.sum(OPERATOR + "type_messages", Map.of("type", "STATE")));
        assertEquals(52, scrape.sum(OPERATOR + "lines", Map.of()));
        assertEquals(1, scrape.sum(OPERATOR + "statesReleased", Map.of()));
        assertEquals(0, scrape.sum(OPERATOR + "statesHeld", Map.of()));
        assertFalse(scrape.find(OPERATOR + "stateReleaseMs", Map.of("quantile", "0.5")).isEmpty(), scrape.names().toString());
        assertTrue(scrape.names().stream().noneMatch(name -> name.contains("records__alpha") || name.contains("_alpha")),
                "no metric name per stream: " + scrape.names());
    }

    @Test
    void theConnectorsOwnSinkMetricsAreThereForEachKinesisSink() {
        for (String metric : List.of("numRecordsOut", "currentSendTime", "numRecordsSendErrors", "numBytesSend")) {
            Set<String> sinks = new TreeSet<>();
            scrape.find(OPERATOR + metric, Map.of()).forEach(s -> sinks.add(s.labels.get("operator_name")));
            assertTrue(sinks.containsAll(List.of("Kinesis _alpha: Writer", "Kinesis _order_items: Writer")),
                    metric + " of both Kinesis sinks, names unfiltered: " + sinks);
        }
        assertEquals(30, scrape.sum(OPERATOR + "numRecordsOut", Map.of("operator_name", "Kinesis _alpha: Writer")),
                "the connector's count of the _alpha writer");
    }

    @Test
    void everySeriesTheDashboardQueriesIsOneTheJobExports() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Pattern metric = Pattern.compile("\\bflink_[a-zA-Z0-9_:]+");
        List<String> queried = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher names = metric.matcher(target.get("expr").asText());
                boolean any = false;
                while (names.find()) {
                    any = true;
                    String name = names.group();
                    queried.add(name);
                    assertTrue(scrape.names().contains(name), "panel \"" + panel.get("title").asText() + "\" queries "
                            + name + ", which the job does not export; it exports " + scrape.names());
                }
                assertTrue(any, "a query without a flink_ series: " + target.get("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher names = metric.matcher(variable.path("query").asText());
            while (names.find()) {
                assertTrue(scrape.names().contains(names.group()), "variable " + variable.get("name") + " queries " + names.group());
            }
        }
        for (String label : List.of("stream", "reason")) {
            assertTrue(dashboard.toString().contains("by (" + label + ")"), "a panel per " + label);
        }
        assertTrue(queried.size() >= 8, queried.toString());
    }
}
