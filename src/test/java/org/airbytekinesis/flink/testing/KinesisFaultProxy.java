package org.airbytekinesis.flink.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A fault-injecting HTTP/1.1 reverse proxy for the Kinesis JSON protocol (CBOR off), placed
 * between a client (the job's sink, an SDK client) and an emulator such as kinesalite, because
 * the emulators never throttle, fail partially or enforce the service's limits.
 *
 * <p>Only {@code Kinesis_20131202.PutRecords} requests (by their {@code X-Amz-Target} header) are
 * faulted; every other request (CreateStream, DescribeStreamSummary, ListShards, ...) is forwarded
 * untouched. A PutRecords request goes through these steps, each of which may answer it without
 * forwarding:
 * <ol>
 *   <li>its data and partition key bytes are measured ({@link #largestRequestBytes()});
 *   <li>a request failure set by {@link #failPutRecordsAfter} answers it once its allowance of
 *       requests let through is used up (checked first, so that it applies whatever the
 *       request holds, as an AccessDenied or an expired token would);
 *   <li>with {@link #setEnforceServiceLimits} it is refused when real Kinesis would refuse it for
 *       its entry count, sizes or partition keys (see there for the errors chosen);
 *   <li>one draw of a seeded {@link Random} picks, by cumulative shares, a connection reset, an
 *       HTTP 500 or an HTTP 503; otherwise every entry is drawn against the entry failure share;
 *   <li>with {@link #setAnswerPutRecordsLocally} the proxy answers itself, recording the accepted
 *       entries ({@link #acceptedEntries()}); otherwise the chosen entries are removed from the
 *       request before it is forwarded (so they are really not written) and put back into the
 *       response as failed entries ({@code ProvisionedThroughputExceededException} unless
 *       {@link #setEntryErrorCode} says otherwise), with {@code FailedRecordCount} raised to match.
 * </ol>
 * Settings may change at any time from any thread; they apply to requests that arrive afterwards.
 * A body that is not JSON (CBOR, compressed) is not measured, limited or edited, only forwarded.
 *
 * <p>Each client connection gets its own thread and its own upstream connection (opened lazily,
 * kept alive, reopened when the upstream closed it or has been idle for a while). Bodies are
 * read completely (fixed length or chunked; {@code Expect: 100-continue} is answered by the proxy)
 * and sent on with a {@code Content-Length}. Rewritten requests are not re-signed: fine for the
 * emulators, which check only the form of the {@code Authorization} header, not for real AWS.
 */
public final class KinesisFaultProxy implements AutoCloseable {
    public static final String PUT_RECORDS_TARGET = "Kinesis_20131202.PutRecords";
    public static final long DEFAULT_SEED = 20131202L;
    public static final String THROTTLING_ERROR_CODE = "ProvisionedThroughputExceededException";
    public static final String VALIDATION_ERROR_CODE = "ValidationException";
    public static final String INVALID_ARGUMENT_ERROR_CODE = "InvalidArgumentException";
    /** Real Kinesis's PutRecords limits; sizes count base64-decoded data plus UTF-8 partition key bytes. */
    public static final int MAX_ENTRIES_PER_REQUEST = 500;
    public static final long MAX_RECORD_BYTES = 1_048_576L;
    public static final long MAX_REQUEST_BYTES = 5_242_880L;
    public static final int MAX_PARTITION_KEY_CODE_POINTS = 256;
    /** The answer to a request over {@link #MAX_REQUEST_BYTES}, as AWS words it. */
    public static final String REQUEST_TOO_LARGE_MESSAGE = "Records size exceeds 5 MB limit";
    /** The answer to an entry whose data plus key exceed {@link #MAX_RECORD_BYTES}, worded like the one above. */
    public static final String RECORD_TOO_LARGE_MESSAGE = "Record size exceeds 1 MB limit";
    /** In failure and entry error messages: replaced by the request's stream name. */
    public static final String STREAM_PLACEHOLDER = "{stream}";
    /** The account in the ARNs and messages the proxy makes up. */
    public static final String ACCOUNT_ID = "000000000000";
    /** The ShardId of every entry the proxy accepts itself. */
    public static final String LOCAL_SHARD_ID = "shardId-000000000000";

    private static final String JSON_CONTENT_TYPE = "application/x-amz-json-1.1";
    private static final int MAX_LINE_BYTES = 64 * 1024;
    private static final int MAX_HEADERS = 200;
    /** Keeps a message about 5,000 bad partition keys readable; the count still says how many. */
    private static final int MAX_LISTED_VALIDATION_ERRORS = 10;
    private static final int UPSTREAM_CONNECT_TIMEOUT_MS = 5_000;
    private static final int UPSTREAM_READ_TIMEOUT_MS = 120_000;
    /** Node's HTTP server drops idle keep-alive connections after 5 s; reopen well before that. */
    private static final long UPSTREAM_MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding",
            "upgrade", "content-length");
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final ObjectMapper mapper = new ObjectMapper();
    private final String upstreamHost;
    private final int upstreamPort;
    private final String upstreamEndpoint;
    private final ServerSocket server;
    private final ExecutorService workers;
    private final Thread acceptor;
    private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private volatile double entryFailureShare;
    /** Shares for single streams, over {@link #entryFailureShare} (one throttled stream among many). */
    private final Map<String, Double> entryFailureShareByStream = new ConcurrentHashMap<>();
    /** Streams whose PutRecords are answered locally within their shards' limits. */
    private final Map<String, ShardLimits> shardLimitsByStream = new ConcurrentHashMap<>();
    /** Whether locally accepted entries are kept for {@link #acceptedEntries()} (a benchmark only counts). */
    private volatile boolean keepAcceptedEntries = true;
    private volatile double http500Share;
    private volatile double http503Share;
    private volatile double connectionResetShare;
    private volatile long latencyMillis;
    private volatile boolean latencyOnAllRequests;
    private volatile boolean enforceServiceLimits;
    private volatile boolean answerPutRecordsLocally;
    private volatile EntryError entryError = EntryError.THROTTLING;
    private volatile RequestFailure requestFailure; // null: none
    private final Object randomLock = new Object();
    private Random random = new Random(DEFAULT_SEED); // guarded by randomLock

    private final AtomicLong requestsForwarded = new AtomicLong();
    private final AtomicLong putRecordsRequests = new AtomicLong();
    private final AtomicLong entriesForwarded = new AtomicLong();
    private final AtomicLong entriesFailed = new AtomicLong();
    private final AtomicLong http500s = new AtomicLong();
    private final AtomicLong http503s = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong sizeRejections = new AtomicLong();
    private final AtomicLong largestRequestBytes = new AtomicLong();
    private final AtomicLong requestFailuresInjected = new AtomicLong();
    /** Never reset, so that the proxy's sequence numbers stay unique for its whole life. */
    private final AtomicLong localSequence = new AtomicLong();
    private final Object acceptedLock = new Object();
    private final List<AcceptedEntry> accepted = new ArrayList<>(); // guarded by acceptedLock
    private int acceptedCount; // guarded by acceptedLock

    private KinesisFaultProxy(String upstreamEndpoint) throws IOException {
        URI uri = URI.create(upstreamEndpoint);
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("upstream must be an http://host:port endpoint, got " + upstreamEndpoint);
        }
        this.upstreamHost = uri.getHost();
        this.upstreamPort = uri.getPort() == -1 ? 80 : uri.getPort();
        this.upstreamEndpoint = upstreamEndpoint;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        int instance = INSTANCES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "kinesis-fault-proxy-" + instance + "-conn-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.acceptor = new Thread(this::acceptLoop, "kinesis-fault-proxy-" + instance + "-accept");
        this.acceptor.setDaemon(true);
    }

    /** Starts a proxy on a free loopback port in front of {@code upstreamEndpoint} (http://host:port). */
    public static KinesisFaultProxy start(String upstreamEndpoint) throws IOException {
        KinesisFaultProxy proxy = new KinesisFaultProxy(upstreamEndpoint);
        proxy.acceptor.start();
        return proxy;
    }

    /** Where clients connect: {@code http://127.0.0.1:port}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public int port() {
        return server.getLocalPort();
    }

    public String upstreamEndpoint() {
        return upstreamEndpoint;
    }

    // ---- settings -------------------------------------------------------------------------

    /**
     * Share (0..1) of PutRecords entries removed before forwarding and reported as failed, with
     * the code set by {@link #setEntryErrorCode} (by default throttled).
     */
    public KinesisFaultProxy setEntryFailureShareFor(String stream, double share) {
        entryFailureShareByStream.put(stream, checkShare(share));
        return this;
    }

    /**
     * Whether entries answered locally are kept for {@link #acceptedEntries()} (default) or only
     * counted ({@link #acceptedEntryCount()}): a benchmark sends gigabytes.
     */
    public KinesisFaultProxy setKeepAcceptedEntries(boolean keep) {
        this.keepAcceptedEntries = keep;
        return this;
    }

    public KinesisFaultProxy setEntryFailureShare(double share) {
        this.entryFailureShare = checkShare(share);
        return this;
    }

    /** Share (0..1) of PutRecords requests answered with HTTP 500 InternalFailure, not forwarded. */
    public KinesisFaultProxy setHttp500Share(double share) {
        this.http500Share = checkShare(share);
        return this;
    }

    /** Share (0..1) of PutRecords requests answered with HTTP 503 ServiceUnavailable, not forwarded. */
    public KinesisFaultProxy setHttp503Share(double share) {
        this.http503Share = checkShare(share);
        return this;
    }

    /** Share (0..1) of PutRecords requests whose client connection is reset (RST), not forwarded. */
    public KinesisFaultProxy setConnectionResetShare(double share) {
        this.connectionResetShare = checkShare(share);
        return this;
    }

    /** Delay added before handling each PutRecords request (each request when {@link #setLatencyOnAllRequests}). */
    public KinesisFaultProxy setLatencyMillis(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("latency must be >= 0, got " + millis);
        }
        this.latencyMillis = millis;
        return this;
    }

    /** Whether the latency applies to every request (default false: PutRecords only). */
    public KinesisFaultProxy setLatencyOnAllRequests(boolean all) {
        this.latencyOnAllRequests = all;
        return this;
    }

    /** Restarts the fault decisions from {@code seed}. */
    public KinesisFaultProxy setSeed(long seed) {
        synchronized (randomLock) {
            random = new Random(seed);
        }
        return this;
    }

    /**
     * Whether PutRecords requests that real Kinesis refuses are refused the same way (HTTP 400,
     * not forwarded; counted by {@link #sizeRejections()}). Real Kinesis checks the model's
     * constraints first and lists every violation in one {@code ValidationException}
     * ("2 validation errors detected: ...; ...", members numbered from 1, at most 10 listed):
     * <ul>
     *   <li>fewer than 1 or more than {@link #MAX_ENTRIES_PER_REQUEST} entries;
     *   <li>data missing, or longer than {@link #MAX_RECORD_BYTES} bytes on its own (as AWS words it:
     *       "Value 'java.nio.HeapByteBuffer[pos=0 lim=N cap=N]' at 'records.1.member.data' failed to
     *       satisfy constraint: Member must have length less than or equal to 1048576");
     *   <li>a partition key missing, empty, or longer than {@link #MAX_PARTITION_KEY_CODE_POINTS}
     *       Unicode code points ("Value '' at 'records.1.member.partitionKey' failed to satisfy
     *       constraint: Member must have length greater than or equal to 1").
     * </ul>
     * Then the service's size rules, with {@code InvalidArgumentException}: an entry whose data
     * plus partition key exceed {@link #MAX_RECORD_BYTES} ({@value #RECORD_TOO_LARGE_MESSAGE}), and
     * data plus keys of all entries exceeding {@link #MAX_REQUEST_BYTES}
     * ({@value #REQUEST_TOO_LARGE_MESSAGE}, AWS's message).
     */
    public KinesisFaultProxy setEnforceServiceLimits(boolean enforce) {
        this.enforceServiceLimits = enforce;
        return this;
    }

    /**
     * Whether the proxy answers PutRecords itself instead of forwarding them: every entry not
     * chosen by the entry failure share is accepted with a sequence number of the proxy's making
     * and {@link #LOCAL_SHARD_ID}, and recorded ({@link #acceptedEntries()}); the stream need not
     * exist. The steps before (request failure, limits, fault draws) apply as usual; other
     * operations are still forwarded. Big-record tests thus do not depend on the emulator.
     */
    /**
     * Enforces the per-shard write limits of real Kinesis on {@code stream} ({@link ShardLimits}),
     * answering its PutRecords locally (as {@link #setAnswerPutRecordsLocally}) with each entry's
     * own shard id: an entry beyond its shard's records or bytes per second fails with
     * {@code ProvisionedThroughputExceededException}, as Kinesis answers it.
     */
    public KinesisFaultProxy setShardLimits(String stream, ShardLimits limits) {
        shardLimitsByStream.put(stream, limits);
        this.answerPutRecordsLocally = true;
        return this;
    }

    public KinesisFaultProxy setAnswerPutRecordsLocally(boolean local) {
        this.answerPutRecordsLocally = local;
        return this;
    }

    /**
     * The ErrorCode and ErrorMessage of the entries chosen by the entry failure share, e.g.
     * {@code KMSThrottlingException} or {@code InternalFailure}; {@value #STREAM_PLACEHOLDER} in
     * the message becomes the stream name. The default is {@link #THROTTLING_ERROR_CODE}.
     */
    public KinesisFaultProxy setEntryErrorCode(String code, String message) {
        this.entryError = new EntryError(requireText(code, "code"), Objects.requireNonNull(message, "message"));
        return this;
    }

    /**
     * After {@code requests} more PutRecords requests were let through (from now on, whatever
     * then becomes of them), every further PutRecords request is answered with {@code failure}
     * and not forwarded, until {@link #clearRequestFailure()}. Counted by
     * {@link #requestFailuresInjected()}.
     */
    public KinesisFaultProxy failPutRecordsAfter(long requests, Failure failure) {
        if (requests < 0) {
            throw new IllegalArgumentException("requests must be >= 0, got " + requests);
        }
        this.requestFailure = new RequestFailure(Objects.requireNonNull(failure, "failure"), requests);
        return this;
    }

    /** {@link #failPutRecordsAfter(long, Failure)} with {@link Failure#of}. */
    public KinesisFaultProxy failPutRecordsAfter(long requests, String errorCode, int httpStatus, String message) {
        return failPutRecordsAfter(requests, Failure.of(errorCode, httpStatus, message));
    }

    /** PutRecords requests are let through again. */
    public KinesisFaultProxy clearRequestFailure() {
        this.requestFailure = null;
        return this;
    }

    /**
     * All shares and the latency back to 0, the entry error back to throttling, no request
     * failure (counters, seed, limits enforcement and local answering unchanged).
     */
    public KinesisFaultProxy clearFaults() {
        entryFailureShare = 0;
        entryFailureShareByStream.clear();
        http500Share = 0;
        http503Share = 0;
        connectionResetShare = 0;
        latencyMillis = 0;
        latencyOnAllRequests = false;
        entryError = EntryError.THROTTLING;
        requestFailure = null;
        return this;
    }

    /** Every counter back to 0, and the accepted entries forgotten. */
    public KinesisFaultProxy resetCounters() {
        for (AtomicLong counter : List.of(requestsForwarded, putRecordsRequests, entriesForwarded, entriesFailed,
                http500s, http503s, resets, sizeRejections, largestRequestBytes, requestFailuresInjected)) {
            counter.set(0);
        }
        synchronized (acceptedLock) {
            accepted.clear();
            acceptedCount = 0;
        }
        return this;
    }

    public boolean enforcesServiceLimits() {
        return enforceServiceLimits;
    }

    public boolean answersPutRecordsLocally() {
        return answerPutRecordsLocally;
    }

    public String entryErrorCode() {
        return entryError.code;
    }

    public double entryFailureShare() {
        return entryFailureShare;
    }

    public double http500Share() {
        return http500Share;
    }

    public double http503Share() {
        return http503Share;
    }

    public double connectionResetShare() {
        return connectionResetShare;
    }

    public long latencyMillis() {
        return latencyMillis;
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    private static double checkShare(double share) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("a share must be within 0..1, got " + share);
        }
        return share;
    }

    // ---- counters -------------------------------------------------------------------------

    /** Requests sent upstream (any operation; a PutRecords with some entries removed counts once). */
    public long requestsForwarded() {
        return requestsForwarded.get();
    }

    /** PutRecords requests received from clients, faulted or not. */
    public long putRecordsRequests() {
        return putRecordsRequests.get();
    }

    /** PutRecords entries sent upstream. */
    public long entriesForwarded() {
        return entriesForwarded.get();
    }

    /** PutRecords entries chosen by the entry failure share and reported failed (forwarded or answered locally). */
    public long entriesFailed() {
        return entriesFailed.get();
    }

    public long http500s() {
        return http500s.get();
    }

    public long http503s() {
        return http503s.get();
    }

    /** Client connections reset instead of answering a PutRecords request. */
    public long resets() {
        return resets.get();
    }

    /**
     * PutRecords requests with entries refused for a limit of {@link #setEnforceServiceLimits}
     * (an empty request is refused too, but not counted: the job's permission probe is one).
     */
    public long sizeRejections() {
        return sizeRejections.get();
    }

    /** The largest data plus partition key bytes of one PutRecords request so far, refused or not. */
    public long largestRequestBytes() {
        return largestRequestBytes.get();
    }

    /** PutRecords requests answered with the failure of {@link #failPutRecordsAfter}. */
    public long requestFailuresInjected() {
        return requestFailuresInjected.get();
    }

    /** The entries accepted by {@link #setAnswerPutRecordsLocally}, in the order they were accepted. */
    public List<AcceptedEntry> acceptedEntries() {
        synchronized (acceptedLock) {
            return List.copyOf(accepted);
        }
    }

    public int acceptedEntryCount() {
        synchronized (acceptedLock) {
            return acceptedCount;
        }
    }

    @Override
    public String toString() {
        return "KinesisFaultProxy{" + endpoint() + " -> " + upstreamEndpoint
                + ", forwarded=" + requestsForwarded() + ", putRecords=" + putRecordsRequests()
                + ", entriesForwarded=" + entriesForwarded() + ", entriesFailed=" + entriesFailed()
                + ", 500s=" + http500s() + ", 503s=" + http503s() + ", resets=" + resets()
                + ", sizeRejections=" + sizeRejections() + ", largestRequestBytes=" + largestRequestBytes()
                + ", requestFailures=" + requestFailuresInjected() + ", accepted=" + acceptedEntryCount() + "}";
    }

    // ---- value types ----------------------------------------------------------------------

    /**
     * A request-level error for {@link #failPutRecordsAfter}: the answer's HTTP status and JSON
     * {@code {"__type": errorCode, "message": message}}, with
     * {@value KinesisFaultProxy#STREAM_PLACEHOLDER} in the message replaced by the request's stream
     * name. The factories give the errors a changed or misconfigured account causes, all with HTTP
     * 400 as Kinesis answers them, and messages modelled on AWS's (the KMS ones on the Kinesis API
     * reference's descriptions of those errors).
     */
    public static final class Failure {
        private final String errorCode;
        private final int httpStatus;
        private final String message;

        private Failure(String errorCode, int httpStatus, String message) {
            this.errorCode = requireText(errorCode, "errorCode");
            if (httpStatus < 400 || httpStatus > 599) {
                throw new IllegalArgumentException("an error status is 4xx or 5xx, got " + httpStatus);
            }
            this.httpStatus = httpStatus;
            this.message = Objects.requireNonNull(message, "message");
        }

        public static Failure of(String errorCode, int httpStatus, String message) {
            return new Failure(errorCode, httpStatus, message);
        }

        /** The credentials lack kinesis:PutRecords on the stream. */
        public static Failure accessDenied() {
            return of("AccessDeniedException", 400, "User: arn:aws:iam::" + ACCOUNT_ID + ":user/test"
                    + " is not authorized to perform: kinesis:PutRecords on resource: arn:aws:kinesis:us-east-1:"
                    + ACCOUNT_ID + ":stream/" + STREAM_PLACEHOLDER
                    + " because no identity-based policy allows the kinesis:PutRecords action");
        }

        public static Failure kmsDisabled() {
            return of("KMSDisabledException", 400,
                    "The request was rejected because the specified customer master key (CMK) isn't enabled.");
        }

        public static Failure kmsAccessDenied() {
            return of("KMSAccessDeniedException", 400,
                    "The ciphertext references a key that doesn't exist or that you don't have access to.");
        }

        public static Failure kmsNotFound() {
            return of("KMSNotFoundException", 400,
                    "The request was rejected because the specified entity or resource can't be found.");
        }

        public static Failure kmsInvalidState() {
            return of("KMSInvalidStateException", 400, "The request was rejected because the state of the"
                    + " specified resource isn't valid for this request.");
        }

        /** The code has no "Exception" suffix in the Kinesis API. */
        public static Failure kmsOptInRequired() {
            return of("KMSOptInRequired", 400, "The AWS access key ID needs a subscription for the service.");
        }

        /** Retryable, unlike the other KMS errors. */
        public static Failure kmsThrottling() {
            return of("KMSThrottlingException", 400, "The request was denied due to request throttling.");
        }

        public static Failure expiredToken() {
            return of("ExpiredTokenException", 400, "The security token included in the request is expired");
        }

        public static Failure unrecognizedClient() {
            return of("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
        }

        /** A model constraint the request broke; here the stream name's pattern. */
        public static Failure validation() {
            return validation("1 validation error detected: Value '" + STREAM_PLACEHOLDER + "' at 'streamName' failed"
                    + " to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }

        public static Failure validation(String message) {
            return of(VALIDATION_ERROR_CODE, 400, message);
        }

        /** The stream is gone (deleted after the job started). */
        public static Failure resourceNotFound() {
            return of("ResourceNotFoundException", 400,
                    "Stream " + STREAM_PLACEHOLDER + " under account " + ACCOUNT_ID + " not found.");
        }

        public String errorCode() {
            return errorCode;
        }

        public int httpStatus() {
            return httpStatus;
        }

        /** The message as given, with {@value KinesisFaultProxy#STREAM_PLACEHOLDER} unreplaced. */
        public String message() {
            return message;
        }

        /** The message as answered for a request to {@code stream}. */
        public String messageFor(String stream) {
            return message.replace(STREAM_PLACEHOLDER, stream);
        }

        @Override
        public String toString() {
            return httpStatus + " " + errorCode + ": " + message;
        }
    }

    /** One PutRecords entry the proxy accepted itself ({@link #setAnswerPutRecordsLocally}). */
    public static final class AcceptedEntry {
        private final String streamName;
        private final String partitionKey;
        private final byte[] data;
        private final String sequenceNumber;
        private final String shardId;
        private final long acceptedAtNanos;

        AcceptedEntry(String streamName, String partitionKey, byte[] data, String sequenceNumber) {
            this(streamName, partitionKey, data, sequenceNumber, LOCAL_SHARD_ID, System.nanoTime());
        }

        AcceptedEntry(String streamName, String partitionKey, byte[] data, String sequenceNumber, String shardId,
                long acceptedAtNanos) {
            this.streamName = streamName;
            this.partitionKey = partitionKey;
            this.data = data; // decoded by the proxy and never handed out: no copy needed here
            this.sequenceNumber = sequenceNumber;
            this.shardId = shardId;
            this.acceptedAtNanos = acceptedAtNanos;
        }

        /** The shard the proxy answered for this entry. */
        public String shardId() {
            return shardId;
        }

        /** When the proxy accepted it ({@link System#nanoTime}). */
        public long acceptedAtNanos() {
            return acceptedAtNanos;
        }

        public String streamName() {
            return streamName;
        }

        /** Null only if the request had none (limits not enforced). */
        public String partitionKey() {
            return partitionKey;
        }

        /** A copy of the decoded data. */
        public byte[] data() {
            return data.clone();
        }

        public int dataLength() {
            return data.length;
        }

        public String dataAsUtf8() {
            return new String(data, StandardCharsets.UTF_8);
        }

        /** The SequenceNumber the proxy answered for this entry. */
        public String sequenceNumber() {
            return sequenceNumber;
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof AcceptedEntry)) {
                return false;
            }
            AcceptedEntry that = (AcceptedEntry) other;
            return streamName.equals(that.streamName) && Objects.equals(partitionKey, that.partitionKey)
                    && Arrays.equals(data, that.data) && sequenceNumber.equals(that.sequenceNumber);
        }

        @Override
        public int hashCode() {
            return Objects.hash(streamName, partitionKey, sequenceNumber) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "AcceptedEntry{" + streamName + ", key=" + partitionKey + ", " + data.length + " bytes, seq="
                    + sequenceNumber + "}";
        }
    }

    /** The ErrorCode and ErrorMessage of entries failed by the entry failure share. */
    private static final class EntryError {
        static final EntryError THROTTLING = new EntryError(THROTTLING_ERROR_CODE, "Rate exceeded for shard in stream "
                + STREAM_PLACEHOLDER + " under account " + ACCOUNT_ID + " (injected by KinesisFaultProxy).");

        final String code;
        final String message;

        EntryError(String code, String message) {
            this.code = code;
            this.message = message;
        }
    }

    /** A {@link Failure} and how many more PutRecords requests pass before it applies. */
    private static final class RequestFailure {
        final Failure failure;
        private final AtomicLong passesLeft;

        RequestFailure(Failure failure, long passes) {
            this.failure = failure;
            this.passesLeft = new AtomicLong(passes);
        }

        /** Uses up one pass, or says the request fails when none is left. */
        boolean failsThisRequest() {
            return passesLeft.getAndUpdate(left -> left > 0 ? left - 1 : 0) == 0;
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------

    /** Stops accepting, closes every client and upstream connection and stops all threads. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket socket : openSockets) {
            closeQuietly(socket);
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            openSockets.add(client);
            if (closed) {
                closeQuietly(client);
                return;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                closeQuietly(client);
            }
        }
    }

    // ---- one client connection ------------------------------------------------------------

    private void serve(Socket client) {
        Upstream upstream = new Upstream();
        try {
            client.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(client.getInputStream(), 64 * 1024);
            OutputStream out = new BufferedOutputStream(client.getOutputStream(), 64 * 1024);
            while (!closed) {
                Request request = readRequest(in, out);
                if (request == null) {
                    break;
                }
                if (!handle(request, client, out, upstream)) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, sent something unreadable, or the proxy is closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            upstream.close();
            closeQuietly(client);
            openSockets.remove(client);
        }
    }

    /** Answers one request; false when the client connection must not be used again. */
    private boolean handle(Request request, Socket client, OutputStream out, Upstream upstream)
            throws IOException, InterruptedException {
        boolean putRecords = PUT_RECORDS_TARGET.equals(request.header("X-Amz-Target"));
        if (putRecords) {
            putRecordsRequests.incrementAndGet();
        }
        long latency = latencyMillis;
        if (latency > 0 && (putRecords || latencyOnAllRequests)) {
            Thread.sleep(latency);
        }
        boolean keepAlive = request.keepAlive();
        if (!putRecords) {
            return respond(out, forwardOrBadGateway(request, upstream, -1), keepAlive);
        }

        // Sizes are measured for every PutRecords request (largestRequestBytes), enforced or not.
        PutRecordsShape shape = measure(request);
        if (shape != null) {
            largestRequestBytes.accumulateAndGet(shape.totalBytes, Math::max);
        }
        String stream = shape == null ? "unknown" : shape.streamName;

        RequestFailure failure = requestFailure;
        if (failure != null && failure.failsThisRequest()) {
            requestFailuresInjected.incrementAndGet();
            Failure f = failure.failure;
            return respond(out, errorResponse(f.httpStatus(), reasonPhrase(f.httpStatus()), f.errorCode(),
                    f.messageFor(stream)), keepAlive);
        }
        if (enforceServiceLimits && shape != null) {
            Response refusal = checkLimits(shape);
            if (refusal != null) {
                // An empty request is refused too, but is no size problem: the job's permission
                // probe sends one on purpose.
                if (!shape.entries.isEmpty()) {
                    sizeRejections.incrementAndGet();
                }
                return respond(out, refusal, keepAlive);
            }
        }

        // One draw decides the whole request's fate, then one draw per entry (under one lock, so
        // a request's draws are never interleaved with another's).
        boolean local = answerPutRecordsLocally;
        EntryError entryError = this.entryError;
        double resetShare = connectionResetShare;
        double share500 = http500Share;
        double share503 = http503Share;
        double entryShare = entryFailureShareByStream.getOrDefault(stream, entryFailureShare);
        ObjectNode body = entryShare > 0 || local ? parsePutRecords(request) : null;
        if (local && body == null) {
            return respond(out, errorResponse(400, reasonPhrase(400), "SerializationException",
                    "KinesisFaultProxy answers PutRecords itself and reads JSON only (CBOR off, no Content-Encoding)"),
                    keepAlive);
        }
        ArrayNode entries = body == null ? null : (ArrayNode) body.get("Records");
        boolean[] failed = null;
        double draw;
        synchronized (randomLock) {
            draw = random.nextDouble();
            if (draw >= resetShare + share500 + share503 && entries != null && entries.size() > 0) {
                failed = new boolean[entries.size()];
                for (int i = 0; i < failed.length; i++) {
                    failed[i] = random.nextDouble() < entryShare;
                }
            }
        }
        if (draw < resetShare) {
            resets.incrementAndGet();
            client.setSoLinger(true, 0);
            client.close();
            return false;
        }
        if (draw < resetShare + share500) {
            http500s.incrementAndGet();
            return respond(out, errorResponse(500, "Internal Server Error", "InternalFailure",
                    "Internal service failure (injected by KinesisFaultProxy)"), keepAlive);
        }
        if (draw < resetShare + share500 + share503) {
            http503s.incrementAndGet();
            return respond(out, errorResponse(503, "Service Unavailable", "ServiceUnavailable",
                    "Service is unavailable (injected by KinesisFaultProxy)"), keepAlive);
        }
        if (local) {
            return respond(out, answerLocally(entries, failed, stream, entryError), keepAlive);
        }
        int failedCount = 0;
        if (failed != null) {
            for (boolean f : failed) {
                failedCount += f ? 1 : 0;
            }
        }
        if (failedCount == 0) {
            int count = countEntries(request, entries);
            return respond(out, forwardOrBadGateway(request, upstream, count), keepAlive);
        }
        if (failedCount == failed.length) {
            entriesFailed.addAndGet(failedCount);
            ObjectNode answer = mapper.createObjectNode();
            answer.put("FailedRecordCount", failedCount);
            ArrayNode records = answer.putArray("Records");
            for (int i = 0; i < failedCount; i++) {
                records.add(failedEntry(entryError, stream));
            }
            return respond(out, jsonResponse(200, "OK", answer), keepAlive);
        }

        ArrayNode kept = mapper.createArrayNode();
        for (int i = 0; i < failed.length; i++) {
            if (!failed[i]) {
                kept.add(entries.get(i));
            }
        }
        ObjectNode reduced = body.deepCopy();
        reduced.set("Records", kept);
        Request forwarded = request.withBody(mapper.writeValueAsBytes(reduced));
        forwarded.removeHeader("Accept-Encoding"); // the answer is edited: keep it uncompressed
        Response response = forwardOrBadGateway(forwarded, upstream, kept.size());
        if (response.status != 200) {
            return respond(out, response, keepAlive); // the whole request failed anyway
        }
        Response merged = mergeFailed(response, failed, entryError, stream);
        if (merged == null) {
            return respond(out, errorResponse(500, "Internal Server Error", "InternalFailure",
                    "KinesisFaultProxy could not edit the upstream's PutRecords answer"), keepAlive);
        }
        entriesFailed.addAndGet(failedCount);
        return respond(out, merged, keepAlive);
    }

    private ObjectNode parsePutRecords(Request request) {
        if (request.header("Content-Encoding") != null) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(request.body);
            if (node instanceof ObjectNode && node.get("Records") instanceof ArrayNode) {
                return (ObjectNode) node;
            }
        } catch (IOException e) {
            // not JSON (e.g. CBOR): forward untouched
        }
        return null;
    }

    private int countEntries(Request request, ArrayNode entries) {
        if (entries != null) {
            return entries.size();
        }
        ObjectNode body = parsePutRecords(request);
        return body == null ? 0 : body.get("Records").size();
    }

    private ObjectNode failedEntry(EntryError error, String stream) {
        ObjectNode entry = mapper.createObjectNode();
        entry.put("ErrorCode", error.code);
        entry.put("ErrorMessage", error.message.replace(STREAM_PLACEHOLDER, stream));
        return entry;
    }

    /** The upstream's answer with failed entries put back at the removed positions, or null. */
    private Response mergeFailed(Response upstreamResponse, boolean[] failed, EntryError error, String stream) {
        if (upstreamResponse.header("Content-Encoding") != null) {
            return null;
        }
        JsonNode node;
        try {
            node = mapper.readTree(upstreamResponse.body);
        } catch (IOException e) {
            return null;
        }
        if (!(node instanceof ObjectNode) || !(node.get("Records") instanceof ArrayNode)) {
            return null;
        }
        ObjectNode answer = (ObjectNode) node;
        ArrayNode written = (ArrayNode) answer.get("Records");
        int removed = 0;
        for (boolean f : failed) {
            removed += f ? 1 : 0;
        }
        if (written.size() != failed.length - removed) {
            return null;
        }
        ArrayNode records = mapper.createArrayNode();
        int next = 0;
        for (boolean f : failed) {
            records.add(f ? failedEntry(error, stream) : written.get(next++));
        }
        answer.put("FailedRecordCount", answer.path("FailedRecordCount").asInt(0) + removed);
        answer.set("Records", records);
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(answer);
        } catch (IOException e) {
            return null;
        }
        Response merged = upstreamResponse.withBody(body);
        if (merged.header("x-amz-crc32") != null) {
            CRC32 crc = new CRC32();
            crc.update(body);
            merged.setHeader("x-amz-crc32", Long.toString(crc.getValue()));
        }
        return merged;
    }

    // ---- service limits -------------------------------------------------------------------

    /** What the limits are about, read without building a tree: the bodies can be 7 MB of base64. */
    private static final class PutRecordsShape {
        String streamName = "unknown";
        final List<EntryShape> entries = new ArrayList<>();
        long totalBytes;
    }

    private static final class EntryShape {
        /** Decoded data bytes; -1 when Data is missing or not a string. */
        long dataBytes = -1;
        /** Null when PartitionKey is missing or not a string. */
        String key;
        long keyBytes;
    }

    /** The PutRecords body's sizes, or null when it is not a JSON object with a Records array. */
    private PutRecordsShape measure(Request request) {
        if (request.header("Content-Encoding") != null) {
            return null;
        }
        PutRecordsShape shape = new PutRecordsShape();
        boolean sawRecords = false;
        try (JsonParser parser = mapper.getFactory().createParser(request.body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("Records".equals(field) && value == JsonToken.START_ARRAY) {
                    sawRecords = true;
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        shape.entries.add(measureEntry(parser));
                    }
                    if (parser.currentToken() != JsonToken.END_ARRAY) {
                        return null;
                    }
                } else if ("StreamName".equals(field) && value == JsonToken.VALUE_STRING) {
                    shape.streamName = parser.getText();
                } else if ("StreamARN".equals(field) && value == JsonToken.VALUE_STRING
                        && "unknown".equals(shape.streamName)) {
                    String arn = parser.getText();
                    int at = arn.indexOf(":stream/");
                    shape.streamName = at >= 0 ? arn.substring(at + ":stream/".length()) : arn;
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            return null; // not JSON (e.g. CBOR): nothing to measure
        }
        if (!sawRecords) {
            return null;
        }
        for (EntryShape entry : shape.entries) {
            shape.totalBytes += Math.max(entry.dataBytes, 0) + entry.keyBytes;
        }
        return shape;
    }

    private static EntryShape measureEntry(JsonParser parser) throws IOException {
        EntryShape entry = new EntryShape();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("Data".equals(field) && value == JsonToken.VALUE_STRING) {
                entry.dataBytes = base64DecodedLength(parser.getTextCharacters(), parser.getTextOffset(),
                        parser.getTextLength());
            } else if ("PartitionKey".equals(field) && value == JsonToken.VALUE_STRING) {
                entry.key = parser.getText();
                entry.keyBytes = entry.key.getBytes(StandardCharsets.UTF_8).length;
            } else {
                parser.skipChildren();
            }
        }
        return entry;
    }

    /** Bytes that {@code length} base64 characters (padded or not, no line breaks) decode to. */
    private static long base64DecodedLength(char[] chars, int offset, int length) {
        int padding = 0;
        while (padding < 2 && length - padding > 0 && chars[offset + length - padding - 1] == '=') {
            padding++;
        }
        return (long) (length - padding) * 3 / 4;
    }

    /** The answer real Kinesis gives a request over its limits, or null if it is within them. */
    private Response checkLimits(PutRecordsShape shape) {
        // Model constraints first (ValidationException lists every violation), as AWS checks them
        // before the service's own size rules (InvalidArgumentException).
        List<String> violations = new ArrayList<>();
        int count = shape.entries.size();
        if (count < 1) {
            violations.add("Value '[]' at 'records' failed to satisfy constraint:"
                    + " Member must have length greater than or equal to 1");
        }
        if (count > MAX_ENTRIES_PER_REQUEST) {
            violations.add("Value at 'records' failed to satisfy constraint:"
                    + " Member must have length less than or equal to " + MAX_ENTRIES_PER_REQUEST);
        }
        for (int i = 0; i < count; i++) {
            EntryShape entry = shape.entries.get(i);
            String at = "records." + (i + 1) + ".member."; // AWS numbers members from 1
            if (entry.dataBytes < 0) {
                violations.add("Value null at '" + at + "data' failed to satisfy constraint: Member must not be null");
            } else if (entry.dataBytes > MAX_RECORD_BYTES) {
                violations.add("Value 'java.nio.HeapByteBuffer[pos=0 lim=" + entry.dataBytes + " cap=" + entry.dataBytes
                        + "]' at '" + at + "data' failed to satisfy constraint:"
                        + " Member must have length less than or equal to " + MAX_RECORD_BYTES);
            }
            if (entry.key == null) {
                violations.add("Value null at '" + at + "partitionKey' failed to satisfy constraint:"
                        + " Member must not be null");
            } else if (entry.key.isEmpty()) {
                violations.add("Value '' at '" + at + "partitionKey' failed to satisfy constraint:"
                        + " Member must have length greater than or equal to 1");
            } else if (entry.key.codePointCount(0, entry.key.length()) > MAX_PARTITION_KEY_CODE_POINTS) {
                violations.add("Value '" + entry.key + "' at '" + at + "partitionKey' failed to satisfy constraint:"
                        + " Member must have length less than or equal to " + MAX_PARTITION_KEY_CODE_POINTS);
            }
        }
        if (!violations.isEmpty()) {
            StringBuilder message = new StringBuilder();
            message.append(violations.size())
                    .append(violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
            int listed = Math.min(violations.size(), MAX_LISTED_VALIDATION_ERRORS);
            message.append(String.join("; ", violations.subList(0, listed)));
            return errorResponse(400, reasonPhrase(400), VALIDATION_ERROR_CODE, message.toString());
        }
        for (EntryShape entry : shape.entries) {
            if (entry.dataBytes + entry.keyBytes > MAX_RECORD_BYTES) {
                return errorResponse(400, reasonPhrase(400), INVALID_ARGUMENT_ERROR_CODE, RECORD_TOO_LARGE_MESSAGE);
            }
        }
        if (shape.totalBytes > MAX_REQUEST_BYTES) {
            return errorResponse(400, reasonPhrase(400), INVALID_ARGUMENT_ERROR_CODE, REQUEST_TOO_LARGE_MESSAGE);
        }
        return null;
    }

    // ---- answering PutRecords without the upstream ----------------------------------------

    private Response answerLocally(ArrayNode entries, boolean[] failed, String stream, EntryError error) {
        // Decode everything before recording anything: a body the SDK would never send is refused whole.
        byte[][] data = new byte[entries.size()][];
        for (int i = 0; i < data.length; i++) {
            if (failed != null && failed[i]) {
                continue;
            }
            JsonNode node = entries.get(i).get("Data");
            try {
                data[i] = node == null || node.isNull() ? new byte[0] : Base64.getDecoder().decode(node.textValue());
            } catch (IllegalArgumentException | NullPointerException e) {
                return errorResponse(400, reasonPhrase(400), "SerializationException",
                        "Data of records." + (i + 1) + " is not base64 (KinesisFaultProxy)");
            }
        }
        ObjectNode answer = mapper.createObjectNode();
        ArrayNode records = mapper.createArrayNode();
        int failedCount = 0;
        ShardLimits limits = shardLimitsByStream.get(stream);
        synchronized (acceptedLock) { // sequence numbers rise in the order entries are recorded
            for (int i = 0; i < data.length; i++) {
                if (data[i] == null) {
                    records.add(failedEntry(error, stream));
                    failedCount++;
                    continue;
                }
                JsonNode key = entries.get(i).get("PartitionKey");
                String partitionKey = key == null ? null : key.textValue();
                String shardId = LOCAL_SHARD_ID;
                if (limits != null) {
                    JsonNode hashKey = entries.get(i).get("ExplicitHashKey");
                    int shard = limits.shardOf(partitionKey, hashKey == null || hashKey.isNull() ? null : hashKey.textValue());
                    shardId = limits.shardId(shard);
                    if (!limits.tryTake(shard, data[i].length + partitionKey.getBytes(StandardCharsets.UTF_8).length)) {
                        records.add(throttledEntry(shardId, stream));
                        failedCount++;
                        continue;
                    }
                }
                String sequenceNumber = String.format(Locale.ROOT, "49%054d", localSequence.incrementAndGet());
                acceptedCount++;
                if (keepAcceptedEntries) {
                    accepted.add(new AcceptedEntry(stream, partitionKey, data[i], sequenceNumber, shardId, System.nanoTime()));
                }
                ObjectNode record = records.addObject();
                record.put("SequenceNumber", sequenceNumber);
                record.put("ShardId", shardId);
            }
        }
        entriesFailed.addAndGet(failedCount);
        answer.put("FailedRecordCount", failedCount);
        answer.set("Records", records);
        return jsonResponse(200, "OK", answer);
    }

    /** What Kinesis answers for an entry over its shard's limits. */
    private ObjectNode throttledEntry(String shardId, String stream) {
        ObjectNode entry = mapper.createObjectNode();
        entry.put("ErrorCode", THROTTLING_ERROR_CODE);
        entry.put("ErrorMessage", "Rate exceeded for shard " + shardId + " in stream " + stream + " under account "
                + ACCOUNT_ID + ".");
        return entry;
    }

    private static String reasonPhrase(int status) {
        switch (status) {
            case 400:
                return "Bad Request";
            case 403:
                return "Forbidden";
            case 404:
                return "Not Found";
            case 413:
                return "Payload Too Large";
            case 429:
                return "Too Many Requests";
            case 500:
                return "Internal Server Error";
            case 502:
                return "Bad Gateway";
            case 503:
                return "Service Unavailable";
            case 504:
                return "Gateway Timeout";
            default:
                return "Error";
        }
    }

    private Response errorResponse(int status, String reason, String type, String message) {
        ObjectNode error = mapper.createObjectNode();
        error.put("__type", type);
        error.put("message", message);
        return jsonResponse(status, reason, error);
    }

    private Response jsonResponse(int status, String reason, ObjectNode json) {
        Response response = new Response();
        response.status = status;
        response.reason = reason;
        response.headers.add(new String[] {"x-amzn-RequestId", UUID.randomUUID().toString()});
        response.headers.add(new String[] {"Content-Type", JSON_CONTENT_TYPE});
        try {
            response.body = mapper.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return response;
    }

    // ---- forwarding -----------------------------------------------------------------------

    /** Forwards, counting {@code entries} PutRecords entries if >= 0; a 502 if the upstream fails. */
    private Response forwardOrBadGateway(Request request, Upstream upstream, int entries) throws IOException {
        Response response;
        try {
            response = forward(request, upstream);
        } catch (IOException e) {
            if (closed) {
                throw e;
            }
            Response error = errorResponse(502, "Bad Gateway", "InternalFailure",
                    "KinesisFaultProxy could not reach the upstream " + upstreamEndpoint + ": " + e);
            error.close = true;
            return error;
        }
        if (entries > 0) {
            entriesForwarded.addAndGet(entries);
        }
        return response;
    }

    private Response forward(Request request, Upstream upstream) throws IOException {
        byte[] head = request.head();
        for (int attempt = 0; ; attempt++) {
            if (upstream.socket != null && System.nanoTime() - upstream.lastUsed > UPSTREAM_MAX_IDLE_NANOS) {
                upstream.close();
            }
            boolean reused = upstream.socket != null;
            upstream.open();
            boolean sent = false;
            try {
                upstream.out.write(head);
                upstream.out.write(request.body);
                upstream.out.flush();
                sent = true;
                Response response = readResponse(upstream.in, request.method);
                requestsForwarded.incrementAndGet();
                if (response.close) {
                    upstream.close();
                } else {
                    upstream.lastUsed = System.nanoTime();
                }
                response.close = false; // that was about the upstream connection, not the client's
                return response;
            } catch (NoResponseException | SocketException e) {
                // A kept-alive connection the upstream had already dropped: once more on a new one.
                upstream.close();
                boolean stale = e instanceof NoResponseException || !sent;
                if (!(reused && attempt == 0 && stale)) {
                    throw e;
                }
            } catch (IOException e) {
                upstream.close();
                throw e;
            }
        }
    }

    private final class Upstream {
        Socket socket;
        InputStream in;
        OutputStream out;
        long lastUsed;

        void open() throws IOException {
            if (socket != null) {
                return;
            }
            Socket s = new Socket();
            openSockets.add(s);
            try {
                s.setTcpNoDelay(true);
                s.setKeepAlive(true);
                s.connect(new InetSocketAddress(upstreamHost, upstreamPort), UPSTREAM_CONNECT_TIMEOUT_MS);
                s.setSoTimeout(UPSTREAM_READ_TIMEOUT_MS);
                in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
                out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            } catch (IOException e) {
                closeQuietly(s);
                openSockets.remove(s);
                throw e;
            }
            socket = s;
            if (closed) {
                close();
                throw new SocketException("proxy closed");
            }
        }

        void close() {
            if (socket != null) {
                closeQuietly(socket);
                openSockets.remove(socket);
            }
            socket = null;
            in = null;
            out = null;
        }
    }

    /** The upstream closed the connection before sending a single byte of an answer. */
    private static final class NoResponseException extends IOException {
        private static final long serialVersionUID = 1L;

        NoResponseException() {
            super("upstream closed the connection without answering");
        }
    }

    // ---- HTTP/1.1 messages ----------------------------------------------------------------

    private static final class Request {
        String method;
        String target;
        String version;
        List<String[]> headers = new ArrayList<>();
        byte[] body = new byte[0];
        boolean hadBody;

        String header(String name) {
            return KinesisFaultProxy.header(headers, name);
        }

        void removeHeader(String name) {
            headers.removeIf(h -> h[0].equalsIgnoreCase(name));
        }

        boolean keepAlive() {
            Set<String> tokens = connectionTokens(headers);
            if ("HTTP/1.0".equalsIgnoreCase(version)) {
                return tokens.contains("keep-alive");
            }
            return !tokens.contains("close");
        }

        Request withBody(byte[] newBody) {
            Request copy = new Request();
            copy.method = method;
            copy.target = target;
            copy.version = version;
            copy.headers = new ArrayList<>();
            for (String[] h : headers) {
                copy.headers.add(h.clone());
            }
            copy.body = newBody;
            copy.hadBody = true;
            return copy;
        }

        /** Request line and headers as sent upstream: end-to-end headers kept, body re-framed. */
        byte[] head() {
            StringBuilder sb = new StringBuilder();
            sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            Set<String> drop = connectionTokens(headers);
            for (String[] h : headers) {
                String name = h[0].toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(name) || drop.contains(name) || name.equals("expect")) {
                    continue;
                }
                sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (hadBody || body.length > 0) {
                sb.append("Content-Length: ").append(body.length).append("\r\n");
            }
            sb.append("\r\n");
            return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private static final class Response {
        int status;
        String reason;
        List<String[]> headers = new ArrayList<>();
        byte[] body = new byte[0];
        /** Upstream side: the connection ends after this answer. Client side: close after sending. */
        boolean close;
        /** No body by definition (HEAD, 204, 304): Content-Length is the upstream's, not ours. */
        boolean bodiless;

        String header(String name) {
            return KinesisFaultProxy.header(headers, name);
        }

        void setHeader(String name, String value) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    h[1] = value;
                    return;
                }
            }
            headers.add(new String[] {name, value});
        }

        Response withBody(byte[] newBody) {
            Response copy = new Response();
            copy.status = status;
            copy.reason = reason;
            for (String[] h : headers) {
                copy.headers.add(h.clone());
            }
            copy.body = newBody;
            copy.close = close;
            copy.bodiless = bodiless;
            return copy;
        }
    }

    private static String header(List<String[]> headers, String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    private static Set<String> connectionTokens(List<String[]> headers) {
        Set<String> tokens = new HashSet<>();
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("Connection") || h[0].equalsIgnoreCase("Proxy-Connection")) {
                for (String token : h[1].split(",")) {
                    tokens.add(token.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        return tokens;
    }

    /** The next request on a client connection, or null if the client closed it between requests. */
    private static Request readRequest(InputStream in, OutputStream out) throws IOException {
        String line = readLine(in);
        while (line != null && line.isEmpty()) {
            line = readLine(in); // stray CRLF between requests
        }
        if (line == null) {
            return null;
        }
        String[] parts = line.split(" ", 3);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x request line: " + line);
        }
        Request request = new Request();
        request.method = parts[0];
        request.target = parts[1];
        request.version = parts[2];
        request.headers = readHeaders(in);

        String transferEncoding = request.header("Transfer-Encoding");
        String contentLength = request.header("Content-Length");
        boolean chunked = transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked");
        long length = contentLength == null ? 0 : Long.parseLong(contentLength.trim());
        String expect = request.header("Expect");
        if (expect != null && expect.trim().equalsIgnoreCase("100-continue")
                && !request.version.equals("HTTP/1.0") && (chunked || length > 0)) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        if (chunked) {
            request.body = readChunked(in);
            request.hadBody = true;
        } else if (contentLength != null) {
            request.body = readFixed(in, length);
            request.hadBody = true;
        }
        return request;
    }

    private static Response readResponse(InputStream in, String method) throws IOException {
        while (true) {
            String line;
            try {
                line = readLine(in);
            } catch (SocketException e) {
                throw new NoResponseException();
            }
            if (line == null) {
                throw new NoResponseException();
            }
            String[] parts = line.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + line);
            }
            Response response = new Response();
            response.status = Integer.parseInt(parts[1].trim());
            response.reason = parts.length > 2 ? parts[2] : "";
            response.headers = readHeaders(in);
            if (response.status >= 100 && response.status < 200 && response.status != 101) {
                continue; // interim answer (e.g. 100 Continue): the real one follows
            }
            Set<String> tokens = connectionTokens(response.headers);
            response.close = tokens.contains("close")
                    || (parts[0].equals("HTTP/1.0") && !tokens.contains("keep-alive"));
            String transferEncoding = response.header("Transfer-Encoding");
            String contentLength = response.header("Content-Length");
            if (method.equalsIgnoreCase("HEAD") || response.status == 204 || response.status == 304) {
                response.bodiless = true;
            } else if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
                response.body = readChunked(in);
            } else if (contentLength != null) {
                response.body = readFixed(in, Long.parseLong(contentLength.trim()));
            } else {
                response.body = in.readAllBytes(); // delimited by the end of the connection
                response.close = true;
            }
            return response;
        }
    }

    /** Sends {@code response}; false when the connection must be closed afterwards. */
    private static boolean respond(OutputStream out, Response response, boolean keepAlive) throws IOException {
        boolean close = !keepAlive || response.close;
        StringBuilder sb = new StringBuilder();
        sb.append("HTTP/1.1 ").append(response.status).append(' ').append(response.reason).append("\r\n");
        Set<String> drop = connectionTokens(response.headers);
        for (String[] h : response.headers) {
            String name = h[0].toLowerCase(Locale.ROOT);
            if (response.bodiless && name.equals("content-length")) {
                sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
                continue;
            }
            if (HOP_BY_HOP.contains(name) || drop.contains(name)) {
                continue;
            }
            sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (!response.bodiless) {
            sb.append("Content-Length: ").append(response.body.length).append("\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!response.bodiless) {
            out.write(response.body);
        }
        out.flush();
        return !close;
    }

    private static List<String[]> readHeaders(InputStream in) throws IOException {
        List<String[]> headers = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed within the headers");
            }
            if (line.isEmpty()) {
                return headers;
            }
            if ((line.startsWith(" ") || line.startsWith("\t")) && !headers.isEmpty()) {
                String[] last = headers.get(headers.size() - 1); // obsolete line folding
                last[1] = last[1] + " " + line.trim();
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: " + line);
            }
            if (headers.size() >= MAX_HEADERS) {
                throw new IOException("too many headers");
            }
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
    }

    private static byte[] readFixed(InputStream in, long length) throws IOException {
        if (length < 0 || length > Integer.MAX_VALUE - 16) {
            throw new IOException("unsupported Content-Length " + length);
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new EOFException("connection closed after " + body.length + " of " + length + " body bytes");
        }
        return body;
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed within a chunked body");
            }
            int semicolon = line.indexOf(';');
            String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).trim();
            if (hex.isEmpty()) {
                continue; // tolerate a stray empty line
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                break;
            }
            body.write(readFixed(in, size));
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
        while (true) { // trailers, dropped
            String trailer = readLine(in);
            if (trailer == null || trailer.isEmpty()) {
                return body.toByteArray();
            }
        }
    }

    /** One line without its CRLF (or LF), or null at the end of the stream before any byte. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b == -1) {
                if (line.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed within a line");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE_BYTES) {
                throw new IOException("line longer than " + MAX_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing to do
        }
    }
}
