package org.airbytekinesis.flink.metrics;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Lives in a local run's MiniCluster JVM and keeps the counts the progress lines and the
 * end-of-run summary need, summed over all subtasks: the Kinesis sinks' failed (retried)
 * entries, which the connector reports only as metrics, and the job's own counts of lines,
 * bytes read, records acknowledged, dead letters and STATEs. Counters of finished tasks stay
 * counted. Sums are over every run of this JVM: a caller takes differences (see {@link #snapshot}).
 */
public final class RunSummaryReporter implements MetricReporter {
    /** The name and factory class for {@code metrics.reporter.<name>.factory.class}. */
    public static final String NAME = "run-summary";

    /** What is summed, and the metric names that feed each. */
    public enum Count {
        /**
         * Entries the sinks had to retry: the connector counts into the older name; Flink may
         * register one counter under both (kept once, by identity).
         */
        RETRIED_ENTRIES("numRecordsSendErrors", "numRecordsOutErrors"),
        LINES("lines"),
        BYTES_READ("bytesRead"),
        RECORDS_ACKNOWLEDGED("recordsAcknowledged"),
        DEAD_LETTERS("deadLetters"),
        STATES_RELEASED("statesReleased");

        private final Set<String> names;
        private final Map<Counter, Boolean> live = new ConcurrentHashMap<>();
        private final AtomicLong finished = new AtomicLong();

        Count(String... names) {
            this.names = Set.of(names);
        }

        /** The sum over every counter seen so far, finished tasks' included. */
        public long sum() {
            long sum = finished.get();
            for (Counter counter : live.keySet()) {
                sum += counter.getCount();
            }
            return sum;
        }
    }

    /** Gauges of STATEs held by the releaser, live ones only. */
    private static final Map<Gauge<?>, Boolean> STATES_HELD = new ConcurrentHashMap<>();

    /** Entries the Kinesis sinks had to retry, over all sinks and subtasks of this JVM's runs. */
    public static long retriedEntries() {
        return Count.RETRIED_ENTRIES.sum();
    }

    /** STATEs the running jobs of this JVM hold until the records before them are durable. */
    public static long statesHeld() {
        long held = 0;
        for (Gauge<?> gauge : STATES_HELD.keySet()) {
            Object value = gauge.getValue();
            if (value instanceof Number) {
                held += ((Number) value).longValue();
            }
        }
        return held;
    }

    /** Every count and the STATEs held, now. */
    public static ProgressSnapshot snapshot() {
        return new ProgressSnapshot(Count.LINES.sum(), Count.BYTES_READ.sum(), Count.RECORDS_ACKNOWLEDGED.sum(),
                Count.DEAD_LETTERS.sum(), Count.RETRIED_ENTRIES.sum(), Count.STATES_RELEASED.sum(), statesHeld());
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        if (metric instanceof Counter) {
            for (Count count : Count.values()) {
                if (count.names.contains(metricName)) {
                    count.live.put((Counter) metric, Boolean.TRUE);
                }
            }
        } else if (metric instanceof Gauge && "statesHeld".equals(metricName)) {
            STATES_HELD.put((Gauge<?>) metric, Boolean.TRUE);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        if (metric instanceof Counter) {
            for (Count count : Count.values()) {
                if (count.live.remove(metric) != null) {
                    count.finished.addAndGet(((Counter) metric).getCount());
                }
            }
        } else if (metric instanceof Gauge) {
            STATES_HELD.remove(metric);
        }
    }

    /** Creates the reporter from {@code metrics.reporter.run-summary.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new RunSummaryReporter();
        }
    }
}
