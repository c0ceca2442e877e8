package org.airbytekinesis.flink.airbyte;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 facts: whether raw bytes are valid (to tell a line that is not text from one that is not
 * JSON), and how long a string is once encoded (Kinesis counts partition keys in bytes).
 */
public final class Utf8 {
    private Utf8() {}

    public static boolean isValid(byte[] bytes, int length) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The length of {@code text} in UTF-8, in bytes, without encoding it. */
    public static int encodedLength(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 1; // a lone surrogate: Java's encoder writes "?"
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
