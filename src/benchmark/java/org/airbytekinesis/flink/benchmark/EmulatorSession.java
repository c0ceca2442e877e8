package org.airbytekinesis.flink.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.airbytekinesis.flink.testing.KinesisEmulator;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * A fresh in-memory kinesalite for one measurement, and, when latency is asked for, a latency
 * proxy in front of it ({@link ProxyMain}, in a JVM of its own). Everything is stopped on
 * close.
 */
final class EmulatorSession implements AutoCloseable {
    private final KinesisEmulator emulator;
    private final long emulatorPid;
    private final Process proxy;
    private final String proxyEndpoint;
    private final Thread proxyKiller;
    private String proxyStats;
    private boolean closed;

    private EmulatorSession(KinesisEmulator emulator, long emulatorPid, Process proxy, String proxyEndpoint) {
        this.emulator = emulator;
        this.emulatorPid = emulatorPid;
        this.proxy = proxy;
        this.proxyEndpoint = proxyEndpoint;
        this.proxyKiller = proxy == null ? null : new Thread(proxy::destroyForcibly, "stop-latency-proxy");
        if (proxyKiller != null) {
            Runtime.getRuntime().addShutdownHook(proxyKiller);
        }
    }

    static EmulatorSession start(long latencyMillis, int shardLimit, Path logDir) throws IOException {
        return start(latencyMillis, shardLimit, logDir, List.of());
    }

    /** @param proxyOptions more {@link ProxyMain} options; with any, there is a proxy even at 0 ms */
    static EmulatorSession start(long latencyMillis, int shardLimit, Path logDir, List<String> proxyOptions)
            throws IOException {
        KinesisEmulator emulator = shardLimit > 100
                ? KinesisEmulator.kinesalite("--shardLimit", Integer.toString(shardLimit))
                : KinesisEmulator.kinesalite();
        long pid = emulatorPid();
        if (latencyMillis <= 0 && proxyOptions.isEmpty()) {
            return new EmulatorSession(emulator, pid, null, null);
        }
        Process proxy = null;
        try {
            Files.createDirectories(logDir);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx512m");
            command.add("-Dlog4j2.configurationFile=" + System.getProperty("log4j2.configurationFile", ""));
            command.add("-Dairbyte.kinesis.log.file=" + logDir.resolve("latency-proxy.log").toAbsolutePath());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(ProxyMain.class.getName());
            command.add(emulator.endpoint());
            command.add(Long.toString(latencyMillis));
            command.addAll(proxyOptions);
            proxy = new ProcessBuilder(command)
                    .redirectError(logDir.resolve("latency-proxy.stderr").toFile())
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("LISTENING ")) {
                throw new IOException("the latency proxy did not start (" + line + "); see " + logDir);
            }
            return new EmulatorSession(emulator, pid, proxy, line.substring("LISTENING ".length()).trim());
        } catch (IOException | RuntimeException e) {
            if (proxy != null) {
                proxy.destroyForcibly();
            }
            emulator.close();
            throw e;
        }
    }

    /** The node process KinesisEmulator started: the only kinesalite child of this JVM. */
    private static long emulatorPid() {
        Optional<ProcessHandle> node = ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().map(c -> c.contains("kinesalite")).orElse(false))
                .findFirst();
        return node.map(ProcessHandle::pid).orElse(-1L);
    }

    /** Where clients connect: the proxy when there is one, else the emulator itself. */
    String endpoint() {
        return proxyEndpoint != null ? proxyEndpoint : emulator.endpoint();
    }

    /** The destination config JSON for {@link #endpoint()}. */
    ObjectNode config(ObjectMapper mapper, int shards, int bufferSize) {
        ObjectNode config = mapper.createObjectNode();
        config.put("endpoint", endpoint());
        config.put("region", KinesisEmulator.REGION);
        config.put("accessKey", KinesisEmulator.ACCESS_KEY);
        config.put("privateKey", KinesisEmulator.SECRET_KEY);
        config.put("shardCount", shards);
        config.put("bufferSize", bufferSize);
        return config;
    }

    /** A synchronous SDK client for {@link #endpoint()} (the client code the job uses for provisioning). */
    KinesisClient client(ObjectMapper mapper) {
        return KinesisClients.create(KinesisConnection.fromConfig(DestinationConfig.fromJson(config(mapper, 1, 100))));
    }

    /** A client straight to the emulator, bypassing the proxy (set-up and read-back). */
    KinesisClient directClient() {
        return emulator.client();
    }

    double emulatorPeakRssMb() {
        return emulatorPid < 0 ? -1 : ProcessStats.peakRssMb(emulatorPid);
    }

    double emulatorCpuSeconds() {
        return emulatorPid < 0 ? -1 : ProcessStats.cpuSeconds(emulatorPid);
    }

    /** The proxy's counters, peak RSS and CPU, once closed; null without a proxy. */
    String proxyStats() {
        return proxyStats;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (proxy != null) {
            try {
                proxy.getOutputStream().close(); // the proxy's cue to report and exit
                BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("STATS ")) {
                        proxyStats = line.substring("STATS ".length());
                    }
                }
                if (!proxy.waitFor(10, TimeUnit.SECONDS)) {
                    proxy.destroyForcibly();
                }
            } catch (IOException e) {
                proxy.destroyForcibly();
            } catch (InterruptedException e) {
                proxy.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(proxyKiller);
            } catch (IllegalStateException e) {
                // shutting down already
            }
        }
        emulator.close();
    }
}
