package org.airbytekinesis.flink.source;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;

/** The bounded file source over the {@code --input} paths: files, or directories of files. */
public final class InputFiles {
    private InputFiles() {}

    /** @param runId see {@link AirbyteLineFormat#AirbyteLineFormat(String)} */
    public static FileSource<InputLine> boundedSource(List<String> inputs, String runId) {
        Path[] paths = inputs.stream().map(Path::new).toArray(Path[]::new);
        ReadableFiles filter = new ReadableFiles(inputs);
        return FileSource.forBulkFileFormat(new AirbyteLineFormat(runId), paths)
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(filter))
                .build();
    }

    /**
     * Inside a directory, names starting with {@code .} or {@code _} are skipped (hidden files,
     * files still being written, {@code _SUCCESS} markers). A path given explicitly is always read.
     */
    public static boolean isVisible(String fileName) {
        return !fileName.startsWith(".") && !fileName.startsWith("_");
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
