package org.airbytekinesis.flink.source;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the watched inputs every interval and hands out a split for every file version it has
 * not handed out yet. Flink's own continuous enumerator knows files by path alone and never
 * forgets one: a file delivered again under a name read before is never read, and the set of
 * paths grows in every checkpoint for the life of the job. Here:
 *
 * <ul>
 *   <li>A file is known by its path, modification time and size. A listed file whose path is new,
 *       or whose modification time or size differs from the version handed out for that path, is
 *       handed out; a redelivery is logged at INFO.
 *   <li>After a listing that succeeded, only the listed files are remembered: a file deleted or
 *       moved away is forgotten, so memory and checkpoints follow the number of files present, not
 *       the job's age, and a file that comes back later is a new delivery and is read again.
 *   <li>A listing that fails forgets nothing; the next interval tries again. The first failure of
 *       a run of failures is logged at WARN with its cause, the recovery at INFO.
 *   <li><b>State of the old FileSource-based watched source</b> holds only the paths it read. Each
 *       is remembered in an unknown version; the first listing adopts the version it sees without
 *       reading the file (it was read under that path) and, as always, forgets the paths it does
 *       not list. So a file replaced between the old job's last checkpoint and that listing is not
 *       read; every later delivery is.
 * </ul>
 *
 * <p>Splits go to readers that asked, in the order they asked, oldest split first. All state is
 * touched only in the coordinator thread; the listing itself runs in Flink's worker thread.
 */
final class WatchedDirectoryEnumerator implements SplitEnumerator<FileSourceSplit, WatchedDirectoryState> {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedDirectoryEnumerator.class);

    private final SplitEnumeratorContext<FileSourceSplit> context;
    private final FileEnumerator files;
    private final Path[] inputs;
    private final long intervalMillis;

    private final ArrayDeque<FileSourceSplit> unassigned;
    private Map<Path, FileVersion> handedOut;
    private long splitsMade;
    private final LinkedHashMap<Integer, String> readersWaiting = new LinkedHashMap<>();
    private int failedListings;

    WatchedDirectoryEnumerator(SplitEnumeratorContext<FileSourceSplit> context, FileEnumerator files, Path[] inputs,
            long intervalMillis, WatchedDirectoryState state) {
        this.context = context;
        this.files = files;
        this.inputs = inputs.clone();
        this.intervalMillis = intervalMillis;
        this.unassigned = new ArrayDeque<>(state.unassigned());
        this.handedOut = new HashMap<>(state.handedOut());
        this.splitsMade = state.splitsMade();
    }

    @Override
    public void start() {
        context.callAsync(() -> files.enumerateSplits(inputs, 1), this::onListing, 0, intervalMillis);
    }

    private void onListing(Collection<FileSourceSplit> listed, Throwable error) {
        if (error != null) {
            if (failedListings++ == 0) {
                LOG.warn("Listing the watched inputs {} failed; nothing is forgotten, and listing is retried every {} ms"
                        + " (further failures are not logged until it works again)", List.of(inputs), intervalMillis, error);
            }
            return;
        }
        if (failedListings > 0) {
            LOG.info("Listing the watched inputs {} works again, after {} failed attempts", List.of(inputs), failedListings);
            failedListings = 0;
        }
        Map<Path, FileVersion> present = new HashMap<>();
        int adopted = 0;
        for (FileSourceSplit file : listed) {
            FileVersion version = FileVersion.of(file);
            if (present.putIfAbsent(file.path(), version) != null) {
                continue; // listed twice (inputs that overlap)
            }
            FileVersion before = handedOut.get(file.path());
            if (before == null) {
                handOut(file);
            } else if (before.isUnknown()) {
                adopted++;
            } else if (!before.equals(version)) {
                LOG.info("Reading {} again: new modification time/size ({}; before: {})", file.path(), version, before);
                handOut(file);
            }
        }
        if (adopted > 0) {
            LOG.info("{} files read by the previous (FileSource-based) watched source count as read in the version"
                    + " listed now; later deliveries of them are read", adopted);
        }
        // Whatever was not listed is gone: forget it, and read it as new should it come back.
        handedOut = present;
        assignSplits();
    }

    /** A split of our own, so that ids never repeat (the file enumerator starts over on restore). */
    private void handOut(FileSourceSplit file) {
        splitsMade++;
        LOG.debug("Handing out {}", file);
        unassigned.add(new FileSourceSplit("watch-" + splitsMade, file.path(), file.offset(), file.length(),
                file.fileModificationTime(), file.fileSize(), file.hostnames()));
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        readersWaiting.put(subtaskId, requesterHostname);
        assignSplits();
    }

    @Override
    public void addSplitsBack(List<FileSourceSplit> splits, int subtaskId) {
        if (!splits.isEmpty()) {
            LOG.info("Reader {} gave back {} splits: they go to the next readers that ask", subtaskId, splits.size());
        }
        for (int i = splits.size() - 1; i >= 0; i--) {
            unassigned.addFirst(splits.get(i));
        }
        assignSplits();
    }

    private void assignSplits() {
        Iterator<Integer> waiting = readersWaiting.keySet().iterator();
        while (waiting.hasNext() && !unassigned.isEmpty()) {
            int subtask = waiting.next();
            waiting.remove();
            // A reader that failed since it asked will ask again once restarted.
            if (context.registeredReaders().containsKey(subtask)) {
                context.assignSplit(unassigned.poll(), subtask);
            }
        }
    }

    @Override
    public void addReader(int subtaskId) {
        // Readers ask for splits themselves.
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
        LOG.warn("Ignoring an unexpected event from reader {}: {}", subtaskId, sourceEvent);
    }

    @Override
    public WatchedDirectoryState snapshotState(long checkpointId) {
        return new WatchedDirectoryState(unassigned, handedOut, splitsMade);
    }

    @Override
    public void close() {}
}
