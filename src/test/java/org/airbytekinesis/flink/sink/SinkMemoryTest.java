package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SinkMemoryTest {
    @Test
    void halfTheBudgetIsSplitEvenlyIntoSharesAndTheOtherHalfIsThePool() {
        // A budget no other test uses: the pool is shared by the whole JVM.
        SinkMemory memory = SinkMemory.of(68, 4);
        assertEquals(17L * 512 * 1024, memory.shareBytes(), "34 MiB for 4 writers");
        assertEquals(34L * 1024 * 1024, memory.pool().get());
        assertEquals("68 MiB per TaskManager, 8912896 bytes per writer always", memory.toString());
    }

    @Test
    void everyWriterHasAtLeastOneByteAndNoWritersCountAsOne() {
        assertEquals(1, SinkMemory.of(0, 3).shareBytes());
        assertEquals(33L * 1024 * 1024, SinkMemory.of(66, 0).shareBytes());
    }
}
