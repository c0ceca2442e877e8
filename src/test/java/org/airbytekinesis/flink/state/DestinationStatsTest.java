package org.airbytekinesis.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The record count spliced into STATE lines as they came, short ones and ones with a stray line ending included. */
class DestinationStatsTest {

    @Test
    void aShortStateWithAnEmptyStateObjectGetsTheCountAsItsOnlyField() {
        assertEquals("{\"state\":{\"destinationStats\":{\"recordCount\":3.0}}}",
                withRecordCount("{\"state\":{}}", 3));
    }

    @Test
    void theCountGoesFirstInAStateObjectWithFieldsWhoseTextIsKeptAsItCame() {
        assertEquals("{\"type\":\"STATE\",\"state\":{\"destinationStats\":{\"recordCount\":12.0}, \"n\":1.50e0}}",
                withRecordCount("{\"type\":\"STATE\",\"state\":{ \"n\":1.50e0}}", 12));
    }

    @Test
    void trailingWhitespaceAndACarriageReturnAreLeftOut() {
        assertEquals("{\"state\":{\"destinationStats\":{\"recordCount\":0.0},\"a\":1}}",
                withRecordCount("{\"state\":{\"a\":1}} \t\r", 0));
    }

    private static String withRecordCount(String line, long recordCount) {
        int stateStart = line.indexOf('{', line.indexOf("\"state\""));
        int stateEnd = line.lastIndexOf('}');
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return new String(DestinationStats.withRecordCount(bytes, stateStart, stateEnd, recordCount, false),
                StandardCharsets.UTF_8);
    }
}
