package org.airbytekinesis.flink.sink;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts, per Kinesis stream, the PutRecords entries and requests that failed retryably and are
 * being retried (throttling, 5xx, lost connections), and says so at WARN at most once per
 * {@value #INTERVAL_SECONDS} s with the counts since the last report: visible, never a flood. One
 * report per stream for the whole TaskManager (all its writers of that stream).
 */
final class RetryReport {
    private static final Logger LOG = LoggerFactory.getLogger(RetryReport.class);
    static final long INTERVAL_SECONDS = 30;
    private static final Map<String, RetryReport> BY_STREAM = new ConcurrentHashMap<>();

    private final String stream;
    private final LongSupplier clock;
    private final Map<String, Long> entries = new TreeMap<>(); // guarded by this
    private final Map<String, Long> requests = new TreeMap<>(); // guarded by this
    private long lastReport; // guarded by this; System.nanoTime(), 0 before the first

    RetryReport(String stream, LongSupplier clock) {
        this.stream = stream;
        this.clock = clock;
    }

    static RetryReport of(String stream) {
        return BY_STREAM.computeIfAbsent(stream, s -> new RetryReport(s, System::nanoTime));
    }

    /**
     * {@code count} entries of one request failed with {@code code} and go again.
     *
     * @return the line logged, when one was due
     */
    String entriesRetried(String code, long count) {
        String line;
        synchronized (this) {
            entries.merge(code, count, Long::sum);
            line = due();
        }
        return log(line);
    }

    /**
     * A whole request failed with {@code error} (after the SDK's own retries) and goes again.
     *
     * @return the line logged, when one was due
     */
    String requestRetried(String error) {
        String line;
        synchronized (this) {
            requests.merge(error, 1L, Long::sum);
            line = due();
        }
        return log(line);
    }

    /** The report line when one is due (and the counts start over), else null. */
    private String due() {
        long now = clock.getAsLong();
        if (lastReport != 0 && now - lastReport < TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS)) {
            return null;
        }
        String since = lastReport == 0 ? "so far" : "in the last " + TimeUnit.NANOSECONDS.toSeconds(now - lastReport) + " s";
        lastReport = now;
        StringBuilder line = new StringBuilder("Kinesis stream ").append(stream).append(": retrying with backoff; ").append(since);
        if (!entries.isEmpty()) {
            line.append(", entries failed ").append(entries);
        }
        if (!requests.isEmpty()) {
            line.append(", requests failed ").append(requests);
        }
        entries.clear();
        requests.clear();
        return line.append(" (at most one such line per ").append(INTERVAL_SECONDS).append(" s)").toString();
    }

    private static String log(String line) {
        if (line != null) {
            LOG.warn(line);
        }
        return line;
    }
}
