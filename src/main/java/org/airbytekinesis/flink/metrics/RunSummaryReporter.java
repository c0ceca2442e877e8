package org.airbytekinesis.flink.metrics;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Collects, for the end-of-run summary of a local run, the Kinesis sinks' counts of failed
 * entries (each of which the connector retries). The connector reports them only as Flink
 * metrics; this reporter lives in the local MiniCluster's JVM, so the command can read the sums
 * when the job is done, including counters of tasks that already finished.
 */
public final class RunSummaryReporter implements MetricReporter {
    /**
     * The sink writers' counters of entries that failed and were retried: the connector counts
     * into the older name; Flink may register one counter under both (kept once, by identity).
     */
    static final java.util.Set<String> SEND_ERRORS = java.util.Set.of("numRecordsSendErrors", "numRecordsOutErrors");

    private static final Map<Counter, Boolean> LIVE = new ConcurrentHashMap<>();
    private static final AtomicLong FINISHED = new AtomicLong();

    /** The name and factory class for {@code metrics.reporter.<name>.factory.class}. */
    public static final String NAME = "run-summary";

    /** Entries the Kinesis sinks had to retry, over all sinks and subtasks of this JVM's runs. */
    public static long retriedEntries() {
        long live = 0;
        for (Counter counter : LIVE.keySet()) {
            live += counter.getCount();
        }
        return FINISHED.get() + live;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        if (SEND_ERRORS.contains(metricName) && metric instanceof Counter) {
            LIVE.put((Counter) metric, Boolean.TRUE);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        if (metric instanceof Counter && LIVE.remove(metric) != null) {
            FINISHED.addAndGet(((Counter) metric).getCount());
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
