package org.airbytekinesis.flink.airbyte;

/** The protocol's DestinationSyncMode values, as they appear in a configured catalog. */
public enum DestinationSyncMode {
    APPEND("append"),
    OVERWRITE("overwrite"),
    APPEND_DEDUP("append_dedup"),
    UPDATE("update"),
    SOFT_DELETE("soft_delete");

    private final String protocolValue;

    DestinationSyncMode(String protocolValue) {
        this.protocolValue = protocolValue;
    }

    public String protocolValue() {
        return protocolValue;
    }

    static DestinationSyncMode fromProtocolValue(String value) {
        for (DestinationSyncMode mode : values()) {
            if (mode.protocolValue.equals(value)) {
                return mode;
            }
        }
        return null;
    }
}
