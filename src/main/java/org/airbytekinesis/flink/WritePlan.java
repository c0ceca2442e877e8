package org.airbytekinesis.flink;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.SupportedSyncModes;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.envelope.PartitionKeyFields;
import org.airbytekinesis.flink.routing.StreamRoutes;
import org.airbytekinesis.flink.source.AfterRead;
import org.airbytekinesis.flink.source.SocketEndpoint;

/**
 * Everything a {@code write} run needs, parsed and checked: the destination config, the catalog
 * and its routes, the inputs and what to do with them, and where STATEs and dead letters go. Built
 * from the command line ({@link WriteOptions#plan()}) and from the property groups of Amazon
 * Managed Service for Apache Flink alike, so both take the same path from here on.
 */
public final class WritePlan {
    /** What the source reads when no {@code --input} is given. */
    public static final String STDIN = "/dev/stdin";
    /** How often watched inputs are listed unless told otherwise. */
    public static final Duration DEFAULT_WATCH_INTERVAL = Duration.ofSeconds(10);

    private final DestinationConfig config;
    private final ConfiguredCatalog catalog;
    private final StreamRoutes routes;
    private final List<String> inputs;
    private final SocketEndpoint socket;
    private final boolean bounded;
    private final Duration watchInterval;
    private final AfterRead afterRead;
    private final String stateOut;
    private final String deadLetterDirectory;
    private final Duration checkpointInterval;
    private final PartitionKeyFields partitionKeys;

    private WritePlan(Builder builder) {
        this.config = builder.config;
        this.catalog = builder.catalog;
        this.routes = StreamRoutes.forCatalog(builder.catalog);
        this.inputs = List.copyOf(builder.inputs);
        this.socket = inputs.size() == 1 && SocketEndpoint.isSocketUri(inputs.get(0)) ? SocketEndpoint.parse(inputs.get(0)) : null;
        this.bounded = builder.bounded;
        this.watchInterval = builder.watchInterval;
        this.afterRead = builder.afterRead;
        this.stateOut = builder.stateOut;
        this.deadLetterDirectory = builder.deadLetterDirectory;
        this.checkpointInterval = builder.checkpointInterval;
        this.partitionKeys = PartitionKeyFields.of(config.partitionKey(), catalog);
    }

    public static Builder builder(DestinationConfig config, ConfiguredCatalog catalog) {
        return new Builder(config, catalog);
    }

    public DestinationConfig config() {
        return config;
    }

    public ConfiguredCatalog catalog() {
        return catalog;
    }

    /** The fields each stream's partition keys are read from (none for {@code ab_id}). */
    public PartitionKeyFields partitionKeys() {
        return partitionKeys;
    }

    public StreamRoutes routes() {
        return routes;
    }

    /** Input URIs (local paths made absolute {@code file:} URIs); empty when reading standard input. */
    public List<String> inputs() {
        return inputs;
    }

    public boolean readsStdin() {
        return inputs.isEmpty();
    }

    /** The socket to read ({@code --input tcp://HOST:PORT}), or null. */
    public SocketEndpoint socket() {
        return socket;
    }

    /** Standard input and sockets cannot replay what was read: such runs must not restart. */
    public boolean cannotReplay() {
        return readsStdin() || socket != null;
    }

    /** With a socket: the end of the server's stream ends the input. */
    public boolean bounded() {
        return bounded;
    }

    /** How often watched inputs are listed; null for a bounded run. */
    public Duration watchInterval() {
        return watchInterval;
    }

    public AfterRead afterRead() {
        return afterRead;
    }

    /** A local file or a directory URI where released STATEs are written too, or null. */
    public String stateOut() {
        return stateOut;
    }

    /** The dead-letter directory (a URI) given explicitly, or null. */
    public String deadLetterDirectory() {
        return deadLetterDirectory;
    }

    /** Null when not given (the cluster's interval, or the default). */
    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    /** The sync mode of every Kinesis stream the run writes to, the dead-letter stream included. */
    public Map<String, DestinationSyncMode> syncModes() {
        Map<String, DestinationSyncMode> modes = new LinkedHashMap<>();
        for (CatalogStream stream : catalog.streams()) {
            modes.put(routes.kinesisStreams().get(stream.descriptor()), stream.syncMode());
        }
        config.deadLetterStream().ifPresent(stream -> modes.putIfAbsent(stream, DestinationSyncMode.APPEND));
        return Collections.unmodifiableMap(modes);
    }

    /**
     * Collects the plan's parts; {@link #build()} checks what only the parts together can tell.
     * Inputs and paths are expected resolved ({@link org.airbytekinesis.flink.config.Locations}).
     */
    public static final class Builder {
        private final DestinationConfig config;
        private final ConfiguredCatalog catalog;
        private List<String> inputs = List.of();
        private boolean bounded;
        private Duration watchInterval;
        private AfterRead afterRead = AfterRead.leave();
        private String stateOut;
        private String deadLetterDirectory;
        private Duration checkpointInterval;

        private Builder(DestinationConfig config, ConfiguredCatalog catalog) {
            this.config = config;
            this.catalog = catalog;
        }

        public Builder inputs(List<String> inputs) {
            this.inputs = inputs;
            return this;
        }

        public Builder bounded(boolean bounded) {
            this.bounded = bounded;
            return this;
        }

        public Builder watchInterval(Duration interval) {
            this.watchInterval = interval;
            return this;
        }

        public Builder afterRead(AfterRead afterRead) {
            this.afterRead = afterRead;
            return this;
        }

        public Builder stateOut(String stateOut) {
            this.stateOut = stateOut;
            return this;
        }

        public Builder deadLetterDirectory(String directory) {
            this.deadLetterDirectory = directory;
            return this;
        }

        public Builder checkpointInterval(Duration interval) {
            this.checkpointInterval = interval;
            return this;
        }

        public WritePlan build() {
            SupportedSyncModes.check(catalog);
            WritePlan plan = new WritePlan(this);
            config.deadLetterStream().ifPresent(stream -> {
                if (plan.routes.kinesisStreams().containsValue(stream)) {
                    throw new SetupException("config: deadLetterStream " + stream
                            + " is also the Kinesis stream of a catalog stream; dead letters need a stream of their own");
                }
                if (deadLetterDirectory != null) {
                    throw new SetupException("give either a dead-letter directory or deadLetterStream in the config, not both");
                }
            });
            return plan;
        }
    }
}
