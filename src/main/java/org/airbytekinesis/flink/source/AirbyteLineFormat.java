package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.io.InputStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.compression.StandardDeCompressors;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.ArrayResultIterator;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

/**
 * Reads files of AirbyteMessage lines for Flink's {@code FileSource}: every line, byte-exact,
 * with the file's path and the line number, so errors can name both, and after the last line an
 * {@link InputLine#END_OF_FILE} marker (what is done with a file once it is durable hangs on it).
 *
 * <p>Files are not split: one reader reads a file from start to end, which keeps its lines in
 * order. The checkpointed position is the number of lines already emitted. A restored reader
 * reads the file again from the start and emits the lines before that position as
 * {@link InputLine#REPLAYED}: they are not sent again, but the record counts since the last STATE
 * are recounted from them, so those counts live with the input itself and survive any
 * rescaling. Once the end marker is emitted the position says so ({@value #READ_TO_END} as
 * offset), and a restore does not open the file again: it may have been deleted or moved after
 * the checkpoint. Compressed files ({@code .gz}, {@code .bz2}, {@code .xz}, {@code .deflate}) are
 * decompressed by suffix.
 */
public final class AirbyteLineFormat implements BulkFormat<InputLine, FileSourceSplit> {
    private static final long serialVersionUID = 1L;

    private static final int READ_BUFFER_BYTES = 64 * 1024;
    private static final int MAX_LINES_PER_BATCH = 512;
    private static final long MAX_BYTES_PER_BATCH = 4L * 1024 * 1024;
    /** The checkpointed offset of a file that was read to its end, end marker included. */
    static final long READ_TO_END = Long.MAX_VALUE;

    private final String runId;

    /**
     * @param runId identifies this run (the same across its restarts); it tells apart inputs
     *     whose content cannot be identified otherwise (standard input)
     */
    public AirbyteLineFormat(String runId) {
        this.runId = runId;
    }

    @Override
    public Reader<InputLine> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return restoreReader(config, split);
    }

    @Override
    public Reader<InputLine> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        CheckpointedPosition position = split.getReaderPosition().orElse(null);
        if (position != null && position.getOffset() == READ_TO_END) {
            return new ReadToEnd();
        }
        long linesToReplay = position == null ? 0 : position.getRecordsAfterOffset();
        return new LineReader(split.path(), sourceId(split), linesToReplay);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<InputLine> getProducedType() {
        return TypeInformation.of(InputLine.class);
    }

    /** A file saved by a Windows editor may start with a UTF-8 BOM: it is not part of the line. */
    static byte[] withoutUtf8ByteOrderMark(byte[] line) {
        if (line.length >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
            return java.util.Arrays.copyOfRange(line, 3, line.length);
        }
        return line;
    }

    /** The file's name, size and modification time; for standard input the run. */
    private String sourceId(FileSourceSplit split) {
        String name = sourceName(split.path());
        return "stdin".equals(name)
                ? name + "@" + runId
                : name + "@" + split.fileSize() + "@" + split.fileModificationTime();
    }

    /** Local files are named by their plain path in messages, others by their URI. */
    static String sourceName(Path path) {
        String local = "file".equals(path.toUri().getScheme()) || path.toUri().getScheme() == null
                ? path.toUri().getPath()
                : null;
        if ("/dev/stdin".equals(local)) {
            return "stdin";
        }
        return local != null ? local : path.toString();
    }

    private static final class LineReader implements BulkFormat.Reader<InputLine> {
        private final String source;
        private final String sourceId;
        private final String fileUri;
        private final FSDataInputStream fileStream;
        private final LineSplitter lines;
        /** Lines before this one were emitted before the restore: they are replayed, not sent. */
        private final long replayUpTo;
        private long linesRead;
        private boolean endMarkerEmitted;

        LineReader(Path path, String sourceId, long replayUpTo) throws IOException {
            this.source = sourceName(path);
            this.sourceId = sourceId;
            this.fileUri = path.toUri().toString();
            this.replayUpTo = replayUpTo;
            this.fileStream = path.getFileSystem().open(path);
            try {
                InputStream in = fileStream;
                var inflater = StandardDeCompressors.getDecompressorForFileName(path.getName());
                if (inflater != null) {
                    in = inflater.create(in);
                }
                this.lines = new LineSplitter(in, READ_BUFFER_BYTES);
            } catch (IOException | RuntimeException e) {
                fileStream.close();
                throw e;
            }
        }

        @Override
        public RecordIterator<InputLine> readBatch() throws IOException {
            InputLine[] batch = new InputLine[MAX_LINES_PER_BATCH];
            long firstLine = linesRead;
            int count = 0;
            long bytes = 0;
            byte[] line;
            while (count < MAX_LINES_PER_BATCH && bytes < MAX_BYTES_PER_BATCH && (line = lines.nextLine()) != null) {
                linesRead++;
                if (linesRead == 1) {
                    line = withoutUtf8ByteOrderMark(line);
                }
                InputLine read = new InputLine(source, sourceId, linesRead, line);
                if (linesRead <= replayUpTo) {
                    read.kind = InputLine.REPLAYED;
                }
                batch[count++] = read;
                bytes += line.length;
            }
            ArrayResultIterator<InputLine> iterator = new ArrayResultIterator<>();
            if (count > 0) {
                // Positions count lines from the file's start; see restoreReader.
                iterator.set(batch, count, CheckpointedPosition.NO_OFFSET, firstLine);
                return iterator;
            }
            if (endMarkerEmitted) {
                return null;
            }
            endMarkerEmitted = true;
            // Its position says "read to the end", with the number of lines.
            iterator.set(new InputLine[] {InputLine.endOfFile(source, sourceId, linesRead, fileUri)}, 1, READ_TO_END,
                    linesRead - 1);
            return iterator;
        }

        @Override
        public void close() throws IOException {
            fileStream.close();
        }
    }

    /** A file restored after its end marker: nothing is left to read, and it is not opened. */
    private static final class ReadToEnd implements BulkFormat.Reader<InputLine> {
        @Override
        public RecordIterator<InputLine> readBatch() {
            return null;
        }

        @Override
        public void close() {}
    }
}
