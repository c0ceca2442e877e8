package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
