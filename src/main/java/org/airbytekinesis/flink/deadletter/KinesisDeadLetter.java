package org.airbytekinesis.flink.deadletter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.function.IntPredicate;
import org.airbytekinesis.flink.airbyte.Utf8;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;

/**
 * A dead letter as one Kinesis record that Kinesis accepts: its JSON plus its partition key, in
 * UTF-8 bytes as Kinesis counts them, within {@code maxRecordSizeBytes}. A dead letter that fits
 * is the same JSON as in a dead-letter file. One that does not (it carries its line twice, as
 * text and as base64, so a line near or over the limit never fits) is cut, see
 * {@link DeadLetterJson}: it keeps the line's size and SHA-256 and the longest prefix of the line
 * that fits.
 */
final class KinesisDeadLetter {
    /** Kinesis allows partition keys of 1 to 256 Unicode characters. */
    static final int MAX_PARTITION_KEY_CODE_POINTS = 256;
    /** Marks a message or source that had to be cut. */
    private static final String ELLIPSIS = "\u2026";

    private KinesisDeadLetter() {}

    static KinesisEnvelope envelope(String stream, DeadLetter deadLetter, int maxRecordSizeBytes) {
        return envelope(stream, deadLetter, maxRecordSizeBytes, Instant.now().toString());
    }

    /** With the time of failure given: its text's length varies, and the cut depends on it. */
    static KinesisEnvelope envelope(String stream, DeadLetter deadLetter, int maxRecordSizeBytes, String failedAt) {
        String key = partitionKey(deadLetter);
        byte[] json = DeadLetterJson.toJsonLine(deadLetter, failedAt);
        if (json.length + utf8Length(key) <= maxRecordSizeBytes) {
            return new KinesisEnvelope(stream, key, json);
        }
        return new Cut(deadLetter, failedAt, key, maxRecordSizeBytes).envelope(stream);
    }

    /**
     * {@code source:line}, at most the last 256 code points of it (the line number is the part
     * that tells dead letters of one source apart): the key spreads dead letters over shards.
     */
    static String partitionKey(DeadLetter deadLetter) {
        return lastCodePoints(deadLetter.source + ":" + deadLetter.lineNumber, MAX_PARTITION_KEY_CODE_POINTS);
    }

    static int utf8Length(String text) {
        return Utf8.encodedLength(text);
    }

    /** The last {@code count} code points of {@code text}; a surrogate pair is never split. */
    static String lastCodePoints(String text, int count) {
        if (text.codePointCount(0, text.length()) <= count) {
            return text;
        }
        return text.substring(text.offsetByCodePoints(text.length(), -count));
    }

    private static String firstCodePoints(String text, int count) {
        return text.substring(0, text.offsetByCodePoints(0, count));
    }

    /** The largest value in [lo, hi] that fits, given that fitting only gets harder upwards; lo - 1 if none does. */
    private static int largestFitting(int lo, int hi, IntPredicate fits) {
        int best = lo - 1;
        while (lo <= hi) {
            int mid = lo + (hi - lo) / 2;
            if (fits.test(mid)) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    /** The cutting of one dead letter. */
    private static final class Cut {
        private final DeadLetter deadLetter;
        private final String failedAt;
        private final int limit;
        private final byte[] line;
        /** Whether the line is UTF-8, so that its prefix can be shown as text too. */
        private final boolean text;
        private final String sha256;
        private String message;
        private String source;
        private String key;

        Cut(DeadLetter deadLetter, String failedAt, String key, int limit) {
            this.deadLetter = deadLetter;
            this.failedAt = failedAt;
            this.limit = limit;
            this.line = deadLetter.original;
            this.text = Utf8.isValid(line, line.length);
            this.sha256 = sha256Hex(line);
            this.message = deadLetter.message == null ? "" : deadLetter.message;
            this.source = deadLetter.source;
            this.key = key;
        }

        KinesisEnvelope envelope(String stream) {
            fitTheFieldsBesidesTheLine();
            int budget = limit - size(0);
            // A cut dead letter never holds the whole line (only a line of a character or two
            // could fit where a message or source was cut).
            int longest = boundaryAtOrBefore(Math.max(0, line.length - 1));
            int prefix = largestFitting(0, Math.min(longest, budget), p -> growth(boundaryAtOrBefore(p)) <= budget);
            prefix = boundaryAtOrBefore(prefix);
            byte[] json = json(prefix);
            if (json.length + utf8Length(key) > limit) {
                throw new IllegalStateException("a cut dead letter came out " + (json.length + utf8Length(key))
                        + " bytes, over the limit of " + limit);
            }
            return new KinesisEnvelope(stream, key, json);
        }

        /**
         * Message, source and key are kept whole unless, with none of the line, they alone are
         * too large: a message can quote the line (the stream name of a record of a stream the
         * catalog lacks), and a source is a path of any length. Then the message keeps the start
         * that fits beside the source's last 256 code points (where its file name is), the source
         * the end that fits beside that message, and if need be the key less than 256 code
         * points. Each is cut only as far as needed, so no room is left for the whole line.
         */
        private void fitTheFieldsBesidesTheLine() {
            if (size(0) <= limit) {
                return;
            }
            String wholeMessage = message;
            String sourceEnd = source.codePointCount(0, source.length()) > MAX_PARTITION_KEY_CODE_POINTS
                    ? ELLIPSIS + lastCodePoints(source, MAX_PARTITION_KEY_CODE_POINTS)
                    : source;
            if (sizeWith(message, sourceEnd, key) > limit) {
                int keep = largestFitting(0, wholeMessage.codePointCount(0, wholeMessage.length()) - 1,
                        n -> sizeWith(firstCodePoints(wholeMessage, n) + ELLIPSIS, sourceEnd, key) <= limit);
                message = keep >= 0 ? firstCodePoints(wholeMessage, keep) + ELLIPSIS : "";
            }
            String wholeSource = source;
            if (sizeWith(message, source, key) > limit) {
                int keep = largestFitting(0, wholeSource.codePointCount(0, wholeSource.length()) - 1,
                        n -> sizeWith(message, ELLIPSIS + lastCodePoints(wholeSource, n), key) <= limit);
                source = keep >= 0 ? ELLIPSIS + lastCodePoints(wholeSource, keep) : "";
            }
            String wholeKey = key;
            if (sizeWith(message, source, key) > limit) {
                int keep = largestFitting(1, wholeKey.codePointCount(0, wholeKey.length()),
                        n -> sizeWith(message, source, lastCodePoints(wholeKey, n)) <= limit);
                if (keep < 1) {
                    throw new IllegalArgumentException("maxRecordSizeBytes " + limit + " cannot hold even an empty dead letter");
                }
                key = lastCodePoints(wholeKey, keep);
            }
        }

        /** Bytes of the record with the first {@code prefix} bytes of the line. */
        private int size(int prefix) {
            return json(prefix).length + utf8Length(key);
        }

        private int sizeWith(String message, String source, String key) {
            return DeadLetterJson.toCutJsonLine(deadLetter, message, source, failedAt, 0, text, sha256).length
                    + utf8Length(key);
        }

        private byte[] json(int prefix) {
            return DeadLetterJson.toCutJsonLine(deadLetter, message, source, failedAt, prefix, text, sha256);
        }

        /** What a prefix adds to the record with none: its base64, and its text when shown. */
        private long growth(int prefix) {
            long base64 = 4L * ((prefix + 2) / 3);
            return text ? base64 + DeadLetterJson.escapedLength(new String(line, 0, prefix, StandardCharsets.UTF_8)) : base64;
        }

        /** Text is cut at a character boundary; bytes that are not text anywhere. */
        private int boundaryAtOrBefore(int prefix) {
            if (!text) {
                return prefix;
            }
            while (prefix > 0 && prefix < line.length && (line[prefix] & 0xC0) == 0x80) {
                prefix--;
            }
            return prefix;
        }
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder hex = new StringBuilder(digest.length * 2);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
