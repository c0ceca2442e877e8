package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.airbytekinesis.flink.state.StateMessage;
import org.airbytekinesis.flink.state.StateOutput;
import org.airbytekinesis.flink.tools.KinesisStreamReader;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * The promise users pay for, checked where it matters: at the moment the job releases a STATE,
 * every record before it in the input can be read from Kinesis. One shared check for every
 * recovery and fault test.
 *
 * <p>It is the job's {@link StateOutput} (wrapping the output a test would use otherwise): on
 * each release it reads the Kinesis streams directly from the emulator (never through a fault
 * proxy) and notes every input record before the STATE that is not readable. The expectation is
 * worked out from the input lines with Jackson's tree model, independently of the job: a record
 * is its Kinesis stream, its data and its emitted_at (so the input's RECORDs must all be good
 * ones, and distinct). After the run,
 * {@link Ledger#assertEveryStateDurableAtReleaseAndNoneMissing()} fails on any such record, on a
 * STATE never released, on one released out of order, and on one that is not the input's.
 *
 * <p>The MiniCluster runs in the test's JVM, so what the output saw reaches the test through a
 * static map keyed by a ledger id.
 */
public final class DurabilityAtRelease implements StateOutput {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Ledger> LEDGERS = new ConcurrentHashMap<>();
    /** Reads that fail (the emulator restarting) are tried again for this long before the release fails. */
    private static final long READ_RETRY_MILLIS = 30_000;

    private final String ledgerId;
    private final String emulatorEndpoint;
    private final StateOutput next;
    private transient KinesisClient client;

    private DurabilityAtRelease(String ledgerId, String emulatorEndpoint, StateOutput next) {
        this.ledgerId = ledgerId;
        this.emulatorEndpoint = emulatorEndpoint;
        this.next = next;
    }

    /**
     * A ledger for one input (the lines of the job's one input, in order), whose records the
     * job writes to the Kinesis streams {@code namer} gives.
     *
     * @param emulatorEndpoint where to read the streams back: the emulator itself, not a proxy
     */
    public static Ledger forInput(List<String> inputLines, ExpectedRecords.StreamNamer namer, String emulatorEndpoint)
            throws IOException {
        Ledger ledger = new Ledger(inputLines, namer, emulatorEndpoint);
        LEDGERS.put(ledger.id, ledger);
        return ledger;
    }

    @Override
    public void open(String runId) throws IOException {
        ledger().opened.incrementAndGet();
        client = KinesisEmulator.clientFor(emulatorEndpoint);
        if (next != null) {
            next.open(runId);
        }
    }

    @Override
    public void release(long checkpointId, List<StateMessage> states) throws IOException {
        Ledger ledger = ledger();
        Set<List<Object>> readable = null;
        for (StateMessage state : states) {
            if (state.isInputCompleted()) {
                continue;
            }
            if (readable == null) {
                // Once per release: the STATEs of one checkpoint are released together.
                readable = readAll(ledger);
            }
            ledger.check(state, readable);
        }
        if (next != null) {
            next.release(checkpointId, states);
        }
    }

    @Override
    public void close() throws IOException {
        if (client != null) {
            client.close();
        }
        if (next != null) {
            next.close();
        }
    }

    private Ledger ledger() {
        Ledger ledger = LEDGERS.get(ledgerId);
        if (ledger == null) {
            throw new IllegalStateException("no ledger " + ledgerId + " in this JVM (is the job on a MiniCluster?)");
        }
        return ledger;
    }

    /** What the ledger's streams (and its dead-letter stream) hold now, as record and dead-letter keys. */
    private Set<List<Object>> readAll(Ledger ledger) throws IOException {
        long deadline = System.currentTimeMillis() + READ_RETRY_MILLIS;
        while (true) {
            try {
                Set<List<Object>> readable = new HashSet<>();
                KinesisStreamReader reader = new KinesisStreamReader(client);
                for (String stream : ledger.streams()) {
                    for (KinesisClientRecord record : Deaggregation.userRecords(reader.readAll(stream))) {
                        readable.add(Ledger.key(stream, ExpectedRecords.EXACT.readTree(Deaggregation.bytes(record.data()))));
                    }
                }
                String deadLetterStream = ledger.deadLetterStream();
                if (deadLetterStream != null) {
                    for (Record record : reader.readAll(deadLetterStream)) {
                        JsonNode deadLetter = ExpectedRecords.EXACT.readTree(record.data().asByteArray());
                        readable.add(Ledger.deadLetterKey(deadLetter.get("line").longValue()));
                    }
                }
                return readable;
            } catch (RuntimeException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading Kinesis back", interrupted);
                }
            }
        }
    }

    /** What one run must release, and what its output saw. */
    public static final class Ledger implements AutoCloseable {
        private final String id = UUID.randomUUID().toString();
        private final String emulatorEndpoint;
        /** Per STATE line number: the keys of the records on the lines before it. */
        private final TreeMap<Long, InputState> statesByLine = new TreeMap<>();
        private final List<List<Object>> recordsInOrder = new ArrayList<>();
        private final List<Long> recordLines = new ArrayList<>();
        private final Set<String> streams = new TreeSet<>();
        /** Lines that are not JSON: dead letters, checked when {@link #deadLettersIn} names their stream. */
        private final List<Long> badLines = new ArrayList<>();
        private volatile String deadLetterStream;
        private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        /** Line numbers as released, repeats after a restore included. */
        private final List<Long> released = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger opened = new AtomicInteger();

        private Ledger(List<String> inputLines, ExpectedRecords.StreamNamer namer, String emulatorEndpoint)
                throws IOException {
            this.emulatorEndpoint = emulatorEndpoint;
            int recordsSinceState = 0;
            for (int i = 0; i < inputLines.size(); i++) {
                String line = inputLines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode message;
                try {
                    message = ExpectedRecords.EXACT.readTree(line);
                } catch (JsonProcessingException notJson) {
                    badLines.add(i + 1L);
                    continue;
                }
                String type = message.path("type").asText();
                if ("RECORD".equals(type)) {
                    JsonNode record = message.get("record");
                    String stream = ExpectedRecords.kinesisStreamOf(record, namer);
                    streams.add(stream);
                    recordsInOrder.add(List.of(stream, record.get("data"), record.get("emitted_at")));
                    recordLines.add(i + 1L);
                    recordsSinceState++;
                } else if ("STATE".equals(type)) {
                    statesByLine.put(i + 1L, new InputState(message, recordsInOrder.size(), badLines.size(), recordsSinceState));
                    recordsSinceState = 0;
                }
            }
        }

        /** The job's STATE output: checks each release, then hands the STATEs to {@code next} (may be null). */
        public StateOutput output(StateOutput next) {
            return new DurabilityAtRelease(id, emulatorEndpoint, next);
        }

        public StateOutput output() {
            return output(null);
        }

        /**
         * Dead letters go to this Kinesis stream: at each release, every line before the STATE
         * that is not JSON must be readable there too (a dead letter's {@code line}).
         */
        public Ledger deadLettersIn(String stream) {
            deadLetterStream = stream;
            return this;
        }

        /** How often the output was opened: once per attempt of the releaser. */
        public int attempts() {
            return opened.get();
        }

        /** Line numbers of the released STATEs, in release order, repeats included. */
        public List<Long> releasedLines() {
            synchronized (released) {
                return new ArrayList<>(released);
            }
        }

        Set<String> streams() {
            return streams;
        }

        String deadLetterStream() {
            return deadLetterStream;
        }

        static List<Object> key(String stream, JsonNode envelope) throws IOException {
            JsonNode data = envelope.get("_airbyte_data");
            if (data != null && data.isTextual()) {
                data = ExpectedRecords.EXACT.readTree(data.textValue());
            }
            return List.of(stream, data, envelope.get("_airbyte_emitted_at"));
        }

        static List<Object> deadLetterKey(long line) {
            return List.of("dead letter", line);
        }

        void check(StateMessage state, Set<List<Object>> readable) throws IOException {
            released.add(state.lineNumber);
            InputState expected = statesByLine.get(state.lineNumber);
            if (expected == null) {
                violations.add("released a STATE from line " + state.lineNumber + ", where the input has none");
                return;
            }
            ObjectNode json = (ObjectNode) ExpectedRecords.EXACT.readTree(new String(state.json, StandardCharsets.UTF_8));
            JsonNode stats = ((ObjectNode) json.get("state")).remove("destinationStats");
            if (!expected.message.equals(json)) {
                violations.add("the STATE of line " + state.lineNumber + " was released as " + json);
            }
            JsonNode stateType = json.get("state").get("type");
            String type = stateType == null ? "LEGACY" : stateType.asText();
            // A STREAM state counts its own stream's records only; the input's tests use LEGACY or GLOBAL ones.
            boolean countsAllStreams = "LEGACY".equals(type) || "GLOBAL".equals(type);
            if (stats == null || countsAllStreams && stats.get("recordCount").intValue() != expected.recordsSinceState) {
                violations.add("the STATE of line " + state.lineNumber + " says destinationStats " + stats + ", not "
                        + expected.recordsSinceState + " records");
            }
            int missing = 0;
            long firstMissingLine = -1;
            for (int i = 0; i < expected.recordsBefore; i++) {
                if (!readable.contains(recordsInOrder.get(i))) {
                    if (missing++ == 0) {
                        firstMissingLine = recordLines.get(i);
                    }
                }
            }
            if (missing > 0) {
                violations.add("the STATE of line " + state.lineNumber + " was released while " + missing + " of the "
                        + expected.recordsBefore + " records before it were not readable from Kinesis (the first on line "
                        + firstMissingLine + ")");
            }
            if (deadLetterStream != null) {
                for (int i = 0; i < expected.badLinesBefore; i++) {
                    if (!readable.contains(deadLetterKey(badLines.get(i)))) {
                        violations.add("the STATE of line " + state.lineNumber + " was released before the dead letter of line "
                                + badLines.get(i) + " was readable from " + deadLetterStream);
                        break;
                    }
                }
            }
        }

        /**
         * At every release, every record before the STATE was readable; and the released STATEs,
         * with repeats of already released ones dropped (a restore hands the restored snapshot's
         * STATEs over again, and the console output drops those), are the input's STATEs, every
         * one, in input order, as they came plus the right {@code destinationStats.recordCount}.
         */
        public void assertEveryStateDurableAtReleaseAndNoneMissing() {
            List<String> problems = new ArrayList<>(violations);
            List<Long> distinct = new ArrayList<>();
            Set<Long> seen = new HashSet<>();
            for (long line : releasedLines()) {
                if (seen.contains(line)) {
                    continue;
                }
                if (!distinct.isEmpty() && line < distinct.get(distinct.size() - 1)) {
                    problems.add("the STATE of line " + line + " was released after the one of line "
                            + distinct.get(distinct.size() - 1));
                }
                seen.add(line);
                distinct.add(line);
            }
            List<Long> expected = new ArrayList<>(statesByLine.keySet());
            Set<Long> missing = new TreeSet<>(expected);
            missing.removeAll(seen);
            if (!missing.isEmpty()) {
                problems.add("STATEs never released, lines " + missing + " (released: " + distinct + ")");
            }
            if (!problems.isEmpty()) {
                throw new AssertionError(problems.size() + " broken STATE promises:\n  " + String.join("\n  ",
                        problems.subList(0, Math.min(problems.size(), 20))));
            }
        }

        /** For runs without a restore, where a STATE released again would be a second copy the platform sees. */
        public void assertEachStateReleasedOnce() {
            List<Long> lines = releasedLines();
            List<Long> repeated = new ArrayList<>(lines);
            for (Long line : new TreeSet<>(lines)) {
                repeated.remove(line);
            }
            if (!repeated.isEmpty()) {
                throw new AssertionError("STATEs released more than once, lines " + repeated + " (released: " + lines + ")");
            }
        }

        @Override
        public void close() {
            LEDGERS.remove(id);
        }
    }

    private static final class InputState {
        final JsonNode message;
        final int recordsBefore;
        final int badLinesBefore;
        final int recordsSinceState;

        InputState(JsonNode message, int recordsBefore, int badLinesBefore, int recordsSinceState) {
            this.message = message;
            this.recordsBefore = recordsBefore;
            this.badLinesBefore = badLinesBefore;
            this.recordsSinceState = recordsSinceState;
        }
    }
}
