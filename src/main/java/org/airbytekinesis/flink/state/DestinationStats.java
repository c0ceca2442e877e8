package org.airbytekinesis.flink.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Adds {@code destinationStats.recordCount} to a STATE message. The state object's text is
 * kept as it came (its numbers and escapes untouched): the field is spliced in after the
 * state's opening brace. Only a state that already carries destinationStats is rebuilt as a
 * tree, to replace the old value instead of repeating the key.
 */
public final class DestinationStats {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DestinationStats() {}

    /**
     * @param line the STATE message line
     * @param stateStart offset of the state object's opening brace
     * @param stateEnd offset just after its closing brace
     * @param recordCount records the destination committed for this state
     */
    public static byte[] withRecordCount(
            byte[] line, int stateStart, int stateEnd, long recordCount, boolean hasDestinationStats) {
        int end = trimmedEnd(line);
        if (hasDestinationStats) {
            return replaceInTree(line, end, recordCount);
        }
        // A double, as the protocol says.
        byte[] field = ("\"destinationStats\":{\"recordCount\":" + recordCount + ".0}")
                .getBytes(StandardCharsets.US_ASCII);
        boolean emptyState = firstNonBlank(line, stateStart + 1, stateEnd) == '}';
        ByteArrayOutputStream out = new ByteArrayOutputStream(end + field.length + 1);
        out.write(line, 0, stateStart + 1);
        out.write(field, 0, field.length);
        if (!emptyState) {
            out.write(',');
        }
        out.write(line, stateStart + 1, end - stateStart - 1);
        return out.toByteArray();
    }

    private static byte[] replaceInTree(byte[] line, int end, long recordCount) {
        try {
            ObjectNode message = (ObjectNode) MAPPER.readTree(Arrays.copyOf(line, end));
            ObjectNode stats = ((ObjectNode) message.get("state")).putObject("destinationStats");
            stats.put("recordCount", (double) recordCount);
            return MAPPER.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite a scanned STATE message", e);
        }
    }

    private static int firstNonBlank(byte[] line, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b;
            }
        }
        return -1;
    }

    /** Trailing whitespace (a stray {@code \r}) does not belong in the one-line output. */
    private static int trimmedEnd(byte[] line) {
        int end = line.length;
        while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r')) {
            end--;
        }
        return end;
    }
}
