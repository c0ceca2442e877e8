package org.airbytekinesis.flink.benchmark;

import java.io.IOException;
import java.io.InputStream;
import org.airbytekinesis.flink.testing.KinesisFaultProxy;

/**
 * Runs a {@link KinesisFaultProxy} that only adds latency, in a JVM of its own, so that its
 * threads, buffers and CPU do not count into the measured phase's JVM.
 *
 * <p>{@code LatencyProxyMain UPSTREAM_ENDPOINT LATENCY_MS}: prints {@code LISTENING <endpoint>}
 * once ready, then runs until its standard input ends (the phase closes it, or dies), prints one
 * line {@code STATS <proxy counters> peak_rss_mb=<n> cpu_s=<n>} and exits.
 */
public final class LatencyProxyMain {
    private LatencyProxyMain() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: LatencyProxyMain UPSTREAM_ENDPOINT LATENCY_MS");
            System.exit(2);
        }
        try (KinesisFaultProxy proxy = KinesisFaultProxy.start(args[0])) {
            // Every request, as a far-away endpoint would delay it: PutRecords and the control plane.
            proxy.setLatencyMillis(Long.parseLong(args[1])).setLatencyOnAllRequests(true);
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
