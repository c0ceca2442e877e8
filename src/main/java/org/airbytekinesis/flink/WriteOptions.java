package org.airbytekinesis.flink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.Locations;
import org.airbytekinesis.flink.source.AfterRead;
import org.airbytekinesis.flink.source.SocketEndpoint;
import org.airbytekinesis.flink.state.StateOutTarget;

/**
 * The {@code write} command's arguments, parsed and checked as given:
 * {@code write --config FILE --catalog FILE [--input PATH ...] [--state-out FILE|DIR] ...}.
 * {@link #plan()} reads the config and catalog they name. Without {@code --input}, the messages
 * are read from standard input, as the Airbyte platform pipes them.
 */
public final class WriteOptions {
    static final String USAGE = "usage: airbyte-kinesis write --config CONFIG.json --catalog CATALOG.json"
            + " [--input PATH ... | --input tcp://HOST:PORT [--bounded]] [--watch [--watch-interval 10s]]"
            + " [--after-read leave|delete|move:DIR] [--state-out FILE|DIR/|URI] [--dead-letter DIR]"
            + " [--checkpoint-interval 10s] [--summary-json FILE] [--progress-interval 10s | --quiet] [--web-ui [PORT]]";

    /** Flink's own default REST and web UI port. */
    static final int DEFAULT_WEB_UI_PORT = 8081;

    /** How often a local run prints its progress on stderr, unless told otherwise. */
    static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(10);

    private final Path config;
    private final Path catalog;
    private final List<String> inputs;
    private final Duration checkpointInterval;
    private final String stateOut;
    private final String deadLetterDirectory;
    private final Duration watchInterval;
    private final boolean bounded;
    private final AfterRead afterRead;
    private final RunReporting reporting;

    private WriteOptions(Path config, Path catalog, List<String> inputs, Duration checkpointInterval, String stateOut,
            String deadLetterDirectory, Duration watchInterval, boolean bounded, AfterRead afterRead, RunReporting reporting) {
        this.config = config;
        this.catalog = catalog;
        this.inputs = Collections.unmodifiableList(inputs);
        this.checkpointInterval = checkpointInterval;
        this.stateOut = stateOut;
        this.deadLetterDirectory = deadLetterDirectory;
        this.watchInterval = watchInterval;
        this.bounded = bounded;
        this.afterRead = afterRead;
        this.reporting = reporting;
    }

    /** Parses the arguments that follow {@code write}. */
    public static WriteOptions parse(List<String> args) {
        Path config = null;
        Path catalog = null;
        List<String> inputs = new ArrayList<>();
        Duration checkpointInterval = null;
        String stateOut = null;
        String deadLetter = null;
        boolean watch = false;
        Duration watchInterval = null;
        boolean bounded = false;
        String afterRead = null;
        Path summaryJson = null;
        Duration progressInterval = null;
        boolean quiet = false;
        int webUiPort = 0;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--config":
                    config = Path.of(value(args, ++i, arg));
                    break;
                case "--catalog":
                    catalog = Path.of(value(args, ++i, arg));
                    break;
                case "--input":
                    inputs.add(value(args, ++i, arg));
                    break;
                case "--state-out":
                    stateOut = value(args, ++i, arg);
                    break;
                case "--dead-letter":
                    deadLetter = value(args, ++i, arg);
                    break;
                case "--watch":
                    watch = true;
                    break;
                case "--bounded":
                    bounded = true;
                    break;
                case "--watch-interval":
                    watchInterval = parseDuration(value(args, ++i, arg), arg);
                    break;
                case "--checkpoint-interval":
                    checkpointInterval = parseDuration(value(args, ++i, arg), arg);
                    break;
                case "--after-read":
                    afterRead = value(args, ++i, arg);
                    break;
                case "--progress-interval":
                    progressInterval = parseDuration(value(args, ++i, arg), arg);
                    break;
                case "--quiet":
                    quiet = true;
                    break;
                case "--web-ui":
                    // The port is optional: the next argument is one only when it is not an option.
                    if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                        webUiPort = parsePort(args.get(++i), arg);
                    } else {
                        webUiPort = DEFAULT_WEB_UI_PORT;
                    }
                    break;
                case "--summary-json":
                    summaryJson = Path.of(value(args, ++i, arg)).toAbsolutePath();
                    break;
                default:
                    throw new SetupException("unknown argument " + arg + "; " + USAGE);
            }
        }
        if (config == null) {
            throw new SetupException("--config is required; " + USAGE);
        }
        if (catalog == null) {
            throw new SetupException("--catalog is required; " + USAGE);
        }
        requireFile(config, "--config");
        requireFile(catalog, "--catalog");
        List<String> resolvedInputs = new ArrayList<>();
        for (String input : inputs) {
            resolvedInputs.add(resolveInput(input));
        }
        if (quiet && progressInterval != null) {
            throw new SetupException("--quiet turns progress off; it cannot go with --progress-interval; " + USAGE);
        }
        if (summaryJson != null) {
            // Checked now: a summary that cannot be written would only fail after the whole run.
            if (Files.isDirectory(summaryJson)) {
                throw new SetupException("--summary-json " + summaryJson + ": is a directory; give a file");
            }
            if (!Files.isDirectory(summaryJson.getParent())) {
                throw new SetupException("--summary-json " + summaryJson + ": no such directory " + summaryJson.getParent());
            }
        }
        if (watchInterval != null && !watch) {
            throw new SetupException("--watch-interval needs --watch; " + USAGE);
        }
        if (watch && resolvedInputs.isEmpty()) {
            throw new SetupException("--watch needs --input DIR; " + USAGE);
        }
        long sockets = resolvedInputs.stream().filter(SocketEndpoint::isSocketUri).count();
        if (sockets > 0) {
            if (resolvedInputs.size() > 1) {
                throw new SetupException("--input tcp://HOST:PORT must be the only input; " + USAGE);
            }
            if (watch) {
                throw new SetupException("--watch is for directories, not for --input tcp://; " + USAGE);
            }
            SocketEndpoint.parse(resolvedInputs.get(0)); // fails naming what is wrong with it
        } else if (bounded) {
            throw new SetupException("--bounded is for --input tcp://HOST:PORT (files are always read to their end); " + USAGE);
        }
        return new WriteOptions(config, catalog, resolvedInputs, checkpointInterval,
                stateOut == null ? null : StateOutTarget.resolve(stateOut, "--state-out"),
                deadLetter == null ? null : resolveDirectory(deadLetter),
                watch ? (watchInterval == null ? WritePlan.DEFAULT_WATCH_INTERVAL : watchInterval) : null, bounded,
                afterRead == null ? AfterRead.leave() : AfterRead.parse(afterRead, "--after-read", resolvedInputs),
                new RunReporting(summaryJson,
                        quiet ? Duration.ZERO : progressInterval == null ? DEFAULT_PROGRESS_INTERVAL : progressInterval,
                        webUiPort));
    }

    /** The summary JSON, progress lines and web UI asked for. */
    public RunReporting reporting() {
        return reporting;
    }

    private static int parsePort(String text, String option) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new SetupException(option + " takes a port from 1 to 65535, got " + text);
    }

    /** Reads the config and the catalog and puts the run together. */
    public WritePlan plan() {
        return WritePlan.builder(DestinationConfig.fromFile(config), ConfiguredCatalog.fromFile(catalog))
                .inputs(inputs)
                .bounded(bounded)
                .watchInterval(watchInterval)
                .afterRead(afterRead)
                .stateOut(stateOut)
                .deadLetterDirectory(deadLetterDirectory)
                .checkpointInterval(checkpointInterval)
                .build();
    }

    private static String value(List<String> args, int index, String option) {
        if (index >= args.size() || args.get(index).startsWith("--")) {
            throw new SetupException(option + " needs a value; " + USAGE);
        }
        return args.get(index);
    }

    private static void requireFile(Path path, String option) {
        if (!Files.isRegularFile(path)) {
            throw new SetupException(option + " " + path + ": no such file");
        }
    }

    /**
     * A local path is checked here and made absolute, so a typo fails at once instead of becoming
     * an empty run. A URI with a scheme (s3://, hdfs://) is left to Flink's file systems.
     */
    private static String resolveInput(String input) {
        java.nio.file.Path local = SocketEndpoint.isSocketUri(input) ? null : Locations.localPath(input);
        if (local != null && !Files.exists(local)) {
            throw new SetupException("--input " + input + ": no such file or directory");
        }
        return local == null ? input : Locations.resolve(input);
    }

    /** A local directory is made absolute; a URI with a scheme is left to Flink's file systems. */
    private static String resolveDirectory(String directory) {
        java.nio.file.Path local = Locations.localPath(directory);
        if (local != null && Files.exists(local) && !Files.isDirectory(local)) {
            throw new SetupException("--dead-letter " + directory + ": not a directory");
        }
        return Locations.resolve(directory);
    }

    /** {@code 500ms}, {@code 10s}, {@code 2min}, or plain milliseconds. */
    static Duration parseDuration(String text, String option) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        try {
            Duration duration;
            if (value.endsWith("ms")) {
                duration = Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            } else if (value.endsWith("min")) {
                duration = Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 3)));
            } else if (value.endsWith("s")) {
                duration = Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
            } else if (value.endsWith("m")) {
                duration = Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            } else {
                duration = Duration.ofMillis(Long.parseLong(value));
            }
            if (duration.toMillis() < 10) {
                throw new SetupException(option + " must be at least 10ms, got " + text);
            }
            return duration;
        } catch (NumberFormatException e) {
            throw new SetupException(option + " must be a duration such as 500ms, 10s or 2min, got " + text);
        }
    }

    public Path config() {
        return config;
    }

    public Path catalog() {
        return catalog;
    }

    /** Absolute file URIs for local paths, as given for other file systems; empty for stdin. */
    public List<String> inputs() {
        return inputs;
    }
}
