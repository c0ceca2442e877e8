package org.airbytekinesis.flink.testing;

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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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
 * the emulators never throttle or fail partially.
 *
 * <p>Only {@code Kinesis_20131202.PutRecords} requests (by their {@code X-Amz-Target} header) are
 * faulted; every other request is forwarded untouched. For each PutRecords request one draw of a
 * seeded {@link Random} picks, by cumulative shares, a connection reset, an HTTP 500 or an HTTP 503
 * (none of them forwarded); otherwise every entry is drawn against the entry failure share, and
 * the chosen entries are removed from the request before it is forwarded (so they are really not
 * written) and put back into the response as {@code ProvisionedThroughputExceededException}
 * entries, with {@code FailedRecordCount} raised to match. Settings may change at any time from
 * any thread; they apply to requests that arrive afterwards.
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

    private static final String JSON_CONTENT_TYPE = "application/x-amz-json-1.1";
    private static final int MAX_LINE_BYTES = 64 * 1024;
    private static final int MAX_HEADERS = 200;
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
    private volatile double http500Share;
    private volatile double http503Share;
    private volatile double connectionResetShare;
    private volatile long latencyMillis;
    private volatile boolean latencyOnAllRequests;
    private final Object randomLock = new Object();
    private Random random = new Random(DEFAULT_SEED); // guarded by randomLock

    private final AtomicLong requestsForwarded = new AtomicLong();
    private final AtomicLong putRecordsRequests = new AtomicLong();
    private final AtomicLong entriesForwarded = new AtomicLong();
    private final AtomicLong entriesFailed = new AtomicLong();
    private final AtomicLong http500s = new AtomicLong();
    private final AtomicLong http503s = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();

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

    /** Share (0..1) of PutRecords entries removed before forwarding and reported as throttled. */
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

    /** All shares and the latency back to 0 (counters and seed unchanged). */
    public KinesisFaultProxy clearFaults() {
        entryFailureShare = 0;
        http500Share = 0;
        http503Share = 0;
        connectionResetShare = 0;
        latencyMillis = 0;
        latencyOnAllRequests = false;
        return this;
    }

    public KinesisFaultProxy resetCounters() {
        for (AtomicLong counter : List.of(requestsForwarded, putRecordsRequests, entriesForwarded, entriesFailed,
                http500s, http503s, resets)) {
            counter.set(0);
        }
        return this;
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

    /** PutRecords entries removed and reported as ProvisionedThroughputExceededException. */
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

    @Override
    public String toString() {
        return "KinesisFaultProxy{" + endpoint() + " -> " + upstreamEndpoint
                + ", forwarded=" + requestsForwarded() + ", putRecords=" + putRecordsRequests()
                + ", entriesForwarded=" + entriesForwarded() + ", entriesFailed=" + entriesFailed()
                + ", 500s=" + http500s() + ", 503s=" + http503s() + ", resets=" + resets() + "}";
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

        // One draw decides the whole request's fate, then one draw per entry (under one lock, so
        // a request's draws are never interleaved with another's).
        double resetShare = connectionResetShare;
        double share500 = http500Share;
        double share503 = http503Share;
        double entryShare = entryFailureShare;
        ObjectNode body = entryShare > 0 ? parsePutRecords(request) : null;
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
        String stream = body.hasNonNull("StreamName") ? body.get("StreamName").asText()
                : body.path("StreamARN").asText("unknown");
        if (failedCount == failed.length) {
            entriesFailed.addAndGet(failedCount);
            ObjectNode answer = mapper.createObjectNode();
            answer.put("FailedRecordCount", failedCount);
            ArrayNode records = answer.putArray("Records");
            for (int i = 0; i < failedCount; i++) {
                records.add(throttled(stream));
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
        Response merged = mergeThrottled(response, failed, stream);
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

    private ObjectNode throttled(String stream) {
        ObjectNode entry = mapper.createObjectNode();
        entry.put("ErrorCode", THROTTLING_ERROR_CODE);
        entry.put("ErrorMessage", "Rate exceeded for shard in stream " + stream
                + " under account 000000000000 (injected by KinesisFaultProxy).");
        return entry;
    }

    /** The upstream's answer with throttled entries put back at the removed positions, or null. */
    private Response mergeThrottled(Response upstreamResponse, boolean[] failed, String stream) {
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
            records.add(f ? throttled(stream) : written.get(next++));
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
