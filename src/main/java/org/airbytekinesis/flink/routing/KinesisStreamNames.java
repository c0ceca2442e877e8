package org.airbytekinesis.flink.routing;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The Kinesis stream name of an Airbyte stream, by the original Airbyte Kinesis destination's
 * rule, so that streams written by it and by this job are the same streams.
 */
public final class KinesisStreamNames {
    /** Kinesis stream names are at most 128 characters. */
    public static final int MAX_LENGTH = 128;

    // Java's \p{Alnum} and \s are ASCII-only by default, as in the original destination.
    private static final Pattern COMBINING_MARKS = Pattern.compile("\\p{M}");
    private static final Pattern WHITESPACE_RUNS = Pattern.compile("\\s+");
    private static final Pattern NOT_ALPHANUMERIC_OR_UNDERSCORE = Pattern.compile("[^\\p{Alnum}_]");

    private KinesisStreamNames() {}

    /** {@code (namespace ?? "") + "_" + stream}, made safe for Kinesis. */
    public static String of(String namespace, String stream) {
        String joined = (namespace == null ? "" : namespace) + "_" + stream;
        String decomposed = Normalizer.normalize(joined, Normalizer.Form.NFKD);
        String name = COMBINING_MARKS.matcher(decomposed).replaceAll("");
        name = WHITESPACE_RUNS.matcher(name).replaceAll("_");
        name = NOT_ALPHANUMERIC_OR_UNDERSCORE.matcher(name).replaceAll("_");
        return name.length() > MAX_LENGTH ? name.substring(0, MAX_LENGTH) : name;
    }
}
