package org.airbytekinesis.flink.fs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemKind;
import org.apache.flink.core.fs.Path;

/**
 * A file that appears under its final name only when it is complete and durable, through Flink's
 * file systems (file://, hdfs://, s3://, ...): once {@link #publish()} returns, a reader of the
 * directory finds it there whole; before, not at all (but see object stores below).
 *
 * <p>On file systems with an atomic rename (local, HDFS) it is written as the hidden
 * {@code .NAME.inprogress} in the same directory and renamed by {@link #publish()}. On object
 * stores ({@link FileSystemKind#OBJECT_STORE}, e.g. S3) it is written under its final name
 * directly: an object appears only when its upload completes, on close, and a rename there
 * would be a copy. There, {@link #discard()} can only close the upload (Flink's file system API
 * has no abort, and Flink closes a task's leftover streams itself), which completes it: the
 * object is visible under its final name until the delete right after, with what was written
 * (flushed first, so it ends where a write ended), or for good if that delete fails; and with
 * {@code replaceExisting}, the file it replaced is gone.
 *
 * <p>One writer per final name at a time; not thread-safe.
 */
public final class PublishedFile {
    private static final int BUFFER_SIZE = 64 * 1024;

    private final FileSystem fileSystem;
    private final Path finalPath;
    /** Where the bytes go: the hidden in-progress path, or the final path on object stores. */
    private final Path writtenPath;
    private final boolean replaceExisting;
    private final FSDataOutputStream out;
    private final Counting stream;
    private boolean open = true;
    private boolean published;

    private PublishedFile(FileSystem fileSystem, Path finalPath, Path writtenPath, boolean replaceExisting,
            FSDataOutputStream out) {
        this.fileSystem = fileSystem;
        this.finalPath = finalPath;
        this.writtenPath = writtenPath;
        this.replaceExisting = replaceExisting;
        this.out = out;
        this.stream = new Counting(new BufferedOutputStream(out, BUFFER_SIZE));
    }

    /**
     * Opens a new file that {@link #publish()} will make visible as {@code finalPath}.
     *
     * @param replaceExisting whether publishing replaces a file already there; when not, an
     *     existing file is an error, here and again when publishing
     */
    public static PublishedFile create(Path finalPath, boolean replaceExisting) throws IOException {
        FileSystem fileSystem = finalPath.getFileSystem();
        if (!replaceExisting && fileSystem.exists(finalPath)) {
            throw new FileAlreadyExistsException(finalPath.toString());
        }
        if (isObjectStore(fileSystem)) {
            FileSystem.WriteMode mode = replaceExisting ? FileSystem.WriteMode.OVERWRITE : FileSystem.WriteMode.NO_OVERWRITE;
            return new PublishedFile(fileSystem, finalPath, finalPath, replaceExisting, fileSystem.create(finalPath, mode));
        }
        Path inProgress = inProgressPath(finalPath);
        // A file left there by an attempt that failed before publishing is not worth keeping.
        FSDataOutputStream out = fileSystem.create(inProgress, FileSystem.WriteMode.OVERWRITE);
        return new PublishedFile(fileSystem, finalPath, inProgress, replaceExisting, out);
    }

    /** The hidden name a file is written under before it is published: {@code .NAME.inprogress}. */
    public static Path inProgressPath(Path finalPath) {
        return new Path(finalPath.getParent(), "." + finalPath.getName() + ".inprogress");
    }

    public Path finalPath() {
        return finalPath;
    }

    /** Where the file is until it is published (the final path itself on object stores). */
    public Path writtenPath() {
        return writtenPath;
    }

    /** The file's content, buffered. Closing it does nothing: {@link #publish()} or {@link #discard()} end the file. */
    public OutputStream stream() {
        return stream;
    }

    public void write(byte[] bytes, int offset, int length) throws IOException {
        stream.write(bytes, offset, length);
    }

    public long bytesWritten() {
        return stream.count;
    }

    public boolean isPublished() {
        return published;
    }

    /**
     * Makes the file durable and visible under its final name: when this returns, a reader of
     * the directory finds it whole there. Flush, sync, close, then rename (not on object stores,
     * where the object is complete and visible once close returns).
     */
    public void publish() throws IOException {
        if (!open) {
            throw new IllegalStateException(finalPath + " is already " + (published ? "published" : "discarded"));
        }
        stream.flush();
        boolean objectStore = isObjectStore(fileSystem);
        if (!objectStore) {
            // Object stores have nothing to sync (some streams even refuse): the upload completes on close.
            out.sync();
        }
        open = false;
        out.close();
        if (!objectStore) {
            moveIntoPlace();
        }
        published = true;
    }

    /** Closes and deletes the file unless it was published; best effort, never throws. */
    public void discard() {
        if (published) {
            return;
        }
        if (open) {
            try {
                if (isObjectStore(fileSystem)) {
                    // Closing makes the object visible until it is deleted: not with half a write.
                    stream.flush();
                }
            } catch (IOException | RuntimeException e) {
                // closing and deleting is what matters
            }
            open = false;
            try {
                out.close();
            } catch (IOException | RuntimeException e) {
                // deleting is what matters
            }
        }
        try {
            fileSystem.delete(writtenPath, false);
        } catch (IOException | RuntimeException e) {
            // a hidden leftover; nothing reads it
        }
    }

    private void moveIntoPlace() throws IOException {
        if (!replaceExisting && fileSystem.exists(finalPath)) {
            throw new FileAlreadyExistsException(finalPath.toString());
        }
        if (!fileSystem.rename(writtenPath, finalPath)) {
            // HDFS's rename does not replace a file (the local one does): remove it, then rename.
            if (!replaceExisting || !fileSystem.exists(finalPath) || !fileSystem.delete(finalPath, false)
                    || !fileSystem.rename(writtenPath, finalPath)) {
                throw new IOException("could not rename " + writtenPath + " to " + finalPath);
            }
        }
        syncDirectoryIfLocal();
    }

    /** A rename on a local disk is durable only once its directory is synced too. */
    private void syncDirectoryIfLocal() {
        if (!"file".equals(fileSystem.getUri().getScheme())) {
            return;
        }
        java.nio.file.Path directoryPath = Paths.get(finalPath.getParent().makeQualified(fileSystem).toUri().getPath());
        try (FileChannel directory = FileChannel.open(directoryPath, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException | RuntimeException e) {
            // Some platforms cannot open a directory (Windows); the rename itself is done.
        }
    }

    private static boolean isObjectStore(FileSystem fileSystem) {
        return fileSystem.getKind() == FileSystemKind.OBJECT_STORE;
    }

    /**
     * Counts what is written and refuses writes once the file is ended; close() only flushes, so
     * a caller's try-with-resources cannot end the file early.
     */
    private final class Counting extends OutputStream {
        private final OutputStream out;
        private long count;

        Counting(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            checkOpen();
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            checkOpen();
            out.write(bytes, offset, length);
            count += length;
        }

        @Override
        public void flush() throws IOException {
            if (open) {
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }

        private void checkOpen() throws IOException {
            if (!open) {
                throw new IOException(finalPath + " is already " + (published ? "published" : "discarded"));
            }
        }
    }
}
