package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * kinesalite backed by LevelDB in a directory ({@code --path}), that can be killed (SIGKILL, no
 * chance to flush anything) and started again on the same port with the same data, for tests of
 * an emulator that goes away in the middle of a run. {@link KinesisEmulator} picks a new port for
 * every start, so a client configured with its endpoint could not reach the restarted process.
 * The process is killed on close and on JVM exit.
 */
public final class RestartableKinesalite implements AutoCloseable {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final int port;
    private final Thread shutdownHook;
    private volatile Process process;
    private int starts;

    private RestartableKinesalite(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port;
        this.shutdownHook = new Thread(this::kill, "stop-kinesalite-" + port);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts kinesalite on a free loopback port, storing its data in {@code dataDir}. */
    public static RestartableKinesalite start(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        RestartableKinesalite emulator = new RestartableKinesalite(dataDir, KinesisEmulator.freePort());
        try {
            emulator.launch();
        } catch (IOException | RuntimeException e) {
            emulator.close();
            throw e;
        }
        return emulator;
    }

    /** Kills the process at once (SIGKILL) and waits until it is gone and its port is free. */
    public void kill() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.descendants().forEach(ProcessHandle::destroyForcibly);
        current.destroyForcibly();
        try {
            current.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts it again on the same port with the same data directory; kills it first if it runs. */
    public void restart() throws IOException {
        kill();
        launch();
    }

    public boolean isRunning() {
        Process current = process;
        return current != null && current.isAlive();
    }

    private void launch() throws IOException {
        Path pkg = Path.of("node_modules", "kinesalite").toAbsolutePath();
        if (!Files.isDirectory(pkg)) {
            throw new IllegalStateException(pkg + " is missing: run 'npm ci' in the project directory"
                    + " (bin/test does it for you)");
        }
        List<String> command = List.of("node", pkg.resolve("cli.js").toString(),
                "--port", Integer.toString(port), "--path", dataDir.toAbsolutePath().toString(),
                "--shardLimit", "100", "--createStreamMs", "50", "--deleteStreamMs", "50", "--updateStreamMs", "50");
        Path logs = Path.of("target", "emulator-logs");
        Files.createDirectories(logs);
        starts++;
        File log = logs.resolve("kinesalite-persistent-" + port + "-start" + starts + ".log").toFile();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            Process started = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
            process = started;
            while (System.nanoTime() < deadline && started.isAlive() && !listening()) {
                sleep(50);
            }
            if (started.isAlive() && listening()) {
                return;
            }
            kill();
            if (System.nanoTime() >= deadline) {
                throw new IOException("kinesalite did not start on port " + port + " within "
                        + STARTUP_TIMEOUT.toSeconds() + " s; see " + log);
            }
            // The port or the LevelDB lock may still be held by the killed process: try again.
            sleep(200);
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The destination config JSON for this emulator, plus {@code extra} keys. */
    public ObjectNode config(Map<String, Object> extra) {
        return KinesisEmulator.configFor(endpoint(), extra);
    }

    /** An SDK client for this emulator; it keeps working across restarts (same endpoint). */
    public KinesisClient client() {
        return KinesisEmulator.clientFor(endpoint());
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
}
