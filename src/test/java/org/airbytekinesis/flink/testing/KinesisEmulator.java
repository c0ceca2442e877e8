package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * A Kinesis emulator from the project's npm packages, run as a plain {@code node} process on a
 * free loopback port and killed on close or JVM exit. kinesis-mock (npm {@code kinesis-local})
 * is the engine LocalStack uses; kinesalite is faster but needs CBOR off (the test JVM runs with
 * {@code -Daws.cborEnabled=false}) and HTTP/1.1.
 */
public final class KinesisEmulator implements AutoCloseable {
    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Process process;
    private final int port;
    private final Thread shutdownHook;

    private KinesisEmulator(String name, Process process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.shutdownHook = new Thread(this::kill, "stop-" + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** kinesis-mock with its plain (HTTP/1.1 and h2c) port. */
    public static KinesisEmulator kinesisMock() throws IOException {
        Path pkg = packageDir("kinesis-local");
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder("node", pkg.resolve("main.js").toString());
        Map<String, String> env = builder.environment();
        env.put("KINESIS_MOCK_CERT_PATH", pkg.resolve("server.json").toString());
        env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
        env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(freePort()));
        env.put("LOG_LEVEL", "WARN");
        env.put("SHARD_LIMIT", "1000");
        KinesisEmulator emulator = start("kinesis-mock", builder, port);
        emulator.awaitReady(true);
        return emulator;
    }

    /** kinesalite in memory, with fast stream state changes unless {@code extraArgs} say otherwise. */
    public static KinesisEmulator kinesalite(String... extraArgs) throws IOException {
        Path pkg = packageDir("kinesalite");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("node", pkg.resolve("cli.js").toString(),
                "--port", Integer.toString(port), "--shardLimit", "100"));
        List<String> extra = List.of(extraArgs);
        for (String option : List.of("--createStreamMs", "--deleteStreamMs", "--updateStreamMs")) {
            if (!extra.contains(option)) {
                command.add(option);
                command.add("50");
            }
        }
        command.addAll(extra);
        KinesisEmulator emulator = start("kinesalite", new ProcessBuilder(command), port);
        emulator.awaitReady(false);
        return emulator;
    }

    private static KinesisEmulator start(String name, ProcessBuilder builder, int port) throws IOException {
        Path logs = Path.of("target", "emulator-logs");
        Files.createDirectories(logs);
        File log = logs.resolve(name + "-" + port + ".log").toFile();
        builder.redirectErrorStream(true).redirectOutput(log);
        return new KinesisEmulator(name, builder.start(), port);
    }

    private static Path packageDir(String npmPackage) {
        Path dir = Path.of("node_modules", npmPackage).toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir + " is missing: run 'npm ci' in the project directory"
                    + " (bin/test does it for you)");
        }
        return dir;
    }

    /** A loopback port nothing listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady(boolean hasHealthcheck) throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + " at start; see target/emulator-logs");
            }
            if (hasHealthcheck ? healthy() : listening()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
        throw new IOException(name + " did not become ready within " + STARTUP_TIMEOUT.toSeconds() + " s");
    }

    private boolean healthy() {
        try {
            HttpURLConnection connection = (HttpURLConnection) new URL(endpoint() + "/healthcheck").openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(500);
            return connection.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The destination config JSON for this emulator, plus {@code extra} keys. */
    public ObjectNode config(Map<String, Object> extra) {
        return configFor(endpoint(), extra);
    }

    /** The destination config JSON for an emulator at {@code endpoint}, plus {@code extra} keys. */
    static ObjectNode configFor(String endpoint, Map<String, Object> extra) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = mapper.createObjectNode();
        config.put("endpoint", endpoint);
        config.put("region", REGION);
        config.put("accessKey", ACCESS_KEY);
        config.put("privateKey", SECRET_KEY);
        config.put("shardCount", 2);
        extra.forEach((key, value) -> config.set(key, mapper.valueToTree(value)));
        return config;
    }

    public Path writeConfig(Path dir, Map<String, Object> extra) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, config(extra).toString());
        return file;
    }

    /** An SDK client for this emulator (the same client code the job uses for provisioning). */
    public KinesisClient client() {
        return clientFor(endpoint());
    }

    static KinesisClient clientFor(String endpoint) {
        return KinesisClients.create(KinesisConnection.fromConfig(DestinationConfig.fromJson(configFor(endpoint, Map.of()))));
    }

    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
