package org.airbytekinesis.flink.benchmark;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Lets the end-to-end phase watch the real job's progress without touching it: a metric
 * reporter in the MiniCluster's JVM that keeps every sink writer's {@code numRecordsSend}
 * counter (the Kinesis sink counts a record there when it puts it into a PutRecords request it
 * sends). Counters stay here after their task finished, so the total stays readable.
 *
 * <p>Flink finds reporter factories through the ServiceLoader only; the benchmark puts a
 * services file for this factory on the classpath of its phase JVMs (generated under
 * {@code target/benchmark/}) and names it in the {@code config.yaml} of {@code $FLINK_CONF_DIR},
 * which {@code WriteCommand} reads.
 */
public final class SinkProgressReporter implements MetricReporter {
    public static final String NAME = "benchmark-progress";

    private static final Map<Counter, Boolean> SENT = new ConcurrentHashMap<>();
    /** The sink subtask of each counter. */
    private static final Map<Counter, Integer> SUBTASK = new ConcurrentHashMap<>();

    /** Records the sinks have sent so far (submitted in PutRecords requests). */
    static long recordsSent() {
        long sum = 0;
        for (Counter counter : SENT.keySet()) {
            sum += counter.getCount();
        }
        return sum;
    }

    /** Records sent per sink subtask index, over all sinks. */
    static Map<Integer, Long> recordsSentPerSubtask() {
        Map<Integer, Long> perSubtask = new java.util.TreeMap<>();
        SUBTASK.forEach((counter, subtask) -> perSubtask.merge(subtask, counter.getCount(), Long::sum));
        return perSubtask;
    }

    /** How many sink writer counters were seen: 0 means the reporter was not loaded. */
    static int counters() {
        return SENT.size();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        // One counter may be registered under several names; it is kept once, by identity.
        if ("numRecordsSend".equals(metricName) && metric instanceof Counter) {
            SENT.put((Counter) metric, Boolean.TRUE);
            String subtask = group.getAllVariables().get("<subtask_index>");
            if (subtask != null) {
                SUBTASK.put((Counter) metric, Integer.parseInt(subtask));
            }
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {}

    /** Named in {@code metrics.reporter.benchmark-progress.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new SinkProgressReporter();
        }
    }
}
