package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SinkWriterAccountTest {
    private static final int MIB = 1024 * 1024;

    /** A budget of its own per test, so the JVM-wide pools of other tests do not mix in. */
    private static SinkMemory memory(int budgetMb, int writers) {
        return SinkMemory.of(budgetMb, writers);
    }

    @Test
    void aWriterHoldsItsShareThenBorrowsFromThePoolAndGivesBackWhatKinesisTook() {
        SinkMemory memory = memory(17, 2); // share 4.25 MiB each, pool 8.5 MiB
        long share = memory.shareBytes();
        SinkWriterAccount a = new SinkWriterAccount("a", memory, Duration.ofMinutes(5));
        SinkWriterAccount b = new SinkWriterAccount("b", memory, Duration.ofMinutes(5));
        assertTrue(a.tryHold(share), "its own share");
        long pool = memory.pool().get();
        assertTrue(a.tryHold(MIB), "beyond the share: borrowed");
        assertEquals(pool - MIB, memory.pool().get());
        a.released(MIB);
        assertEquals(pool, memory.pool().get(), "what was no longer needed went back");

        assertTrue(a.tryHold(pool), "the whole pool");
        assertTrue(b.tryHold(share), "another writer still has its own share");
        assertFalse(b.tryHold(1), "but nothing to borrow: it must send what it holds first");
        b.releasedAll();
        assertTrue(b.tryHold(1), "after that it goes on");
        a.releasedAll();
        assertEquals(pool, memory.pool().get());
    }

    @Test
    void aWriterThatHoldsNothingAlwaysTakesOneRecordHoweverLargeAndThePoolLendsNothingUntilItIsBack() {
        SinkMemory memory = memory(16, 1000); // a share of 8 KiB
        long share = memory.shareBytes();
        SinkWriterAccount big = new SinkWriterAccount("big", memory, Duration.ofMinutes(5));
        SinkWriterAccount other = new SinkWriterAccount("other", memory, Duration.ofMinutes(5));
        long pool = memory.pool().get();
        assertTrue(big.tryHold(pool + MIB), "more than share and pool together: taken, or the writer would be stuck");
        assertFalse(big.tryHold(1));
        assertEquals(pool - (pool + MIB - share), memory.pool().get(), "the pool is overdrawn");
        assertTrue(other.tryHold(share), "another writer still has its share");
        assertFalse(other.tryHold(1), "but cannot borrow from an overdrawn pool");
        big.released(pool + MIB);
        assertEquals(0, big.held());
        assertEquals(pool, memory.pool().get(), "everything went back");
        assertTrue(other.tryHold(1));
        other.releasedAll();
    }

    @Test
    void aRecordCostsItsEntryPlusItsBase64PartOfTheRequestBody() {
        assertEquals(300 + 400 + 32, SinkWriterAccount.footprint(300));
        assertEquals(301 + 404 + 32, SinkWriterAccount.footprint(301), "base64 pads to whole groups of four");
        assertEquals(100_036 + 133_384 + 32, SinkWriterAccount.footprint(100_036));
    }

    @Test
    void releasesNeverGoBelowNothingForEntriesRestoredFromAnOldCheckpoint() {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(18, 1), Duration.ofMinutes(5));
        account.released(12345);
        assertEquals(0, account.held());
    }

    @Test
    void theRetryDeadlineCountsFromTheFirstFailureSinceAnythingWasWritten() throws InterruptedException {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(19, 1), Duration.ofMillis(200));
        assertNull(account.failed("ThrottlingException: slow down"), "the first failure starts the clock");
        Thread.sleep(250);
        account.progress();
        assertNull(account.failed("ThrottlingException: slow down"), "progress started it over");
        Thread.sleep(250);
        PermanentKinesisError error = account.failed("ProvisionedThroughputExceededException: Rate exceeded");
        assertTrue(error != null && error.getMessage().startsWith("Kinesis stream s: PutRecords kept failing for"), String.valueOf(error));
        assertTrue(error.getMessage().endsWith("last error: ProvisionedThroughputExceededException: Rate exceeded"),
                error.getMessage());
        assertFalse(error.isConfiguration());
        assertEquals(error, account.fatal(), "the writer fails with it");
    }

    @Test
    void theBackoffDoublesWhileNothingIsWrittenAndStartsOverWhenSomethingIs() {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(20, 1), Duration.ofMinutes(5));
        long first = account.backoffMillis(false);
        assertTrue(first >= 100 && first <= 200, first + " ms");
        for (int i = 0; i < 10; i++) {
            account.backoffMillis(false);
        }
        long capped = account.backoffMillis(false);
        assertTrue(capped >= 2_500 && capped <= 5_000, capped + " ms: at most 5 s");
        long after = account.backoffMillis(true);
        assertTrue(after >= 50 && after <= 100, after + " ms after a response that wrote something");
    }
}
