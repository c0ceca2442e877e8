package org.airbytekinesis.flink.sink;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.airbytekinesis.flink.envelope.KinesisEnvelope;
import org.junit.jupiter.api.Test;

class KeyOrderTest {
    private static KinesisEnvelope record(String key) {
        return new KinesisEnvelope("s", key, new byte[] {1});
    }

    @Test
    void aKeyHasOneUnwrittenRecordAtATimeAndTheNextOnesWaitInOrder() {
        KeyOrder order = new KeyOrder();
        KinesisEnvelope a1 = record("a");
        KinesisEnvelope a2 = record("a");
        KinesisEnvelope a3 = record("a");
        assertTrue(order.offer(a1), "the key is free: it goes");
        assertTrue(order.offer(record("b")), "other keys are not held up");
        assertFalse(order.offer(a2), "a's first record is not written yet");
        assertFalse(order.offer(a3));
        assertTrue(order.hasWaiting());
        assertNull(order.nextReady(), "nothing written yet");

        order.written("b");
        assertNull(order.nextReady(), "b has nothing waiting");
        order.written("a");
        assertSame(a2, order.nextReady(), "a2 goes once a1 is written");
        assertNull(order.nextReady(), "a3 waits for a2");
        order.written("a");
        assertSame(a3, order.nextReady());
        assertFalse(order.hasWaiting());
        assertFalse(order.offer(record("a")), "a3 is not written yet");
    }

    @Test
    void aRecordOfAKeyWithOthersWaitingQueuesBehindThemEvenWhenTheKeyIsFree() {
        KeyOrder order = new KeyOrder();
        assertTrue(order.offer(record("a")));
        KinesisEnvelope second = record("a");
        assertFalse(order.offer(second));
        order.written("a"); // written, but the task has not taken the waiting record yet
        KinesisEnvelope third = record("a");
        assertFalse(order.offer(third), "it must not overtake the waiting one");
        assertSame(second, order.nextReady());
        order.written("a");
        assertSame(third, order.nextReady());
    }

    @Test
    void afterTheConnectorWroteEverythingTheHeadOfEveryKeyGoes() {
        KeyOrder order = new KeyOrder();
        order.offer(record("a"));
        order.offer(record("b"));
        KinesisEnvelope a2 = record("a");
        KinesisEnvelope b2 = record("b");
        order.offer(a2);
        order.offer(b2);
        assertNull(order.nextWaiting(), "a and b are still unwritten");
        order.written("a");
        order.written("b");
        KinesisEnvelope first = order.nextWaiting();
        KinesisEnvelope second = order.nextWaiting();
        assertTrue((first == a2 && second == b2) || (first == b2 && second == a2));
        assertNull(order.nextWaiting());
        assertFalse(order.hasWaiting());
    }
}
