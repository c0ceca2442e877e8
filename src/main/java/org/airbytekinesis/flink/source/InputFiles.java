package org.airbytekinesis.flink.source;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;

/** The file sources over the {@code --input} paths: files, or directories of files. */
public final class InputFiles {
    private InputFiles() {}

    /** @param runId see {@link AirbyteLineFormat#AirbyteLineFormat(String)} */
    public static FileSource<InputLine> boundedSource(List<String> inputs, String runId) {
        return builder(inputs, runId).build();
    }

    /**
     * Reads every file there is and then, every {@code interval}, each file that appears, or
     * appears again in another version (modification time or size), under a path; never ends.
     * What was handed out for reading is part of the checkpoints, so after a restart none is read
     * twice (beyond the at-least-once window) and none is skipped. See
     * {@link WatchedDirectoryEnumerator} for what is remembered and for how long.
     */
    public static WatchedDirectorySource watchingSource(List<String> inputs, String runId, Duration interval) {
        return new WatchedDirectorySource(boundedSource(inputs, runId), paths(inputs), fileEnumerator(inputs), interval);
    }

    private static FileSource.FileSourceBuilder<InputLine> builder(List<String> inputs, String runId) {
        return FileSource.forBulkFileFormat(new AirbyteLineFormat(runId), paths(inputs))
                .setFileEnumerator(fileEnumerator(inputs));
    }

    private static Path[] paths(List<String> inputs) {
        return inputs.stream().map(Path::new).toArray(Path[]::new);
    }

    private static FileEnumerator.Provider fileEnumerator(List<String> inputs) {
        ReadableFiles filter = new ReadableFiles(inputs);
        return () -> new NonSplittingRecursiveEnumerator(filter);
    }

    /**
     * Inside a directory, names starting with {@code .} or {@code _} and names ending in
     * {@code .tmp} are skipped: hidden files, files still being written (write them under such a
     * name, then rename), {@code _SUCCESS} markers. A path given explicitly is always read.
     */
    public static boolean isVisible(String fileName) {
        return !fileName.startsWith(".") && !fileName.startsWith("_") && !fileName.endsWith(".tmp");
    }

    private static final class ReadableFiles implements Predicate<Path>, Serializable {
        private static final long serialVersionUID = 1L;

        private final Set<String> explicit = new HashSet<>();

        ReadableFiles(List<String> inputs) {
            for (String input : inputs) {
                explicit.add(new Path(input).toString());
            }
        }

        @Override
        public boolean test(Path path) {
            return explicit.contains(path.toString()) || isVisible(path.getName());
        }
    }
}
