package org.airbytekinesis.flink.source;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.core.fs.Path;

/**
 * What {@link WatchedDirectoryEnumerator} checkpoints: the splits no reader holds yet, the
 * version of every file it handed out that was still listed, and how many splits it made (so
 * that split ids never repeat, also after a restore). Immutable.
 */
public final class WatchedDirectoryState {
    static final WatchedDirectoryState EMPTY = new WatchedDirectoryState(List.of(), Map.of(), 0);

    private final List<FileSourceSplit> unassigned;
    private final Map<Path, FileVersion> handedOut;
    private final long splitsMade;

    WatchedDirectoryState(Collection<FileSourceSplit> unassigned, Map<Path, FileVersion> handedOut, long splitsMade) {
        this.unassigned = Collections.unmodifiableList(new ArrayList<>(unassigned));
        this.handedOut = Collections.unmodifiableMap(new LinkedHashMap<>(handedOut));
        this.splitsMade = splitsMade;
    }

    /** Splits waiting for a reader, oldest first. */
    List<FileSourceSplit> unassigned() {
        return unassigned;
    }

    /** Per path, the version last handed out for reading. */
    Map<Path, FileVersion> handedOut() {
        return handedOut;
    }

    long splitsMade() {
        return splitsMade;
    }

    @Override
    public String toString() {
        return "WatchedDirectoryState{" + unassigned.size() + " unassigned splits, " + handedOut.size()
                + " remembered files, " + splitsMade + " splits made}";
    }
}
