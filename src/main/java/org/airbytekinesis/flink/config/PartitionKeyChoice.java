package org.airbytekinesis.flink.config;

import java.io.Serializable;
import org.airbytekinesis.flink.airbyte.FieldPath;

/**
 * What a record's Kinesis partition key is ({@code partitionKey}): its {@code _airbyte_ab_id}
 * ({@code ab_id}, the default: records spread evenly over the shards), its stream's
 * {@code primary_key} from the catalog ({@code primary_key}), or one field for every stream (a
 * JSON Pointer such as {@code /customer/id}). A key taken from the data puts every record of one
 * value on one shard.
 */
public final class PartitionKeyChoice implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String AB_ID = "ab_id";
    public static final String PRIMARY_KEY = "primary_key";

    public static final PartitionKeyChoice BY_AB_ID = new PartitionKeyChoice(AB_ID, null);
    public static final PartitionKeyChoice BY_PRIMARY_KEY = new PartitionKeyChoice(PRIMARY_KEY, null);

    private final String configValue;
    private final FieldPath field;

    private PartitionKeyChoice(String configValue, FieldPath field) {
        this.configValue = configValue;
        this.field = field;
    }

    /**
     * @throws IllegalArgumentException saying what a value may be
     */
    static PartitionKeyChoice fromConfigValue(String value) {
        if (AB_ID.equals(value)) {
            return BY_AB_ID;
        }
        if (PRIMARY_KEY.equals(value)) {
            return BY_PRIMARY_KEY;
        }
        if (!value.startsWith("/")) {
            throw new IllegalArgumentException("must be \"ab_id\", \"primary_key\" or a field path such as \"/customer/id\"");
        }
        return new PartitionKeyChoice(value, FieldPath.parsePointer(value));
    }

    public boolean isAbId() {
        return AB_ID.equals(configValue);
    }

    public boolean isPrimaryKey() {
        return PRIMARY_KEY.equals(configValue);
    }

    /** The field of every stream's key, or null. */
    public FieldPath field() {
        return field;
    }

    public String configValue() {
        return configValue;
    }

    @Override
    public String toString() {
        return configValue;
    }
}
