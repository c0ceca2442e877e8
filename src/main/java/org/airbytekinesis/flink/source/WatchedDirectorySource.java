package org.airbytekinesis.flink.source;

import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Reads every file in the watched inputs and then every file that appears, or appears again in
 * another version, forever. Which files are read is decided by {@link WatchedDirectoryEnumerator};
 * the reading is Flink's {@link FileSource}'s, reader and split serializer alike, so the readers'
 * state in checkpoints and savepoints of the FileSource-based watched source this one replaced
 * still restores, and its enumerator state is read by {@link WatchedDirectoryStateSerializer}.
 */
public final class WatchedDirectorySource
        implements Source<InputLine, FileSourceSplit, WatchedDirectoryState>, ResultTypeQueryable<InputLine> {
    private static final long serialVersionUID = 1L;

    private final FileSource<InputLine> reading;
    private final Path[] inputs;
    private final FileEnumerator.Provider fileEnumerator;
    private final long intervalMillis;

    /**
     * @param reading a bounded FileSource over the same inputs: its reader and split serializer are
     *     used
     * @param fileEnumerator lists the inputs (and decides which files count)
     */
    WatchedDirectorySource(FileSource<InputLine> reading, Path[] inputs, FileEnumerator.Provider fileEnumerator,
            Duration interval) {
        if (interval.toMillis() <= 0) {
            throw new IllegalArgumentException("the watch interval must be at least 1 ms, not " + interval);
        }
        this.reading = reading;
        this.inputs = inputs.clone();
        this.fileEnumerator = fileEnumerator;
        this.intervalMillis = interval.toMillis();
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<InputLine, FileSourceSplit> createReader(SourceReaderContext readerContext) {
        return reading.createReader(readerContext);
    }

    @Override
    public SimpleVersionedSerializer<FileSourceSplit> getSplitSerializer() {
        return reading.getSplitSerializer();
    }

    @Override
    public SplitEnumerator<FileSourceSplit, WatchedDirectoryState> createEnumerator(
            SplitEnumeratorContext<FileSourceSplit> context) {
        return restoreEnumerator(context, WatchedDirectoryState.EMPTY);
    }

    @Override
    public SplitEnumerator<FileSourceSplit, WatchedDirectoryState> restoreEnumerator(
            SplitEnumeratorContext<FileSourceSplit> context, WatchedDirectoryState state) {
        return new WatchedDirectoryEnumerator(context, fileEnumerator.create(), inputs, intervalMillis, state);
    }

    @Override
    public SimpleVersionedSerializer<WatchedDirectoryState> getEnumeratorCheckpointSerializer() {
        return new WatchedDirectoryStateSerializer(getSplitSerializer());
    }

    @Override
    public TypeInformation<InputLine> getProducedType() {
        return reading.getProducedType();
    }
}
