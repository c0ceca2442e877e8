package org.airbytekinesis.flink.envelope;

import java.io.Serializable;
import org.airbytekinesis.flink.config.BadInputPolicy;
import org.airbytekinesis.flink.config.DataFormat;
import org.airbytekinesis.flink.config.DestinationConfig;
import org.airbytekinesis.flink.config.IdMode;

/** What the envelope operator needs of the config: no endpoint, no credentials. */
public final class EnvelopeSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    private final DataFormat dataFormat;
    private final IdMode idMode;
    private final BadInputPolicy badInputPolicy;
    private final int maxRecordSizeBytes;
    private final PartitionKeyFields partitionKeys;

    public EnvelopeSettings(DataFormat dataFormat, IdMode idMode, BadInputPolicy badInputPolicy, int maxRecordSizeBytes) {
        this(dataFormat, idMode, badInputPolicy, maxRecordSizeBytes, PartitionKeyFields.AB_ID);
    }

    private EnvelopeSettings(DataFormat dataFormat, IdMode idMode, BadInputPolicy badInputPolicy, int maxRecordSizeBytes,
            PartitionKeyFields partitionKeys) {
        this.dataFormat = dataFormat;
        this.idMode = idMode;
        this.badInputPolicy = badInputPolicy;
        this.maxRecordSizeBytes = maxRecordSizeBytes;
        this.partitionKeys = partitionKeys;
    }

    /** With partition keys read from {@code keys} (the config's {@code partitionKey} over the catalog). */
    public static EnvelopeSettings of(DestinationConfig config, PartitionKeyFields keys) {
        return new EnvelopeSettings(config.dataFormat(), config.idMode(), config.badInputPolicy(), config.maxRecordSizeBytes(),
                keys);
    }

    /** For a config that keys records by id (which needs no catalog). */
    public static EnvelopeSettings of(DestinationConfig config) {
        if (!config.partitionKey().isAbId()) {
            throw new IllegalArgumentException("partitionKey " + config.partitionKey() + " needs the catalog");
        }
        return new EnvelopeSettings(config.dataFormat(), config.idMode(), config.badInputPolicy(), config.maxRecordSizeBytes());
    }

    /** The defaults of an empty config. */
    public static EnvelopeSettings defaults() {
        return of(DestinationConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()));
    }

    public DataFormat dataFormat() {
        return dataFormat;
    }

    public IdMode idMode() {
        return idMode;
    }

    public BadInputPolicy badInputPolicy() {
        return badInputPolicy;
    }

    public int maxRecordSizeBytes() {
        return maxRecordSizeBytes;
    }

    public PartitionKeyFields partitionKeys() {
        return partitionKeys;
    }

    public EnvelopeSettings withDataFormat(DataFormat format) {
        return new EnvelopeSettings(format, idMode, badInputPolicy, maxRecordSizeBytes, partitionKeys);
    }

    public EnvelopeSettings withBadInputPolicy(BadInputPolicy policy) {
        return new EnvelopeSettings(dataFormat, idMode, policy, maxRecordSizeBytes, partitionKeys);
    }

    public EnvelopeSettings withPartitionKeys(PartitionKeyFields keys) {
        return new EnvelopeSettings(dataFormat, idMode, badInputPolicy, maxRecordSizeBytes, keys);
    }
}
