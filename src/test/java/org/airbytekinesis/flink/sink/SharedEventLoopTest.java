package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.apache.flink.kinesis.shaded.software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.http.nio.netty.internal.SharedSdkEventLoopGroup;
import org.junit.jupiter.api.Test;

class SharedEventLoopTest {
    @Test
    void theSdksSharedEventLoopOutlivesTheLastWriterClientOfALocalRun() {
        SharedEventLoop.holdForLocalRun();
        SharedEventLoop.holdForLocalRun(); // a second sink of the run: harmless

        // A writer's Kinesis client takes the shared group, then closes with its writer.
        SdkEventLoopGroup writerClients = SharedSdkEventLoopGroup.get();
        writerClients.eventLoopGroup().shutdownGracefully();

        assertFalse(writerClients.eventLoopGroup().isShuttingDown(),
                "the group stays up, so the writer's close does not wait for its 2 s quiet period");
    }
}
