package org.airbytekinesis.flink.config;

/** How {@code _airbyte_ab_id} is made ({@code abIdMode}). */
public enum IdMode {
    /**
     * A name-based UUID of the record's input position (source and line), so a replay writes
     * the same id again and consumers can drop duplicates.
     */
    POSITION("position"),
    /** A random UUID per record, as the original Airbyte destination made them. */
    RANDOM("random");

    private final String configValue;

    IdMode(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    static IdMode fromConfigValue(String value) {
        for (IdMode mode : values()) {
            if (mode.configValue.equals(value)) {
                return mode;
            }
        }
        return null;
    }
}
