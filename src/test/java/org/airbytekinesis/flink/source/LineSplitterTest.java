package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<byte[]> split(byte[] content, int bufferSize) throws IOException {
        return split(new ByteArrayInputStream(content), bufferSize);
    }

    private static List<byte[]> split(InputStream in, int bufferSize) throws IOException {
        LineSplitter splitter = new LineSplitter(in, bufferSize);
        List<byte[]> lines = new ArrayList<>();
        byte[] line;
        while ((line = splitter.nextLine()) != null) {
            lines.add(line);
        }
        assertNull(splitter.nextLine(), "a finished splitter stays finished");
        return lines;
    }

    private static List<String> splitToStrings(String content, int bufferSize) throws IOException {
        List<String> lines = new ArrayList<>();
        for (byte[] line : split(utf8(content), bufferSize)) {
            lines.add(new String(line, StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** Hands out at most {@code chunk} bytes per read, as sockets and decompressors do. */
    private static InputStream trickle(byte[] content, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(content)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    @Test
    void linesEndAtLineFeed() throws IOException {
        assertEquals(List.of("a", "bc", "def"), splitToStrings("a\nbc\ndef\n", 64));
    }

    @Test
    void carriageReturnBeforeLineFeedIsDropped() throws IOException {
        assertEquals(List.of("a", "bc", "def"), splitToStrings("a\r\nbc\r\ndef\r\n", 64));
    }

    @Test
    void mixedLineEndingsAreSplit() throws IOException {
        assertEquals(List.of("a", "b", "c"), splitToStrings("a\nb\r\nc", 64));
    }

    @Test
    void carriageReturnElsewhereIsKept() throws IOException {
        assertEquals(List.of("a\rb", "\r\r", "c\r"), splitToStrings("a\rb\n\r\r\r\nc\r", 64));
    }

    @Test
    void lastLineWithoutNewlineIsALine() throws IOException {
        assertEquals(List.of("a", "last"), splitToStrings("a\nlast", 64));
    }

    @Test
    void emptyInputHasNoLines() throws IOException {
        assertEquals(List.of(), splitToStrings("", 16));
    }

    @Test
    void singleNewlineIsOneEmptyLine() throws IOException {
        assertEquals(List.of(""), splitToStrings("\n", 16));
        assertEquals(List.of(""), splitToStrings("\r\n", 16));
    }

    @Test
    void emptyLinesAreKeptAsEmptyLines() throws IOException {
        assertEquals(List.of("", "a", "", "", "b", ""), splitToStrings("\na\n\n\r\nb\n\n", 64));
    }

    @Test
    void lineLongerThanTheBufferIsWhole() throws IOException {
        String longLine = "0123456789".repeat(100);
        assertEquals(List.of("x", longLine, "y", longLine), splitToStrings("x\n" + longLine + "\ny\n" + longLine, 16));
    }

    @Test
    void crLfSplitAcrossReadsIsOneLineEnd() throws IOException {
        byte[] content = utf8("abc\r\ndefghij\r\nklm\r\n\r\nz");
        for (int bufferSize = 1; bufferSize <= 8; bufferSize++) {
            for (int chunk = 1; chunk <= 5; chunk++) {
                List<byte[]> lines = split(trickle(content, chunk), bufferSize);
                assertEquals(5, lines.size(), "buffer " + bufferSize + ", chunk " + chunk);
                assertArrayEquals(utf8("abc"), lines.get(0));
                assertArrayEquals(utf8("defghij"), lines.get(1));
                assertArrayEquals(utf8("klm"), lines.get(2));
                assertArrayEquals(new byte[0], lines.get(3));
                assertArrayEquals(utf8("z"), lines.get(4));
            }
        }
    }

    @Test
    void fiveMebibyteLineIsWhole() throws IOException {
        byte[] longLine = new byte[5 * 1024 * 1024];
        for (int i = 0; i < longLine.length; i++) {
            longLine[i] = (byte) ('a' + i % 26);
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.write(utf8("first\n"));
        content.write(longLine);
        content.write(utf8("\r\nlast\n"));
        List<byte[]> lines = split(content.toByteArray(), 64 * 1024);
        assertEquals(3, lines.size());
        assertArrayEquals(utf8("first"), lines.get(0));
        assertArrayEquals(longLine, lines.get(1));
        assertArrayEquals(utf8("last"), lines.get(2));
    }

    @Test
    void bytesThatAreNotUtf8AreKeptExactly() throws IOException {
        byte[] first = {(byte) 0xC3, (byte) 0x28, 'a', (byte) 0xFF, (byte) 0xFE, 0, (byte) 0x80};
        byte[] second = {(byte) 0xED, (byte) 0xA0, (byte) 0x80, '\r'};
        byte[] content = new byte[first.length + 1 + second.length];
        System.arraycopy(first, 0, content, 0, first.length);
        content[first.length] = '\n';
        System.arraycopy(second, 0, content, first.length + 1, second.length);
        List<byte[]> lines = split(content, 4);
        assertEquals(2, lines.size());
        assertArrayEquals(first, lines.get(0));
        assertArrayEquals(second, lines.get(1));
    }

    @Test
    void byteOrderMarkStaysInTheFirstLine() throws IOException {
        byte[] content = utf8("\uFEFF{\"type\":\"LOG\"}\n{}\n");
        List<byte[]> lines = split(content, 16);
        assertEquals(2, lines.size());
        assertArrayEquals(Arrays.copyOfRange(content, 0, content.length - 4), lines.get(0));
        assertArrayEquals(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, Arrays.copyOfRange(lines.get(0), 0, 3));
        assertArrayEquals(utf8("{}"), lines.get(1));
    }

    @Test
    void returnedLinesAreIndependentCopies() throws IOException {
        LineSplitter splitter = new LineSplitter(new ByteArrayInputStream(utf8("aaaa\nbbbb\ncccc\n")), 16);
        byte[] first = splitter.nextLine();
        byte[] second = splitter.nextLine();
        first[0] = 'X';
        assertArrayEquals(utf8("bbbb"), second);
        assertArrayEquals(utf8("cccc"), splitter.nextLine());
    }

    @Test
    void manyLinesAcrossManyRefillsComeOutInOrder() throws IOException {
        StringBuilder content = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String line = "line-" + i + "-" + "x".repeat(i % 37);
            expected.add(line);
            content.append(line).append(i % 3 == 0 ? "\r\n" : "\n");
        }
        assertEquals(expected, splitToStrings(content.toString(), 16));
        List<String> trickled = new ArrayList<>();
        for (byte[] line : split(trickle(utf8(content.toString()), 7), 16)) {
            trickled.add(new String(line, StandardCharsets.UTF_8));
        }
        assertEquals(expected, trickled);
    }
}
