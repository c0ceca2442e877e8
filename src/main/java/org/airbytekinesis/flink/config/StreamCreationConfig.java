package org.airbytekinesis.flink.config;

import java.io.Serializable;

/** How the job creates the Kinesis streams it needs: capacity mode, shards and encryption. */
public final class StreamCreationConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** {@code streamMode}. */
    public enum Mode {
        /** A fixed number of shards: {@code shardCount}. */
        PROVISIONED("provisioned"),
        /** Capacity managed by Kinesis; {@code shardCount} does not apply. */
        ON_DEMAND("on_demand");

        private final String configValue;

        Mode(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }

        static Mode fromConfigValue(String value) {
            for (Mode mode : values()) {
                if (mode.configValue.equals(value)) {
                    return mode;
                }
            }
            return null;
        }
    }

    private final Mode mode;
    private final int shardCount;
    private final String kmsKeyId;

    public StreamCreationConfig(Mode mode, int shardCount, String kmsKeyId) {
        this.mode = mode;
        this.shardCount = shardCount;
        this.kmsKeyId = kmsKeyId;
    }

    public Mode mode() {
        return mode;
    }

    public int shardCount() {
        return shardCount;
    }

    /** A KMS key (id, ARN or alias) for server-side encryption of created streams, or null. */
    public String kmsKeyId() {
        return kmsKeyId;
    }

    @Override
    public String toString() {
        return mode.configValue() + (mode == Mode.PROVISIONED ? " with " + shardCount + " shards" : "")
                + (kmsKeyId == null ? "" : ", encrypted with KMS key " + kmsKeyId);
    }
}
