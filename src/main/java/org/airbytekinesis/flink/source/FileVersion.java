package org.airbytekinesis.flink.source;

import org.apache.flink.connector.file.src.FileSourceSplit;

/**
 * Which version of the file at a path was handed out for reading: its modification time and size.
 * A producer that delivers the same name again changes at least one of them.
 */
final class FileVersion {
    /**
     * A path the old FileSource-based watched source had read, in a version it did not record;
     * see {@link WatchedDirectoryEnumerator}. No real file has a negative size.
     */
    static final FileVersion UNKNOWN = new FileVersion(Long.MIN_VALUE, -1);

    final long modificationTime;
    final long size;

    FileVersion(long modificationTime, long size) {
        this.modificationTime = modificationTime;
        this.size = size;
    }

    static FileVersion of(FileSourceSplit split) {
        return new FileVersion(split.fileModificationTime(), split.fileSize());
    }

    boolean isUnknown() {
        return size < 0;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof FileVersion)) {
            return false;
        }
        FileVersion that = (FileVersion) other;
        return modificationTime == that.modificationTime && size == that.size;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(modificationTime) * 31 + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return isUnknown() ? "unknown version" : "modified " + modificationTime + ", " + size + " bytes";
    }
}
