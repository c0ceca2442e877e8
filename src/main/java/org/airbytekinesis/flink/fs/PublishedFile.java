package org.airbytekinesis.flink.fs;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/** PLACEHOLDER until the dead-letter branch lands. */
public final class PublishedFile {
    private final FileSystem fs;
    private final Path target;
    private final Path temp;
    private final FSDataOutputStream out;

    private PublishedFile(FileSystem fs, Path target, Path temp) throws IOException {
        this.fs = fs;
        this.target = target;
        this.temp = temp;
        this.out = fs.create(temp, FileSystem.WriteMode.OVERWRITE);
    }

    public static PublishedFile create(Path finalPath, boolean replaceExisting) throws IOException {
        FileSystem fs = finalPath.getFileSystem();
        fs.mkdirs(finalPath.getParent());
        return new PublishedFile(fs, finalPath, new Path(finalPath.getParent(), "." + finalPath.getName() + ".inprogress"));
    }

    public OutputStream stream() {
        return out;
    }

    public void publish() throws IOException {
        out.flush();
        out.sync();
        out.close();
        fs.delete(target, false);
        fs.rename(temp, target);
    }

    public void discard() {
        try {
            out.close();
            fs.delete(temp, false);
        } catch (IOException e) {
            // best effort
        }
    }
}
