package org.airbytekinesis.flink.config;

/** What happens to an input line that cannot be delivered ({@code onBadInput}). */
public enum BadInputPolicy {
    /** It goes to the dead-letter output with its reason and source, and the run goes on. */
    DEAD_LETTER("dead-letter"),
    /** The run stops, naming the file and line. */
    FAIL("fail");

    private final String configValue;

    BadInputPolicy(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }

    static BadInputPolicy fromConfigValue(String value) {
        for (BadInputPolicy policy : values()) {
            if (policy.configValue.equals(value)) {
                return policy;
            }
        }
        return null;
    }
}
