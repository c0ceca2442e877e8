package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AirbyteLineFormatTest {
    private final AirbyteLineFormat format = new AirbyteLineFormat("test-run");

    @TempDir
    Path tempDir;

    /** One line read back, with the position the reader reported for it. */
    private static final class Read {
        final InputLine line;
        final long offset;
        final long skipCount;

        Read(InputLine line, long offset, long skipCount) {
            this.line = line;
            this.offset = offset;
            this.skipCount = skipCount;
        }
    }

    private static FileSourceSplit split(Path file) throws IOException {
        long size = Files.size(file);
        return new FileSourceSplit("id", new org.apache.flink.core.fs.Path(file.toUri()), 0, size, 0, size);
    }

    /** Local files are named by their plain path. */
    private static String source(Path file) {
        return file.toAbsolutePath().toString();
    }

    private static List<Read> readAll(BulkFormat.Reader<InputLine> reader) throws IOException {
        List<Read> reads = new ArrayList<>();
        try {
            BulkFormat.RecordIterator<InputLine> batch;
            while ((batch = reader.readBatch()) != null) {
                RecordAndPosition<InputLine> record;
                while ((record = batch.next()) != null) {
                    reads.add(new Read(record.getRecord(), record.getOffset(), record.getRecordSkipCount()));
                }
                batch.releaseBatch();
            }
        } finally {
            reader.close();
        }
        return reads;
    }

    private List<Read> readFile(Path file) throws IOException {
        return readAll(format.createReader(new Configuration(), split(file)));
    }

    private List<Read> restoreAfter(Path file, long linesDone) throws IOException {
        FileSourceSplit restored = split(file)
                .updateWithCheckpointedPosition(new CheckpointedPosition(CheckpointedPosition.NO_OFFSET, linesDone));
        return readAll(format.restoreReader(new Configuration(), restored));
    }

    private static List<String> lines(int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            lines.add(i % 10 == 0 ? "" : "{\"type\":\"LOG\",\"log\":{\"message\":\"line " + i + " Рома\"}}");
        }
        return lines;
    }

    private Path write(String name, List<String> lines) throws IOException {
        Path file = tempDir.resolve(name);
        Files.write(file, String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8));
        return file;
    }

    /** The lines to process (not replayed, not the end marker). */
    private static List<Read> sent(List<Read> reads) {
        return reads.stream().filter(r -> r.line.kind == InputLine.LINE).collect(Collectors.toList());
    }

    /**
     * What a reader gives: the lines before {@code firstLineNumber} again as REPLAYED (a restore),
     * then {@code expected} as lines, then the end-of-file marker, every one with the position to
     * restore from after it.
     */
    private static void assertLines(List<String> expected, long firstLineNumber, String source, List<Read> reads) {
        long total = firstLineNumber - 1 + expected.size();
        assertEquals(total + 1, reads.size(), "replayed lines, lines, end marker");
        for (int i = 0; i < total; i++) {
            Read read = reads.get(i);
            long lineNumber = i + 1;
            assertEquals(source, read.line.source);
            assertEquals(lineNumber, read.line.lineNumber);
            assertEquals(lineNumber < firstLineNumber ? InputLine.REPLAYED : InputLine.LINE, read.line.kind, "line " + lineNumber);
            if (lineNumber >= firstLineNumber) {
                assertArrayEquals(expected.get((int) (lineNumber - firstLineNumber)).getBytes(StandardCharsets.UTF_8),
                        read.line.bytes, "line " + lineNumber);
            }
            assertEquals(CheckpointedPosition.NO_OFFSET, read.offset);
            // Restoring from this position skips this line and all before it.
            assertEquals(lineNumber, read.skipCount, "position after line " + lineNumber);
        }
        assertEndMarker(reads.get(reads.size() - 1), source, total);
    }

    private static void assertEndMarker(Read marker, String source, long lines) {
        assertEquals(InputLine.END_OF_FILE, marker.line.kind);
        assertEquals(source, marker.line.source);
        assertEquals(lines, marker.line.lineNumber, "the marker carries the file's number of lines");
        assertEquals(new org.apache.flink.core.fs.Path(Path.of(source).toUri()).toUri().toString(),
                new String(marker.line.bytes, StandardCharsets.UTF_8), "and its URI");
        assertEquals(AirbyteLineFormat.READ_TO_END, marker.offset, "a restore after the marker does not open the file");
        assertEquals(lines, marker.skipCount);
    }

    @Test
    void everyLineIsReadWithSourceAndLineNumber() throws IOException {
        List<String> lines = List.of("{\"type\":\"LOG\"}", "", "{\"record\":{}}", "last");
        Path file = write("input.jsonl", lines);
        assertLines(lines, 1, source(file), readFile(file));
    }

    @Test
    void linesSpanningSeveralBatchesKeepTheirNumbers() throws IOException {
        List<String> lines = lines(1300);
        Path file = write("many.jsonl", lines);
        assertLines(lines, 1, source(file), readFile(file));
    }

    @Test
    void bigLinesAreSplitIntoSeveralBatches() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add(String.valueOf((char) ('a' + i)).repeat(1024 * 1024));
        }
        Path file = write("big.jsonl", lines);
        BulkFormat.Reader<InputLine> reader = format.createReader(new Configuration(), split(file));
        int batches = 0;
        BulkFormat.RecordIterator<InputLine> batch;
        while ((batch = reader.readBatch()) != null) {
            batches++;
            while (batch.next() != null) {
                // drain
            }
            batch.releaseBatch();
        }
        reader.close();
        assertEquals(3, batches, "two of lines, one with the end marker");
        assertLines(lines, 1, source(file), readFile(file));
    }

    @Test
    void crLfAndMissingFinalNewlineAreHandled() throws IOException {
        Path file = tempDir.resolve("crlf.log");
        Files.write(file, "a\r\nb\r\n\r\nc".getBytes(StandardCharsets.UTF_8));
        assertLines(List.of("a", "b", "", "c"), 1, source(file), readFile(file));
    }

    @Test
    void emptyFileHasNoLines() throws IOException {
        Path file = tempDir.resolve("empty.jsonl");
        Files.write(file, new byte[0]);
        List<Read> reads = readFile(file);
        assertEquals(1, reads.size(), "only the end marker");
        assertEndMarker(reads.get(0), source(file), 0);
    }

    @Test
    void restoredReaderContinuesAfterTheCheckpointedLine() throws IOException {
        List<String> lines = lines(1300);
        Path file = write("restore.jsonl", lines);
        for (int k : new int[] {0, 1, 9, 10, 511, 512, 513, 1024, 1299}) {
            List<Read> reads = restoreAfter(file, k);
            assertLines(lines.subList(k, lines.size()), k + 1, source(file), reads);
        }
    }

    @Test
    void aReaderRestoredAfterItsLastLineReplaysTheLinesAndEmitsTheEndMarker() throws IOException {
        List<String> lines = lines(5);
        Path file = write("done.jsonl", lines);
        assertLines(List.of(), 6, source(file), restoreAfter(file, 5));
    }

    @Test
    void aReaderRestoredAfterTheEndMarkerReadsNothingAndDoesNotOpenTheFile() throws IOException {
        Path file = write("gone.jsonl", lines(5));
        FileSourceSplit restored = split(file)
                .updateWithCheckpointedPosition(new CheckpointedPosition(AirbyteLineFormat.READ_TO_END, 5));
        Files.delete(file); // deleted or moved after the checkpoint
        assertEquals(0, readAll(format.restoreReader(new Configuration(), restored)).size());
    }

    @Test
    void positionsOfAReadCanBeRestoredFrom() throws IOException {
        List<String> lines = lines(700);
        Path file = write("positions.jsonl", lines);
        List<Read> reads = readFile(file);
        Read checkpointed = reads.get(599);
        List<Read> restored = readAll(format.restoreReader(new Configuration(), split(file)
                .updateWithCheckpointedPosition(new CheckpointedPosition(checkpointed.offset, checkpointed.skipCount))));
        assertEquals(601, sent(restored).get(0).line.lineNumber);
        assertLines(lines.subList(600, 700), 601, source(file), restored);
    }

    @Test
    void gzipFileReadsTheSameLines() throws IOException {
        List<String> lines = lines(1100);
        Path file = tempDir.resolve("input.jsonl.gz");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8));
        }
        Files.write(file, bytes.toByteArray());
        assertLines(lines, 1, source(file), readFile(file));
        assertLines(lines.subList(1000, 1100), 1001, source(file), restoreAfter(file, 1000));
    }

    @Test
    void aGzippedCorpusFileGivesTheSameLinesAsThePlainOne() throws IOException {
        for (Path plain : org.airbytekinesis.flink.testing.Corpus.messageFiles()) {
            Path gzipped = tempDir.resolve(plain.getFileName() + ".gz");
            try (OutputStream gzip = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
                Files.copy(plain, gzip);
            }
            List<Read> fromPlain = sent(readFile(plain));
            List<Read> fromGzip = sent(readFile(gzipped));
            assertEquals(fromPlain.size(), fromGzip.size(), plain.toString());
            for (int i = 0; i < fromPlain.size(); i++) {
                assertEquals(fromPlain.get(i).line.lineNumber, fromGzip.get(i).line.lineNumber);
                assertArrayEquals(fromPlain.get(i).line.bytes, fromGzip.get(i).line.bytes, plain + " line " + (i + 1));
            }
        }
    }

    @Test
    void localFileIsNamedByItsPlainPath() throws IOException {
        Path file = write("named.jsonl", List.of("x"));
        InputLine line = readFile(file).get(0).line;
        assertEquals(file.toAbsolutePath().toString(), line.source);
        assertFalse(line.source.startsWith("file:"), line.source);
    }

    @Test
    void filesAreNotSplit() {
        assertFalse(format.isSplittable());
    }

    @Test
    void producedTypeIsInputLine() {
        assertEquals(TypeInformation.of(InputLine.class), format.getProducedType());
    }

    @Test
    void readerWithoutCheckpointStartsAtTheFirstLine() throws IOException {
        Path file = write("fresh.jsonl", List.of("one", "two"));
        FileSourceSplit split = split(file);
        assertFalse(split.getReaderPosition().isPresent());
        List<Read> reads = readAll(format.restoreReader(new Configuration(), split));
        assertEquals(1, reads.get(0).line.lineNumber);
    }
}
