package org.airbytekinesis.flink.config;

/** How the record's data is written into the envelope's {@code _airbyte_data} field. */
public enum DataFormat {
    /** The data as JSON text inside a JSON string, as the original Airbyte destination wrote it. */
    STRING("string"),
    /** The data embedded as a JSON object. */
    OBJECT("object");

    private final String configValue;

    DataFormat(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    static DataFormat fromConfigValue(String value) {
        for (DataFormat format : values()) {
            if (format.configValue.equals(value)) {
                return format;
            }
        }
        return null;
    }
}
