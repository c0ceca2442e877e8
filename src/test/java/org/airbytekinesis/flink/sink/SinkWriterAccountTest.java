package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.airbytekinesis.flink.aggregation.ShardMap;
import org.airbytekinesis.flink.envelope.KinesisEnvelope;
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

    @Test
    void aPartialReleaseGivesBackOnlyWhatTheWriterNoLongerNeedsBeyondItsShare() {
        SinkMemory memory = memory(21, 1);
        long share = memory.shareBytes();
        SinkWriterAccount account = new SinkWriterAccount("s", memory, Duration.ofMinutes(5));
        long pool = memory.pool().get();
        assertTrue(account.tryHold(share + 3 * MIB));
        assertEquals(pool - 3 * MIB, memory.pool().get());
        account.released(MIB);
        assertEquals(share + 2 * MIB, account.held());
        assertEquals(pool - 2 * MIB, memory.pool().get(), "one MiB back, two still borrowed");
        account.releasedAll();
        assertEquals(0, account.held());
        assertEquals(pool, memory.pool().get());
    }

    @Test
    void failuresWithinTheRetryDeadlineDoNotFailTheWriter() {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(22, 1), Duration.ofMinutes(5));
        for (int i = 0; i < 3; i++) {
            assertNull(account.failed("ThrottlingException: slow down"));
        }
        assertNull(account.fatal());
    }

    @Test
    void pastADeadlineOfZeroTheSecondFailureFailsTheWriterAndTheFirstErrorIsKept() {
        SinkWriterAccount account = new SinkWriterAccount("clicks", memory(23, 1), Duration.ZERO);
        assertNull(account.failed("InternalFailure: a"));
        PermanentKinesisError error = account.failed("InternalFailure: b");
        assertEquals("Kinesis stream clicks: PutRecords kept failing for 0 s, longer than retryDeadlineSeconds (0 s);"
                + " last error: InternalFailure: b", error.getMessage());
        assertSame(error, account.fail(new PermanentKinesisError("later", true)), "the first error is kept");
        assertSame(error, account.fatal());
    }

    @Test
    void theBackoffJitterSpansFromHalfTheCeilingToTheCeilingItself() {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(24, 1), Duration.ofMinutes(5));
        long min = Long.MAX_VALUE;
        long max = 0;
        // 51 values, 5000 draws: missing either end has a chance of about 1e-43.
        for (int i = 0; i < 5000; i++) {
            long wait = account.backoffMillis(true);
            min = Math.min(min, wait);
            max = Math.max(max, wait);
        }
        assertEquals(50, min);
        assertEquals(100, max);
    }

    @Test
    void aPauseGoesIntoTheWritersMailboxAndAShorterOneWhileItWaitsAddsNothing() throws Exception {
        SinkWriterAccount account = new SinkWriterAccount("clicks", memory(25, 1), Duration.ofMinutes(5));
        account.pauseWriter(100); // no mailbox yet: the writer is not running, nothing to pause
        RecordingMailbox mailbox = new RecordingMailbox();
        account.attach(mailbox);
        account.pauseWriter(150);
        account.pauseWriter(10);
        assertEquals(List.of("backoff of Kinesis stream clicks"), mailbox.descriptions, "the longer pause covers the shorter");
        long start = System.nanoTime();
        // A pause that never ends would hang the writer's task: bounded here.
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> mailbox.mails.get(0).run());
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 100 && waitedMillis < 1_900, waitedMillis + " ms");

        account.pauseWriter(1);
        assertEquals(2, mailbox.mails.size(), "a pause after the last one ended is new");
        mailbox.closed = true;
        account.pauseWriter(100_000); // the task is ending: no pause, no error
        assertEquals(2, mailbox.mails.size());
    }

    @Test
    void perKeyOrderWithAggregationKeepsOneUnwrittenRecordPerShard() {
        SinkWriterAccount account = new SinkWriterAccount("s", memory(26, 1), Duration.ofMinutes(5), true, true);
        // The MD5 of "a" starts with 0x0c, of "b" with 0x92, of "d" with 0x82: "a" goes to the
        // first half of the hash space, "b" and "d" to the second.
        account.aggregatingFor(new ShardMap(List.of(new ShardMap.Shard("shard-low", "0"),
                new ShardMap.Shard("shard-high", "170141183460469231731687303715884105728"))));
        KeyOrder order = account.keyOrder();
        assertTrue(order.offer(new KinesisEnvelope("s", "a", new byte[1])));
        assertTrue(order.offer(new KinesisEnvelope("s", "b", new byte[1])), "another shard");
        assertFalse(order.offer(new KinesisEnvelope("s", "d", new byte[1])), "the shard of b has one unwritten");
    }

    @Test
    void withoutPerKeyOrderNoKeyWaitsAndWithItEachKeyIsItsOwn() {
        assertNull(new SinkWriterAccount("s", memory(27, 1), Duration.ofMinutes(5)).keyOrder());
        KeyOrder perKey = new SinkWriterAccount("s", memory(27, 1), Duration.ofMinutes(5), true).keyOrder();
        assertTrue(perKey.offer(new KinesisEnvelope("s", "b", new byte[1])));
        assertTrue(perKey.offer(new KinesisEnvelope("s", "d", new byte[1])), "same shard, but no shards without aggregation");
        assertFalse(perKey.offer(new KinesisEnvelope("s", "d", new byte[1])));
    }

    @Test
    void theAccountKnowsItsStreamShareAndShards() {
        SinkMemory memory = memory(28, 7);
        SinkWriterAccount account = new SinkWriterAccount("clicks", memory, Duration.ofMinutes(5));
        assertEquals("clicks", account.stream());
        assertEquals(memory.shareBytes(), account.shareBytes());
        assertNull(account.shards());
        ShardMap shards = new ShardMap(List.of(new ShardMap.Shard("only", "0")));
        account.aggregatingFor(shards);
        assertSame(shards, account.shards());
    }
}
