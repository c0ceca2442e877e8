package org.airbytekinesis.flink.config;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The secret values of the configs read in this JVM, so that whatever the job prints at the end
 * (an error message a server may have filled with what it received) can be cleaned of them.
 */
public final class Secrets {
    private static final Set<String> VALUES = ConcurrentHashMap.newKeySet();
    /** Shorter values would replace parts of ordinary words; real keys are far longer. */
    private static final int MIN_LENGTH = 4;

    private Secrets() {}

    static void register(String value) {
        if (value != null && value.length() >= MIN_LENGTH) {
            VALUES.add(value);
        }
    }

    public static String redact(String text) {
        String redacted = text;
        for (String value : VALUES) {
            redacted = redacted.replace(value, "<redacted>");
        }
        return redacted;
    }
}
