package org.airbytekinesis.flink.config;

/** Whether records are packed into KPL aggregated records ({@code aggregation}). */
public enum Aggregation {
    /** One Kinesis record per Airbyte record. */
    NONE("none"),
    /** Many Airbyte records per Kinesis record, in the KPL's format, per shard. */
    KPL("kpl");

    private final String configValue;

    Aggregation(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    static Aggregation fromConfigValue(String value) {
        for (Aggregation aggregation : values()) {
            if (aggregation.configValue.equals(value)) {
                return aggregation;
            }
        }
        return null;
    }
}
