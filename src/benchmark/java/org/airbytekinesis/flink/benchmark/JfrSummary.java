package org.airbytekinesis.flink.benchmark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Hot spots of a JFR recording (made with {@code --jfr}): CPU samples per thread, the methods
 * on top of the stack (self), the methods anywhere on the stack (inclusive), and the sampled
 * allocation weight per allocating method. {@code JfrSummary FILE.jfr [OUT.txt]}.
 */
public final class JfrSummary {
    private JfrSummary() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrSummary RECORDING.jfr [OUT.txt]");
            System.exit(2);
        }
        if (args.length > 1) {
            try (PrintStream out = new PrintStream(Files.newOutputStream(Path.of(args[1])), true, StandardCharsets.UTF_8)) {
                write(Path.of(args[0]), out);
            }
        } else {
            write(Path.of(args[0]), System.out);
        }
    }

    static void write(Path recording, PrintStream out) throws IOException {
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Double> allocations = new HashMap<>();
        int samples = 0;
        double allocated = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            String type = event.getEventType().getName();
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            if ("jdk.ExecutionSample".equals(type)) {
                samples++;
                RecordedThread thread = event.getThread("sampledThread");
                threads.merge(threadName(thread), 1, Integer::sum);
                self.merge(method(frames.get(0)), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame frame : frames) {
                    String method = method(frame);
                    if (seen.add(method)) {
                        inclusive.merge(method, 1, Integer::sum);
                    }
                }
            } else if ("jdk.ObjectAllocationSample".equals(type)) {
                double weight = event.getLong("weight");
                allocated += weight;
                String objectClass = event.getClass("objectClass").getName();
                allocations.merge(objectClass + " at " + allocationSite(frames), weight, Double::sum);
            }
        }
        out.printf(Locale.ROOT, "%s: %d CPU samples%n%n-- samples per thread%n", recording.getFileName(), samples);
        print(out, threads, samples, 15);
        out.printf(Locale.ROOT, "%n-- self (method on top of the stack)%n");
        print(out, self, samples, 40);
        out.printf(Locale.ROOT, "%n-- inclusive (method anywhere on the stack; Flink/JDK plumbing left out)%n");
        Map<String, Integer> interesting = inclusive.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("java.lang.Thread.") && !e.getKey().contains(".taskmanager.Task.")
                        && !e.getKey().contains("MailboxProcessor") && !e.getKey().contains("StreamTask."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        print(out, interesting, samples, 60);
        out.printf(Locale.ROOT, "%n-- sampled allocation weight (%.0f MB in all) by class and first project/Flink frame%n",
                allocated / 1e6);
        double allocatedBytes = allocated;
        allocations.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(25)
                .forEach(e -> out.printf(Locale.ROOT, "%8.0f MB %5.1f%%  %s%n", e.getValue() / 1e6,
                        100 * e.getValue() / Math.max(1, allocatedBytes), e.getKey()));
    }

    private static void print(PrintStream out, Map<String, Integer> counts, int total, int limit) {
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .forEach(e -> out.printf(Locale.ROOT, "%6d %5.1f%%  %s%n", e.getValue(), 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }

    private static String threadName(RecordedThread thread) {
        if (thread == null) {
            return "?";
        }
        String name = thread.getJavaName() == null ? thread.getOSName() : thread.getJavaName();
        // "Route by stream -> (Kinesis a: Writer, ...) (2/2)#0": keep the start and the subtask.
        String subtask = name.replaceAll(".*(\\(\\d+/\\d+\\)).*", "$1");
        String start = name.length() > 60 ? name.substring(0, 60) + "..." : name;
        return subtask.equals(name) ? start : start + " " + subtask;
    }

    private static String method(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    /** The first frame in the project's or Flink's code (where the allocation is decided), else the top. */
    private static String allocationSite(List<RecordedFrame> frames) {
        return frames.stream()
                .map(JfrSummary::method)
                .filter(m -> m.startsWith("org.airbytekinesis.") || m.startsWith("org.apache.flink."))
                .findFirst()
                .orElse(method(frames.get(0)));
    }
}
