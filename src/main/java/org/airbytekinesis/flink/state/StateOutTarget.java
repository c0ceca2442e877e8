package org.airbytekinesis.flink.state;

import java.nio.file.Files;
import java.nio.file.Path;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.Locations;

/**
 * Where released STATEs are written besides standard output ({@code --state-out}):
 *
 * <ul>
 *   <li>a local <b>file</b> (a path that is not a directory): each STATE is appended as a line
 *       and synced to disk;
 *   <li>a <b>directory</b>: a local path ending in {@code /} or naming an existing directory, or
 *       the URI of any Flink file system ({@code s3://bucket/prefix/}, {@code hdfs://...}). No
 *       file system can append to an object, so each release writes a new file,
 *       {@code run-<RUN>/checkpoint-<N>.jsonl}, which appears only once it is complete and durable.
 * </ul>
 *
 * The resolved form is a string: an absolute local path for a file, a URI ending in {@code /}
 * for a directory.
 */
public final class StateOutTarget {
    private StateOutTarget() {}

    /** @param option the option's name as the user gave it, for messages */
    public static String resolve(String given, String option) {
        Path local = Locations.localPath(given);
        if (local == null) {
            return given.endsWith("/") ? given : given + "/";
        }
        if (given.endsWith("/") || Files.isDirectory(local)) {
            String uri = Locations.resolve(given);
            return uri.endsWith("/") ? uri : uri + "/";
        }
        Path file = local.toAbsolutePath().normalize();
        if (file.getParent() == null || !Files.isDirectory(file.getParent())) {
            throw new SetupException(option + " " + given + ": its directory does not exist");
        }
        return file.toString();
    }

    /** Whether a resolved target is a directory of files, one per release. */
    public static boolean isDirectory(String resolved) {
        return resolved.endsWith("/");
    }
}
