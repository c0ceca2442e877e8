package org.airbytekinesis.flink;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a {@code write} run shows besides its Airbyte messages: the summary as JSON, progress
 * lines, Flink's web UI. Progress and the web UI are for local runs; a cluster has its own UI
 * and metrics.
 */
public final class RunReporting {
    /** Nothing beyond the console summary (Managed Service for Apache Flink, tests). */
    public static final RunReporting NONE = new RunReporting(null, Duration.ZERO, 0);

    private final Path summaryJson;
    private final Duration progressInterval;
    private final int webUiPort;

    RunReporting(Path summaryJson, Duration progressInterval, int webUiPort) {
        this.summaryJson = summaryJson;
        this.progressInterval = progressInterval;
        this.webUiPort = webUiPort;
    }

    /** Where the end-of-run summary goes as JSON too, or null. */
    public Path summaryJson() {
        return summaryJson;
    }

    /** How often a local run prints its progress; zero: never. */
    public Duration progressInterval() {
        return progressInterval;
    }

    /** The local MiniCluster's web UI port, or 0 for none. */
    public int webUiPort() {
        return webUiPort;
    }
}
