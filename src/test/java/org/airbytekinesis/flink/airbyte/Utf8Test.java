package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Utf8Test {
    @Test
    void encodedLengthIsWhatJavasEncoderWritesAtEveryEncodingBoundary() {
        // Java's own encoder is the oracle: partition keys are sent as it encodes them.
        List<String> texts = List.of("", "a", "\u007f", "\u0080", "é", "\u07ff", "\u0800", "日本", "\uffff",
                "😀", "a😀b", "\ud83d", "a\ud83d", "\ude00x", "\ud83dx", "\ud83d\ud83d\ude00", "x\ude00\ud83d");
        for (String text : texts) {
            assertEquals(text.getBytes(StandardCharsets.UTF_8).length, Utf8.encodedLength(text), () -> "length of " + escape(text));
        }
    }

    @Test
    void encodedLengthCountsOneTwoThreeAndFourByteCharacters() {
        assertEquals(1, Utf8.encodedLength("\u007f"));
        assertEquals(2, Utf8.encodedLength("\u0080"));
        assertEquals(2, Utf8.encodedLength("\u07ff"));
        assertEquals(3, Utf8.encodedLength("\u0800"));
        assertEquals(4, Utf8.encodedLength("😀"));
        assertEquals(1, Utf8.encodedLength("\ud83d"), "a lone surrogate is written as ?");
    }

    @Test
    void validityIsCheckedOnTheGivenLengthOnly() {
        byte[] bytes = {'a', (byte) 0xC3, (byte) 0xA9, (byte) 0xC3};
        assertTrue(Utf8.isValid(bytes, 3));
        assertFalse(Utf8.isValid(bytes, 4), "a truncated sequence");
        assertFalse(Utf8.isValid(new byte[] {(byte) 0xC3, 0x28}, 2));
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(String.format("\\u%04x", c)));
        return out.toString();
    }
}
