package org.airbytekinesis.flink.source;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * A TCP server to read lines from: {@code tcp://HOST:PORT}. HOST is a name, an IPv4 address or
 * an IPv6 address in brackets ({@code tcp://[::1]:9000}); PORT is 1 to 65535.
 */
public final class SocketEndpoint implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String SCHEME = "tcp";
    private static final String PREFIX = SCHEME + "://";
    private static final String EXPECTED = "expected tcp://HOST:PORT";

    private final String host;
    private final int port;

    private SocketEndpoint(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /**
     * @param host a name or an IP address (IPv6 with or without brackets)
     * @throws IllegalArgumentException for an empty host or a port outside 1 to 65535
     */
    public static SocketEndpoint of(String host, int port) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("socket input: missing host; " + EXPECTED);
        }
        String bare = host.strip();
        if (bare.startsWith("[") && bare.endsWith("]")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("socket input " + PREFIX + bracketed(bare) + ":" + port
                    + ": bad port " + port + ", must be a number from 1 to 65535");
        }
        return new SocketEndpoint(bare, port);
    }

    /**
     * Parses {@code tcp://HOST:PORT} (the scheme in any case).
     *
     * @throws IllegalArgumentException saying what is wrong: not tcp, missing host, missing or bad
     *     port, a path or user part
     */
    public static SocketEndpoint parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("socket input: empty address; " + EXPECTED);
        }
        String text = uri.strip();
        String what = "socket input '" + text + "': ";
        int schemeEnd = text.indexOf("://");
        if (schemeEnd < 0) {
            throw new IllegalArgumentException(what + "not a tcp:// address; " + EXPECTED);
        }
        String scheme = text.substring(0, schemeEnd);
        if (!SCHEME.equals(scheme.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(what + "scheme must be tcp, not " + scheme + "; " + EXPECTED);
        }
        String authority = text.substring(schemeEnd + 3);
        for (char forbidden : new char[] {'/', '?', '#', '@'}) {
            int at = authority.indexOf(forbidden);
            if (at >= 0 && !(forbidden == '/' && at == authority.length() - 1)) {
                throw new IllegalArgumentException(what + "only HOST:PORT may follow tcp:// (found '" + forbidden
                        + "'); " + EXPECTED);
            }
        }
        if (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1);
        }
        String host;
        String portText;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(what + "unclosed '[' in the host; " + EXPECTED);
            }
            host = authority.substring(1, close);
            String rest = authority.substring(close + 1);
            if (rest.isEmpty() || rest.equals(":")) {
                throw new IllegalArgumentException(what + "missing port; " + EXPECTED);
            }
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException(what + "expected ':PORT' after ']'; " + EXPECTED);
            }
            portText = rest.substring(1);
        } else {
            int colon = authority.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(what + "missing port; " + EXPECTED);
            }
            if (authority.indexOf(':') != colon) {
                throw new IllegalArgumentException(what + "an IPv6 host goes in brackets, as in tcp://[::1]:PORT");
            }
            host = authority.substring(0, colon);
            portText = authority.substring(colon + 1);
            if (portText.isEmpty()) {
                throw new IllegalArgumentException(what + "missing port; " + EXPECTED);
            }
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException(what + "missing host; " + EXPECTED);
        }
        int port;
        try {
            port = portText.chars().allMatch(c -> c >= '0' && c <= '9') && portText.length() <= 5
                    ? Integer.parseInt(portText)
                    : -1;
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + "bad port '" + portText + "', must be a number from 1 to 65535");
        }
        return new SocketEndpoint(host, port);
    }

    /** Whether the text looks meant for {@link #parse}: it starts with {@code tcp://} in any case. */
    public static boolean isSocketUri(String text) {
        return text != null && text.strip().toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** {@code tcp://HOST:PORT}, an IPv6 host in brackets. */
    public String uri() {
        return PREFIX + bracketed(host) + ":" + port;
    }

    private static String bracketed(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SocketEndpoint
                && ((SocketEndpoint) other).host.equals(host)
                && ((SocketEndpoint) other).port == port;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port);
    }

    @Override
    public String toString() {
        return uri();
    }
}
