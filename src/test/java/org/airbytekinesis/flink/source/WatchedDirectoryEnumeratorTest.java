package org.airbytekinesis.flink.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.airbytekinesis.flink.testing.RecordingEnumeratorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watched directory's enumerator, driven as Flink drives it, over real files: a listing runs
 * when the test says so, and reader 0 (and 1) ask for splits. Everything goes through
 * {@link InputFiles#watchingSource} and the {@link Source} interface only.
 */
class WatchedDirectoryEnumeratorTest {
    @TempDir
    java.nio.file.Path dir;

    private java.nio.file.Path watched;
    private final List<Runnable> toClose = new ArrayList<>();

    @BeforeEach
    void createWatchedDirectory() throws IOException {
        watched = Files.createDirectories(dir.resolve("incoming"));
    }

    @AfterEach
    void closeAll() {
        toClose.forEach(Runnable::run);
    }

    @Test
    void aFileDeliveredAgainUnderAPathReadBeforeIsReadAgainAndUnchangedFilesAreNot() throws Exception {
        Watch<?> watch = Watch.of(source(), 0);
        deliver("users.jsonl", "one\n", null);
        FileTime first = lastModified("users.jsonl");
        deliver("orders.jsonl", "o\n", null);
        watch.list();
        assertEquals(List.of("orders.jsonl", "users.jsonl"), names(watch.takeAll(0)));

        deliver("users.jsonl", "two\n", plus(first, 5)); // same size, later
        watch.list();
        List<FileSourceSplit> second = watch.takeAll(0);
        assertEquals(List.of("users.jsonl"), names(second), "only the redelivered file");
        assertEquals(plus(first, 5).toMillis(), second.get(0).fileModificationTime());

        deliver("users.jsonl", "three\n", plus(first, 5)); // same time, bigger
        watch.list();
        List<FileSourceSplit> third = watch.takeAll(0);
        assertEquals(List.of("users.jsonl"), names(third));
        assertEquals(6, third.get(0).fileSize());

        watch.list();
        assertEquals(List.of(), watch.takeAll(0), "nothing changed");
    }

    @Test
    void filesThatVanishAreForgottenSoTheStateFollowsTheDirectoryNotTheJobsAge() throws Exception {
        Watch<?> watch = Watch.of(source(), 0);
        watch.list();
        int emptyState = watch.stateBytes().length;
        int read = 0;
        for (int round = 0; round < 50; round++) {
            List<java.nio.file.Path> files = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                files.add(deliver("f-" + round + "-" + i + ".jsonl", "x\n", null));
            }
            watch.list();
            read += watch.takeAll(0).size();
            for (java.nio.file.Path file : files) {
                Files.delete(file);
            }
        }
        watch.list();
        assertEquals(1_000, read);
        assertEquals(emptyState, watch.stateBytes().length, "1,000 files came and went: the state is as small as at the start");
    }

    @Test
    void aFileThatVanishesAndComesBackIsANewDelivery() throws Exception {
        Watch<?> watch = Watch.of(source(), 0);
        java.nio.file.Path file = deliver("users.jsonl", "one\n", null);
        watch.list();
        assertEquals(1, watch.takeAll(0).size());
        java.nio.file.Path away = Files.move(file, dir.resolve("users.jsonl"));
        watch.list();
        Files.move(away, file); // the very same file: same time, same size
        watch.list();
        assertEquals(List.of("users.jsonl"), names(watch.takeAll(0)));
    }

    @Test
    void aFailedListingForgetsNothingAndIsWarnedAboutOnceUntilListingWorksAgain() throws Exception {
        List<LogEvent> log = captureLog();
        Watch<?> watch = Watch.of(source(), 0);
        deliver("users.jsonl", "one\n", null);
        watch.list();
        assertEquals(1, watch.takeAll(0).size());
        byte[] before = watch.stateBytes();

        java.nio.file.Path away = Files.move(watched, dir.resolve("unmounted"));
        watch.list();
        watch.list();
        watch.list();
        assertEquals(List.of(), watch.takeAll(0));
        assertTrue(java.util.Arrays.equals(before, watch.stateBytes()), "the state is unchanged");
        List<LogEvent> warnings = atLeast(log, Level.WARN);
        assertEquals(1, warnings.size(), "one warning for three failed listings: " + messages(warnings));
        assertTrue(warnings.get(0).getMessage().getFormattedMessage().contains(watched.getFileName().toString()),
                messages(warnings).toString());
        assertNotNull(warnings.get(0).getThrown(), "the cause is logged");

        Files.move(away, watched);
        watch.list();
        assertEquals(List.of(), watch.takeAll(0), "the file read before the failures is not read again");
        assertTrue(messages(log).stream().anyMatch(m -> m.contains("works again") && m.contains("3 failed")), messages(log).toString());

        Files.move(watched, away);
        watch.list();
        assertEquals(2, atLeast(log, Level.WARN).size(), "a new run of failures is warned about again");
    }

    @Test
    void aSplitGivenBackGoesToAReaderWaitingOrToTheNextThatAsksAfterARestore() throws Exception {
        Watch<?> watch = Watch.of(source(), 0, 1);
        deliver("a.jsonl", "a\n", null);
        watch.list();
        watch.enumerator.handleSplitRequest(1, null);
        FileSourceSplit a = watch.context.take(1).get(0);
        watch.enumerator.handleSplitRequest(0, null); // nothing to read: waits
        assertEquals(List.of(), watch.context.take(0));

        watch.enumerator.addSplitsBack(List.of(a), 1);
        assertEquals(List.of(a.splitId()), ids(watch.context.take(0)), "the waiting reader gets it at once");

        watch.enumerator.addSplitsBack(List.of(a), 0);
        Watch<?> restored = watch.restore(0);
        assertEquals(List.of(a.splitId()), ids(restored.takeAll(0)));
        restored.list();
        assertEquals(List.of(), restored.takeAll(0), "a is not handed out a second time");
    }

    @Test
    void splitIdsNeverRepeatAlsoAfterARestore() throws Exception {
        Watch<?> watch = Watch.of(source(), 0);
        deliver("a.jsonl", "a\n", null);
        watch.list();
        List<FileSourceSplit> before = watch.takeAll(0);
        Watch<?> restored = watch.restore(0);
        deliver("b.jsonl", "b\n", null);
        restored.list();
        List<FileSourceSplit> after = restored.takeAll(0);
        assertEquals(List.of("b.jsonl"), names(after));
        // A reader still reading a when b comes would otherwise hold two splits of one id.
        assertNotEquals(before.get(0).splitId(), after.get(0).splitId());
    }

    @Test
    void aRestoredEnumeratorKeepsItsPendingSplitsAndWhatItHandedOut() throws Exception {
        Watch<?> watch = Watch.of(source(), 0);
        deliver("a.jsonl", "a\n", null);
        FileTime time = lastModified("a.jsonl");
        deliver("b.jsonl", "b\n", null);
        watch.list();
        watch.enumerator.handleSplitRequest(0, null);
        String taken = watch.context.take(0).get(0).path().getName();

        Watch<?> restored = watch.restore(0);
        restored.list();
        List<String> pending = names(restored.takeAll(0));
        assertEquals(1, pending.size());
        assertNotEquals(taken, pending.get(0), "only the split no reader had");
        restored.list();
        assertEquals(List.of(), restored.takeAll(0));

        deliver("a.jsonl", "A\n", plus(time, 1));
        restored.list();
        assertEquals(List.of("a.jsonl"), names(restored.takeAll(0)), "a redelivery after the restore");
    }

    // --- helpers ---

    private Source<InputLine, FileSourceSplit, ?> source() {
        return InputFiles.watchingSource(List.of(watched.toUri().toString()), "run", Duration.ofSeconds(10));
    }

    /** Writes {@code NAME.tmp} and renames it, as producers should; sets the time when given. */
    private java.nio.file.Path deliver(String name, String content, FileTime modified) throws IOException {
        java.nio.file.Path partial = watched.resolve(name + ".tmp");
        Files.write(partial, content.getBytes(StandardCharsets.UTF_8));
        if (modified != null) {
            Files.setLastModifiedTime(partial, modified);
        }
        return Files.move(partial, watched.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private FileTime lastModified(String name) throws IOException {
        return Files.getLastModifiedTime(watched.resolve(name));
    }

    private static FileTime plus(FileTime time, int seconds) {
        return FileTime.fromMillis(time.toMillis() + seconds * 1000L);
    }

    static List<String> names(List<FileSourceSplit> splits) {
        return splits.stream().map(s -> s.path().getName()).sorted().collect(Collectors.toList());
    }

    private static List<String> ids(List<FileSourceSplit> splits) {
        return splits.stream().map(FileSourceSplit::splitId).collect(Collectors.toList());
    }

    private static List<LogEvent> atLeast(List<LogEvent> log, Level level) {
        synchronized (log) {
            return log.stream().filter(e -> e.getLevel().isMoreSpecificThan(level)).collect(Collectors.toList());
        }
    }

    private static List<String> messages(List<LogEvent> log) {
        synchronized (log) {
            return log.stream().map(e -> e.getMessage().getFormattedMessage()).collect(Collectors.toList());
        }
    }

    /** INFO and above from the file sources, ours and Flink's, while this test runs. */
    private List<LogEvent> captureLog() {
        List<LogEvent> events = Collections.synchronizedList(new ArrayList<>());
        LoggerContext loggers = (LoggerContext) LogManager.getContext(false);
        AbstractAppender appender = new AbstractAppender("watch-test", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        appender.start();
        for (String name : List.of(getClass().getPackageName(), "org.apache.flink.connector.file.src")) {
            LoggerConfig config = new LoggerConfig(name, Level.INFO, false);
            config.addAppender(appender, Level.INFO, null);
            loggers.getConfiguration().addLogger(name, config);
            toClose.add(() -> loggers.getConfiguration().removeLogger(name));
        }
        loggers.updateLoggers();
        toClose.add(() -> {
            loggers.updateLoggers();
            appender.stop();
        });
        return events;
    }

    /** An enumerator of the source, its context, and the source's state serializer. */
    static final class Watch<E> {
        final Source<InputLine, FileSourceSplit, E> source;
        final RecordingEnumeratorContext<FileSourceSplit> context;
        final SplitEnumerator<FileSourceSplit, E> enumerator;

        private Watch(Source<InputLine, FileSourceSplit, E> source, RecordingEnumeratorContext<FileSourceSplit> context, E state) throws Exception {
            this.source = source;
            this.context = context;
            this.enumerator = state == null ? source.createEnumerator(context) : source.restoreEnumerator(context, state);
            enumerator.start();
        }

        static <E> Watch<E> of(Source<InputLine, FileSourceSplit, E> source, int... readers) throws Exception {
            return new Watch<>(source, new RecordingEnumeratorContext<>(readers), null);
        }

        static <E> Watch<E> restoring(Source<InputLine, FileSourceSplit, E> source, int version, byte[] state,
                int... readers) throws Exception {
            return new Watch<>(source, new RecordingEnumeratorContext<>(readers),
                    source.getEnumeratorCheckpointSerializer().deserialize(version, state));
        }

        /** A restore from a checkpoint taken now, as after a failure of the whole job. */
        Watch<E> restore(int... readers) throws Exception {
            SimpleVersionedSerializer<E> serializer = source.getEnumeratorCheckpointSerializer();
            return restoring(source, serializer.getVersion(), stateBytes(), readers);
        }

        byte[] stateBytes() throws Exception {
            return source.getEnumeratorCheckpointSerializer().serialize(enumerator.snapshotState(1));
        }

        /** Runs the periodic listing once, here and now. */
        void list() {
            context.runPeriodic();
        }

        /** What the reader gets when it asks until nothing is left. */
        List<FileSourceSplit> takeAll(int reader) {
            List<FileSourceSplit> all = new ArrayList<>();
            while (true) {
                enumerator.handleSplitRequest(reader, null);
                List<FileSourceSplit> got = context.take(reader);
                if (got.isEmpty()) {
                    assertTrue(context.noMoreSplits.isEmpty(), "a watched directory never runs out of splits");
                    return all;
                }
                all.addAll(got);
            }
        }
    }
}
