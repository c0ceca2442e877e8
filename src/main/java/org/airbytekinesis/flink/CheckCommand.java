package org.airbytekinesis.flink;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.airbytekinesis.flink.airbyte.AirbyteMessages;
import org.airbytekinesis.flink.check.CheckFailedException;
import org.airbytekinesis.flink.check.KinesisAccessCheck;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.sink.KinesisClients;
import org.airbytekinesis.flink.sink.KinesisConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@code check --config FILE}: prints one CONNECTION_STATUS message. A config that cannot be read
 * or is invalid, and a Kinesis that cannot be reached or refuses something a sync needs, are a
 * FAILED status saying why, not an error: Airbyte connectors exit 0 either way. Only bad
 * arguments throw.
 */
public final class CheckCommand {
    private static final Logger LOG = LoggerFactory.getLogger(CheckCommand.class);

    static final String USAGE = "usage: airbyte-kinesis check --config CONFIG.json";

    // Short limits, so that an endpoint that swallows packets fails the check in seconds: each
    // call gives up after about API_CALL_TIMEOUT (plus at most one socket time-out).
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);
    static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(10);
    /** A one-shard stream on AWS is usually ACTIVE within 10-30 s. */
    static final Duration PROBE_READY_TIMEOUT = Duration.ofSeconds(60);
    static final Duration PROBE_CLEANUP_TIMEOUT = Duration.ofSeconds(20);

    private final PrintStream stdout;

    public CheckCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    /** @param args the arguments after {@code check} */
    public void run(List<String> args) {
        Path configFile = configFile(args);
        DestinationConfig config;
        KinesisConnection connection;
        try {
            config = DestinationConfig.fromFile(configFile);
            connection = KinesisConnection.fromConfig(config);
        } catch (SetupException e) {
            // Its message names the key and never holds a secret.
            report(false, e.getMessage(), null);
            return;
        }
        if (!config.unknownKeys().isEmpty()) {
            LOG.warn("config: ignoring unknown keys {}", config.unknownKeys());
        }
        try (KinesisClient client = KinesisClients.create(connection, CONNECT_TIMEOUT, SOCKET_TIMEOUT, API_CALL_TIMEOUT)) {
            KinesisAccessCheck check =
                    new KinesisAccessCheck(client, connection.where(), PROBE_READY_TIMEOUT, PROBE_CLEANUP_TIMEOUT);
            report(true, check.run(), config);
        } catch (CheckFailedException e) {
            report(false, e.getMessage(), config);
        } catch (RuntimeException e) {
            // Whatever else goes wrong is still an answer to "does this config work?".
            report(false, "check failed unexpectedly: " + AirbyteKinesisMain.oneLine(e), config);
        }
    }

    private static Path configFile(List<String> args) {
        if (args.isEmpty()) {
            throw new SetupException("--config is required; " + USAGE);
        }
        if (!"--config".equals(args.get(0))) {
            throw new SetupException("unknown argument " + args.get(0) + "; " + USAGE);
        }
        if (args.size() != 2) {
            throw new SetupException((args.size() == 1 ? "--config needs a file" : "unknown argument " + args.get(2))
                    + "; " + USAGE);
        }
        return Path.of(args.get(1));
    }

    private void report(boolean succeeded, String message, DestinationConfig config) {
        String shown = redact(message, config);
        LOG.info("check {}: {}", succeeded ? "SUCCEEDED" : "FAILED", shown);
        stdout.println(AirbyteMessages.connectionStatus(succeeded, shown));
        stdout.flush();
    }

    /** Servers may echo what they got (an emulator echoes the access key id): never show a secret. */
    static String redact(String message, DestinationConfig config) {
        String text = message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
        return config == null ? text : config.credentials().redact(text);
    }
}
