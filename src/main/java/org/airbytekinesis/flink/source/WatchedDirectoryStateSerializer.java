package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.PendingSplitsCheckpoint;
import org.apache.flink.connector.file.src.PendingSplitsCheckpointSerializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Writes {@link WatchedDirectoryState} as version {@value #VERSION}, and reads it and version 1,
 * the state of the FileSource-based watched source this one replaced (Flink's
 * {@link PendingSplitsCheckpointSerializer}), so a job resumes from its old checkpoints and
 * savepoints.
 *
 * <p>Version {@value #VERSION}: the split serializer's version; the number of unassigned splits,
 * each as length and bytes; the number of remembered files, each as the length and UTF-8 bytes
 * of its path, its modification time and its size; the number of splits made. Version 1 and
 * this one do not overlap, so Flink can tell them apart by the number alone.
 */
final class WatchedDirectoryStateSerializer implements SimpleVersionedSerializer<WatchedDirectoryState> {
    static final int VERSION = 100;
    static final int FILE_SOURCE_VERSION = 1;

    private final SimpleVersionedSerializer<FileSourceSplit> splits;

    WatchedDirectoryStateSerializer(SimpleVersionedSerializer<FileSourceSplit> splits) {
        this.splits = splits;
    }

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(WatchedDirectoryState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        out.writeInt(splits.getVersion());
        out.writeInt(state.unassigned().size());
        for (FileSourceSplit split : state.unassigned()) {
            writeBytes(out, splits.serialize(split));
        }
        out.writeInt(state.handedOut().size());
        for (Map.Entry<Path, FileVersion> file : state.handedOut().entrySet()) {
            writeBytes(out, file.getKey().toString().getBytes(StandardCharsets.UTF_8));
            out.writeLong(file.getValue().modificationTime);
            out.writeLong(file.getValue().size);
        }
        out.writeLong(state.splitsMade());
        return out.getCopyOfBuffer();
    }

    @Override
    public WatchedDirectoryState deserialize(int version, byte[] serialized) throws IOException {
        if (version == FILE_SOURCE_VERSION) {
            return fromFileSourceState(new PendingSplitsCheckpointSerializer<>(splits).deserialize(version, serialized));
        }
        if (version != VERSION) {
            throw new IOException("unknown version " + version + " of the watched directory's state (this build reads "
                    + FILE_SOURCE_VERSION + " and " + VERSION + ")");
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        int splitVersion = in.readInt();
        int splitCount = in.readInt();
        List<FileSourceSplit> unassigned = new ArrayList<>(splitCount);
        for (int i = 0; i < splitCount; i++) {
            unassigned.add(splits.deserialize(splitVersion, readBytes(in)));
        }
        int fileCount = in.readInt();
        Map<Path, FileVersion> handedOut = new LinkedHashMap<>();
        for (int i = 0; i < fileCount; i++) {
            Path path = new Path(new String(readBytes(in), StandardCharsets.UTF_8));
            handedOut.put(path, new FileVersion(in.readLong(), in.readLong()));
        }
        long splitsMade = in.readLong();
        if (in.available() > 0) {
            throw new IOException("watched directory state: " + in.available() + " unexpected bytes");
        }
        return new WatchedDirectoryState(unassigned, handedOut, splitsMade);
    }

    /**
     * The old source knew only the paths it had read: they are remembered in an unknown version,
     * which the next listing adopts (see {@link WatchedDirectoryEnumerator}). Its pending splits
     * carry their version. Its split ids are all digits, ours never are: no id can repeat.
     */
    private static WatchedDirectoryState fromFileSourceState(PendingSplitsCheckpoint<FileSourceSplit> old) {
        Map<Path, FileVersion> handedOut = new LinkedHashMap<>();
        for (Path path : old.getAlreadyProcessedPaths()) {
            handedOut.put(path, FileVersion.UNKNOWN);
        }
        for (FileSourceSplit split : old.getSplits()) {
            handedOut.put(split.path(), FileVersion.of(split));
        }
        return new WatchedDirectoryState(old.getSplits(), handedOut, 0);
    }

    private static void writeBytes(DataOutputSerializer out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBytes(DataInputDeserializer in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("watched directory state: a field of " + length + " bytes, " + in.available() + " left");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
