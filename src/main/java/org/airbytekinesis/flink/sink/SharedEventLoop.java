package org.airbytekinesis.flink.sink;

import org.apache.flink.kinesis.shaded.software.amazon.awssdk.http.nio.netty.internal.SharedSdkEventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the SDK's shared Netty event loop group, which the connector's Kinesis clients use, open
 * for a local run's JVM. The group is reference-counted: when the last sink writer closes its
 * client, the group shuts down gracefully, which waits a 2 s quiet period, and a bounded local run
 * ended 2.1 to 2.2 s after its last record in every benchmark run for that alone. Holding one
 * reference makes the writers' closes return at once; the launcher's JVM exits when the run ends.
 *
 * <p>Only for local runs: on a cluster the TaskManagers outlive the job, and this JVM is not
 * theirs anyway. The group class is the SDK's internal one, shaded in the connector jar; if it is
 * not there, runs only keep the 2 s.
 */
public final class SharedEventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(SharedEventLoop.class);
    private static boolean held;

    private SharedEventLoop() {}

    /** Takes one reference for the rest of this JVM's life (once). */
    public static synchronized void holdForLocalRun() {
        if (held) {
            return;
        }
        try {
            SharedSdkEventLoopGroup.get();
            held = true;
        } catch (LinkageError e) {
            LOG.debug("the SDK's shared event loop group is not available; writers close as the SDK does", e);
        }
    }
}
