package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryReportTest {
    @Test
    void retriesAreReportedAtOnceThenAtMostOncePerIntervalWithTheCountsSinceTheLastReport() {
        AtomicLong now = new AtomicLong(1_000);
        RetryReport report = new RetryReport("_users", now::get);

        assertEquals("Kinesis stream _users: retrying with backoff; so far, entries failed"
                + " {ProvisionedThroughputExceededException=12} (at most one such line per 30 s)",
                report.entriesRetried("ProvisionedThroughputExceededException", 12));
        assertNull(report.entriesRetried("ProvisionedThroughputExceededException", 5));
        assertNull(report.entriesRetried("InternalFailure", 1));
        now.addAndGet(TimeUnit.SECONDS.toNanos(29));
        assertNull(report.requestRetried("InternalFailure: Internal service failure"));
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertEquals("Kinesis stream _users: retrying with backoff; in the last 31 s, entries failed"
                + " {InternalFailure=1, ProvisionedThroughputExceededException=5}, requests failed"
                + " {InternalFailure: Internal service failure=1, ServiceUnavailable: Slow down=1}"
                + " (at most one such line per 30 s)", report.requestRetried("ServiceUnavailable: Slow down"));
    }

    @Test
    void theIntervalCountsFromTheLastReportOnAnyClockAndEndsAfterExactlyThirtySeconds() {
        // System.nanoTime may be any value: a large one here.
        AtomicLong now = new AtomicLong(TimeUnit.DAYS.toNanos(3));
        RetryReport report = new RetryReport("_users", now::get);
        assertEquals("Kinesis stream _users: retrying with backoff; so far, requests failed {HTTP 503: Slow down=1}"
                + " (at most one such line per 30 s)", report.requestRetried("HTTP 503: Slow down"));
        now.addAndGet(TimeUnit.SECONDS.toNanos(29));
        assertNull(report.entriesRetried("InternalFailure", 2));
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals("Kinesis stream _users: retrying with backoff; in the last 30 s, entries failed {InternalFailure=3}"
                + " (at most one such line per 30 s)", report.entriesRetried("InternalFailure", 1),
                "the requests reported before are not counted again");
    }

    @Test
    void oneReportPerStream() {
        // Names no other test uses: the reports live as long as the JVM.
        String a = "retry-report-" + UUID.randomUUID();
        String b = "retry-report-" + UUID.randomUUID();
        assertNotNull(RetryReport.of(a));
        assertSame(RetryReport.of(a), RetryReport.of(a));
        assertNotSame(RetryReport.of(a), RetryReport.of(b));
    }
}
