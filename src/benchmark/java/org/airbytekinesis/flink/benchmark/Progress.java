package org.airbytekinesis.flink.benchmark;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Watches a count of records done, from a thread that samples it every millisecond, and notes
 * when it passes 10% and 90% of the expected total. The rate between those two points is the
 * steady-state rate: it leaves out start-up (JIT, MiniCluster task deployment, first
 * connections) and the end (final flush, final checkpoint), which the total time includes. Both
 * points use the count actually read at that instant, so sampling never biases the rate. At
 * both points it also reads this JVM's CPU time (and the emulator's, when given), so the steady
 * window's CPU cost per record is known without start-up's JIT and class loading.
 */
final class Progress implements AutoCloseable {
    private final LongSupplier count;
    private final long total;
    private final Thread sampler;
    private volatile boolean stopped;

    private volatile long lowNanos;
    private volatile long lowCount = -1;
    private volatile long highNanos;
    private volatile long highCount = -1;
    private volatile long doneNanos;
    private volatile long startedNanos;
    private volatile long firstNanos;
    private volatile DoubleSupplier emulatorCpu;
    private final double[] cpuAtLow = {Double.NaN, Double.NaN};
    private final double[] cpuAtHigh = {Double.NaN, Double.NaN};

    Progress(LongSupplier count, long total) {
        this.count = count;
        this.total = total;
        this.sampler = new Thread(this::sample, "benchmark-progress");
        this.sampler.setDaemon(true);
    }

    /** Also reads the emulator's CPU seconds at the steady window's ends. */
    Progress measuringEmulatorCpu(DoubleSupplier cpuSeconds) {
        this.emulatorCpu = cpuSeconds;
        return this;
    }

    Progress start() {
        startedNanos = System.nanoTime();
        sampler.start();
        return this;
    }

    private void sample() {
        long low = Math.max(1, total / 10);
        long high = Math.max(low + 1, total * 9 / 10);
        while (!stopped) {
            long now = System.nanoTime();
            long c = count.getAsLong();
            if (firstNanos == 0 && c > 0) {
                firstNanos = now;
            }
            if (lowCount < 0 && c >= low) {
                readCpu(cpuAtLow);
                lowCount = c;
                lowNanos = now;
            }
            if (highCount < 0 && c >= high) {
                readCpu(cpuAtHigh);
                highCount = c;
                highNanos = now;
            }
            if (c >= total) {
                doneNanos = now;
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Records per second between 10% and 90% of the total, or NaN when not both were reached. */
    double steadyRate() {
        if (lowCount < 0 || highCount < 0 || highNanos <= lowNanos) {
            return Double.NaN;
        }
        return (highCount - lowCount) / ((highNanos - lowNanos) / 1e9);
    }

    private void readCpu(double[] into) {
        into[0] = ProcessStats.cpuSeconds(ProcessStats.selfPid());
        DoubleSupplier emulator = emulatorCpu;
        into[1] = emulator == null ? Double.NaN : emulator.getAsDouble();
    }

    /** This JVM's CPU microseconds per record between the 10% and 90% points, or NaN. */
    double steadyCpuMicrosPerRecord() {
        return cpuMicrosPerRecord(0);
    }

    /** The emulator's CPU microseconds per record between the 10% and 90% points, or NaN. */
    double steadyEmulatorCpuMicrosPerRecord() {
        return cpuMicrosPerRecord(1);
    }

    private double cpuMicrosPerRecord(int meter) {
        if (lowCount < 0 || highCount <= lowCount) {
            return Double.NaN;
        }
        return (cpuAtHigh[meter] - cpuAtLow[meter]) * 1e6 / (highCount - lowCount);
    }

    /** Seconds between the 10% and 90% points. */
    double steadySeconds() {
        return highCount < 0 || lowCount < 0 ? Double.NaN : (highNanos - lowNanos) / 1e9;
    }

    /**
     * Where a run's time went: seconds from the start to the first record done, from there to
     * 10%, the steady 10-90% window, and from 90% to the total. NaN where not reached.
     */
    String timeline() {
        if (firstNanos == 0 || lowCount < 0 || highCount < 0 || doneNanos == 0) {
            return "timeline incomplete";
        }
        return String.format(java.util.Locale.ROOT, "%.1f s to the first record, %.1f s to 10%%, %.1f s 10-90%%,"
                        + " %.1f s 90-100%%", (firstNanos - startedNanos) / 1e9, (lowNanos - firstNanos) / 1e9,
                (highNanos - lowNanos) / 1e9, (doneNanos - highNanos) / 1e9);
    }

    /** When the count reached the total (System.nanoTime), or 0. */
    long doneNanos() {
        return doneNanos;
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
