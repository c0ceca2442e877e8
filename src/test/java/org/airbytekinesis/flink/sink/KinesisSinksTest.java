package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A batch as the connector builds it (records taken while the count stays within
 * {@code bufferSize} and the data within the batch byte limit) never makes a PutRecords request
 * over 5 MiB once the partition keys are added, for every {@code bufferSize}, record size and key
 * length the job can have.
 */
class KinesisSinksTest {
    private static final int MIB = 1024 * 1024;

    /** The worst batch: as many records as fit, each with the longest key. */
    private static long worstRequest(int bufferSize, long recordData, int keyBytes, long batchDataLimit) {
        long records = Math.min(bufferSize, Math.max(1, batchDataLimit / recordData));
        return records * (recordData + keyBytes);
    }

    @Test
    void noRequestIsOverFiveMebibytesWithKeysForAnyBufferSizeRecordSizeOrKey() {
        int[] keys = {1, KinesisSinks.RECORD_KEY_BYTES, 100, KinesisSinks.ANY_KEY_BYTES};
        for (int keyBytes : keys) {
            int maxKey = keyBytes <= KinesisSinks.RECORD_KEY_BYTES ? KinesisSinks.RECORD_KEY_BYTES : KinesisSinks.ANY_KEY_BYTES;
            for (int bufferSize = 1; bufferSize <= 500; bufferSize++) {
                long limit = KinesisSinks.batchDataBytes(bufferSize, MIB, maxKey);
                for (long data = 1; data <= MIB - keyBytes; data = data < 4096 ? data * 2 : data + 997) {
                    long request = worstRequest(bufferSize, data, keyBytes, limit);
                    assertTrue(request <= KinesisSinks.REQUEST_LIMIT_BYTES, "bufferSize " + bufferSize + ", records of "
                            + data + " bytes with " + keyBytes + "-byte keys: a request of " + request + " bytes");
                }
            }
        }
    }

    @Test
    void theReportedStallCaseNowFitsWithItsKeys() {
        // 300 records of 121,900 bytes with the default bufferSize: the connector filled 43 of them,
        // 5,241,700 bytes of data, and the keys took the request over the limit, for ever.
        long limit = KinesisSinks.batchDataBytes(100, MIB, KinesisSinks.RECORD_KEY_BYTES);
        long request = worstRequest(100, 121_900, KinesisSinks.RECORD_KEY_BYTES, limit);
        assertTrue(request <= KinesisSinks.REQUEST_LIMIT_BYTES, request + " bytes");
        assertTrue(limit / 121_900 == 42, "42 records a batch now, not 43");
    }

    @Test
    void aBatchAlwaysHoldsAtLeastOneRecordOfTheLargestSize() {
        for (int bufferSize = 1; bufferSize <= 500; bufferSize++) {
            for (int maxRecord : new int[] {1024, MIB, 5 * MIB, 10 * MIB}) {
                assertTrue(KinesisSinks.batchDataBytes(bufferSize, maxRecord, KinesisSinks.ANY_KEY_BYTES) >= maxRecord,
                        "the connector refuses a batch limit below the record limit");
            }
        }
    }
}
