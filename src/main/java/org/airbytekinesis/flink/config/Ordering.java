package org.airbytekinesis.flink.config;

/** What order the records of one partition key keep in their shard ({@code ordering}). */
public enum Ordering {
    /** None promised: a retried record can land after records sent later. */
    NONE("none"),
    /** Input order per key, whatever is retried: one record per key is unwritten at a time. */
    PER_KEY("per_key");

    private final String configValue;

    Ordering(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    static Ordering fromConfigValue(String value) {
        for (Ordering ordering : values()) {
            if (ordering.configValue.equals(value)) {
                return ordering;
            }
        }
        return null;
    }
}
