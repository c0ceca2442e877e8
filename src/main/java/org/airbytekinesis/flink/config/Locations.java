package org.airbytekinesis.flink.config;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Paths and URIs as users give them for inputs and outputs: a local path is made an absolute
 * {@code file:} URI (so a cluster or a restore reads the same file, whatever the working
 * directory), a URI of another file system ({@code s3://}, {@code hdfs://}) is kept as it is, for
 * Flink's file systems. The command line and the property groups of Amazon Managed Service for
 * Apache Flink resolve through here alike.
 */
public final class Locations {
    private static final Pattern URI_WITH_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");

    private Locations() {}

    /** Whether this names a local file (a plain path or a {@code file://} URI). */
    public static boolean isLocal(String pathOrUri) {
        return pathOrUri.startsWith("file:") || !URI_WITH_SCHEME.matcher(pathOrUri).matches();
    }

    /** The local path of a plain path or {@code file://} URI; null for other file systems. */
    public static Path localPath(String pathOrUri) {
        if (pathOrUri.startsWith("file://")) {
            return Path.of(pathOrUri.substring("file://".length()));
        }
        if (pathOrUri.startsWith("file:")) {
            return Path.of(pathOrUri.substring("file:".length()));
        }
        return URI_WITH_SCHEME.matcher(pathOrUri).matches() ? null : Path.of(pathOrUri);
    }

    /** An absolute {@code file:} URI for a local path, the URI as given for other file systems. */
    public static String resolve(String pathOrUri) {
        Path local = localPath(pathOrUri);
        return local == null ? pathOrUri : local.toAbsolutePath().normalize().toUri().toString();
    }
}
