package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that connects to the server, splits what it sends into lines and hands them to the
 * {@link SocketLineReader}. It blocks on the socket and on a full queue, never the task thread.
 * It connects again, with exponential backoff, when a connection cannot be made and, in
 * unbounded mode, when the server closes the stream cleanly: neither loses a line. It ends when
 * the server closes the stream in bounded mode, when an established connection breaks (handing
 * over a {@link SocketLineReader.Break}: what the server sent after it may be lost, so nothing
 * may be read after it), when the first connection in bounded mode cannot be made in time
 * (handing over a {@link SocketLineReader.Failure}), or when it is closed.
 */
final class SocketLineFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(SocketLineFetcher.class);
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    private static final long JOIN_MILLIS = 5_000;

    private final SocketLineSource settings;
    private final SocketEndpoint endpoint;
    private final String uri;
    private final SocketLineReader.Handover handover;
    private final Thread thread;
    private final Object socketLock = new Object();

    private volatile boolean closed;
    private volatile long connections;
    private Socket socket; // guarded by socketLock
    private long reconnects;

    SocketLineFetcher(SocketLineSource settings, long connectionsBefore, SocketLineReader.Handover handover) {
        this.settings = settings;
        this.endpoint = settings.endpoint();
        this.uri = endpoint.uri();
        this.handover = handover;
        this.connections = connectionsBefore;
        this.thread = new Thread(this::run, "socket-line-reader " + uri);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Connections made so far in the run, including those before a restore. */
    long connections() {
        return connections;
    }

    private void run() {
        try {
            readWithReconnects();
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable t) {
            if (!closed) {
                LOG.error("{}: the reading thread failed", uri, t);
                try {
                    handover.put(new SocketLineReader.Failure(t));
                } catch (InterruptedException closing) {
                    // closed
                }
            }
        }
    }

    private void readWithReconnects() throws InterruptedException {
        long initialBackoff = settings.initialBackoff().toMillis();
        long maxBackoff = settings.maxBackoff().toMillis();
        long backoff = initialBackoff;
        // Bounded mode: until the first connection is made, there is a deadline.
        long deadline = settings.isBounded()
                ? System.nanoTime() + settings.firstConnectTimeout().toNanos()
                : Long.MAX_VALUE;
        boolean connectedOnce = false;
        int failedAttempts = 0;
        while (!closed) {
            Socket connected;
            try {
                connected = connect(connectedOnce ? Long.MAX_VALUE : deadline);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                failedAttempts++;
                long remainingMillis = connectedOnce || deadline == Long.MAX_VALUE
                        ? Long.MAX_VALUE
                        : (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMillis <= 0) {
                    handover.put(new SocketLineReader.Failure(new IOException("socket input " + uri
                            + ": could not connect to " + endpoint.host() + ":" + endpoint.port() + " within "
                            + describe(settings.firstConnectTimeout().toMillis()) + " (" + failedAttempts
                            + (failedAttempts == 1 ? " attempt" : " attempts") + ", last error: " + e + ")", e)));
                    return;
                }
                long pause = Math.min(backoff, remainingMillis);
                reconnects++;
                LOG.warn("{}: cannot connect ({}); reconnect #{} in {} ms", uri, e.toString(), reconnects, pause);
                Thread.sleep(pause);
                backoff = Math.min(backoff * 2, maxBackoff);
                continue;
            }
            connectedOnce = true;
            failedAttempts = 0;
            long connection = connections + 1;
            connections = connection;
            LOG.info("{}: connected (connection {})", uri, connection);
            boolean gotLines = false;
            try {
                LineSplitter lines = new LineSplitter(connected.getInputStream(), READ_BUFFER_BYTES);
                byte[] line;
                while ((line = lines.nextLine()) != null) {
                    gotLines = true;
                    handover.put(new SocketLineReader.Line(connection, line));
                }
                if (settings.isBounded()) {
                    handover.put(SocketLineReader.END_OF_STREAM);
                    return;
                }
            } catch (IOException e) {
                if (!closed) {
                    // Reading on after a reconnect would let a later STATE cover the lost lines.
                    LOG.warn("{}: connection {} broke ({}); no reconnect, the run fails once the lines read before"
                            + " are emitted", uri, connection, e.toString());
                    handover.put(new SocketLineReader.Break(connection, e));
                }
                return;
            } finally {
                closeSocket(connected);
            }
            if (gotLines) {
                backoff = initialBackoff;
            }
            reconnects++;
            LOG.warn("{}: the server closed connection {}; reconnect #{} in {} ms", uri, connection, reconnects, backoff);
            Thread.sleep(backoff);
            backoff = Math.min(backoff * 2, maxBackoff);
        }
    }

    /** One connection attempt, cut short at the deadline (a {@link System#nanoTime} value). */
    private Socket connect(long deadline) throws IOException {
        Socket attempt = new Socket();
        synchronized (socketLock) {
            if (closed) {
                attempt.close();
                throw new IOException("closed");
            }
            socket = attempt;
        }
        long timeout = settings.connectAttemptTimeout().toMillis();
        if (deadline != Long.MAX_VALUE) {
            timeout = Math.min(timeout, Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        try {
            attempt.setKeepAlive(true);
            // Resolved for every attempt, so a changed DNS entry is picked up.
            attempt.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), (int) Math.min(Integer.MAX_VALUE, timeout));
            return attempt;
        } catch (IOException | RuntimeException e) {
            closeSocket(attempt);
            throw e;
        }
    }

    private void closeSocket(Socket toClose) {
        synchronized (socketLock) {
            if (socket == toClose) {
                socket = null;
            }
        }
        try {
            toClose.close();
        } catch (IOException e) {
            LOG.debug("{}: closing the socket failed", uri, e);
        }
    }

    private static String describe(long millis) {
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }

    /** Stops the thread: closes the socket it may block on and interrupts its waits. */
    void close() throws InterruptedException {
        closed = true;
        Socket current;
        synchronized (socketLock) {
            current = socket;
        }
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                LOG.debug("{}: closing the socket failed", uri, e);
            }
        }
        thread.interrupt();
        thread.join(JOIN_MILLIS);
        if (thread.isAlive()) {
            LOG.warn("{}: the reading thread did not stop within {} ms", uri, JOIN_MILLIS);
        }
    }
}
