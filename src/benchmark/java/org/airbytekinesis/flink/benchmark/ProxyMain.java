package org.airbytekinesis.flink.benchmark;

import java.io.IOException;
import java.io.InputStream;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;

/**
 * Runs a {@link KinesisFaultProxy} in a JVM of its own, so that its threads, buffers and CPU do
 * not count into the measured phase's JVM.
 *
 * <p>{@code ProxyMain UPSTREAM_ENDPOINT LATENCY_MS [--answer-locally] [--throttle STREAM SHARE]}:
 * adds {@code LATENCY_MS} to every request (PutRecords and the control plane, as a far-away
 * endpoint would); with {@code --answer-locally} it answers PutRecords itself, after
 * {@code LATENCY_MS} (a slow Kinesis; the control plane is not delayed), enforcing Kinesis's
 * limits and only counting what it accepts (so the emulator's speed and memory do not matter); {@code --throttle} fails that share of one stream's entries as throttled. Prints
 * {@code LISTENING <endpoint>} once ready, then runs until its standard input ends (the phase
 * closes it, or dies), prints one line {@code STATS <proxy counters> peak_rss_mb=<n> cpu_s=<n>}
 * and exits.
 */
public final class ProxyMain {
    private ProxyMain() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ProxyMain UPSTREAM_ENDPOINT LATENCY_MS [--answer-locally] [--throttle STREAM SHARE]");
            System.exit(2);
        }
        try (KinesisFaultProxy proxy = KinesisFaultProxy.start(args[0])) {
            proxy.setLatencyMillis(Long.parseLong(args[1])).setLatencyOnAllRequests(true);
            for (int i = 2; i < args.length; i++) {
                if (args[i].equals("--answer-locally")) {
                    proxy.setAnswerPutRecordsLocally(true).setEnforceServiceLimits(true).setKeepAcceptedEntries(false)
                            .setLatencyOnAllRequests(false);
                } else if (args[i].equals("--throttle") && i + 2 < args.length) {
                    proxy.setEntryFailureShareFor(args[i + 1], Double.parseDouble(args[i + 2]));
                    i += 2;
                } else {
                    System.err.println("ProxyMain: unknown argument " + args[i]);
                    System.exit(2);
                }
            }
            System.out.println("LISTENING " + proxy.endpoint());
            System.out.flush();
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // wait for the end of standard input
            }
            long pid = ProcessStats.selfPid();
            System.out.println("STATS " + proxy + " peak_rss_mb=" + Math.round(ProcessStats.peakRssMb(pid))
                    + " cpu_s=" + ProcessStats.cpuSeconds(pid));
            System.out.flush();
        }
        System.exit(0);
    }
}
