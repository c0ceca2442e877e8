package org.airbytekinesis.flink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The tests' real data is the project's own: a clone with nothing beside it has all of it. */
class CorpusTest {
    private static final Path PROJECT = Path.of("").toAbsolutePath().normalize();
    private static final Path SOURCE_COPY = PROJECT.resolve("src/test/resources/corpus");

    @Test
    void theCorpusIsReadFromInsideTheProject() {
        assertTrue(Corpus.DIR.startsWith(PROJECT), Corpus.DIR + " is not inside " + PROJECT);
    }

    @Test
    void everyCorpusFileIsInTheProjectsCopyAndSaysWhereItCameFrom() throws IOException {
        List<String> read;
        try (Stream<Path> files = Files.list(Corpus.DIR)) {
            read = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
        TreeSet<String> copied;
        try (Stream<Path> files = Files.list(SOURCE_COPY)) {
            copied = files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(List.copyOf(copied), read, "the tests read exactly the files of src/test/resources/corpus");
        String sources = Files.readString(SOURCE_COPY.resolve("SOURCES.md"));
        for (String file : copied) {
            if (!file.equals("SOURCES.md")) {
                assertTrue(sources.contains("`" + file + "`"), "SOURCES.md names " + file);
            }
        }
    }
}
