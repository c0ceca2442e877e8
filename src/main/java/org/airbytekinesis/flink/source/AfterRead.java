package org.airbytekinesis.flink.source;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.config.Locations;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an input file once it is done ({@code --after-read}): {@code leave} it (the
 * default), {@code delete} it, or {@code move:DIR} it into an archive directory. It is done by
 * the STATE releaser, so only after the checkpoint covering the file's last line has completed:
 * every record of the file is in Kinesis and every dead letter stored by then, and a restore can
 * never need the file again (the reader's checkpointed position says it was read to its end).
 *
 * <p>A moved file keeps its path relative to the input it was found under; a name already taken
 * in the archive gets {@code .1}, {@code .2}, ... appended, so a redelivered file never replaces
 * an earlier one. A file that cannot be deleted or moved stays where it is, with an error in the
 * log: the watched-directory reader remembers it and does not read it again.
 */
public final class AfterRead implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AfterRead.class);

    /** The forms the option takes, for messages. */
    public static final String FORMS = "leave, delete or move:DIR";

    private enum Action { LEAVE, DELETE, MOVE }

    private final Action action;
    /** The archive directory (a URI) for {@code move}. */
    private final String archive;
    /** The inputs (URIs), to keep a moved file's path relative to its input. */
    private final List<String> inputs;

    private AfterRead(Action action, String archive, List<String> inputs) {
        this.action = action;
        this.archive = archive;
        this.inputs = inputs;
    }

    public static AfterRead leave() {
        return new AfterRead(Action.LEAVE, null, List.of());
    }

    /**
     * @param text {@code leave}, {@code delete} or {@code move:DIR}
     * @param option the option's name as the user gave it, for messages
     * @param inputs the inputs as URIs (see {@link Locations#resolve}); empty for standard input
     */
    public static AfterRead parse(String text, String option, List<String> inputs) {
        String value = text.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.equals("leave")) {
            return leave();
        }
        if (inputs.isEmpty() || inputs.stream().anyMatch(SocketEndpoint::isSocketUri)) {
            throw new SetupException(option + " " + value + " is for file inputs (--input PATH), not for standard input or a socket");
        }
        if (lower.equals("delete")) {
            return new AfterRead(Action.DELETE, null, List.copyOf(inputs));
        }
        if (!lower.startsWith("move:") || value.length() == "move:".length()) {
            throw new SetupException(option + " must be " + FORMS + ", got \"" + value + "\"");
        }
        String archive = Locations.resolve(value.substring("move:".length()));
        URI archiveUri = new Path(archive).toUri();
        for (String input : inputs) {
            URI inputUri = new Path(input).toUri();
            if (!Objects.equals(archiveUri.getScheme(), inputUri.getScheme())
                    || !Objects.equals(archiveUri.getAuthority(), inputUri.getAuthority())) {
                throw new SetupException(option + " " + value + ": the archive must be on the file system of the input "
                        + input + " (a move is a rename)");
            }
            if (isUnder(archiveUri.getPath(), inputUri.getPath())) {
                throw new SetupException(option + " " + value + ": the archive must be outside the input " + input
                        + " (files moved there would be read again)");
            }
        }
        return new AfterRead(Action.MOVE, archive, List.copyOf(inputs));
    }

    /** Deletes or moves the input file {@code fileUri}, whose records are all durable now. */
    public void inputCompleted(String fileUri) {
        if (action == Action.LEAVE) {
            return;
        }
        Path file = new Path(fileUri);
        try {
            FileSystem fs = file.getFileSystem();
            if (!fs.exists(file)) {
                // Done before a restore, which released the same file again.
                LOG.debug("After read: {} is already gone", fileUri);
                return;
            }
            if (action == Action.DELETE) {
                if (!fs.delete(file, false)) {
                    throw new IOException("the file system refused to delete it");
                }
                LOG.info("After read: deleted {}, every record of it is in Kinesis", fileUri);
            } else {
                Path target = freeTarget(fs, archiveTarget(fileUri));
                fs.mkdirs(target.getParent());
                if (!fs.rename(file, target)) {
                    throw new IOException("the file system refused to rename it to " + target);
                }
                LOG.info("After read: moved {} to {}, every record of it is in Kinesis", fileUri, target);
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("After read: could not {} {}; it stays where it is and is not read again: {}",
                    action == Action.DELETE ? "delete" : "move", fileUri, e.toString());
        }
    }

    /** The file's path relative to the input it came from, under the archive. */
    private Path archiveTarget(String fileUri) {
        String file = new Path(fileUri).toUri().getPath();
        for (String input : inputs) {
            String directory = withTrailingSlash(new Path(input).toUri().getPath());
            if (file.startsWith(directory)) {
                return new Path(new Path(archive), file.substring(directory.length()));
            }
        }
        return new Path(new Path(archive), new Path(fileUri).getName());
    }

    /** Whether {@code path} is {@code directory} or lies under it. */
    private static boolean isUnder(String path, String directory) {
        return withTrailingSlash(path).startsWith(withTrailingSlash(directory));
    }

    private static Path freeTarget(FileSystem fs, Path target) throws IOException {
        Path candidate = target;
        for (int n = 1; fs.exists(candidate); n++) {
            candidate = new Path(target.getParent(), target.getName() + "." + n);
        }
        return candidate;
    }

    private static String withTrailingSlash(String uri) {
        return uri.endsWith("/") ? uri : uri + "/";
    }

    @Override
    public String toString() {
        return action == Action.MOVE ? "move:" + archive : action.name().toLowerCase(Locale.ROOT);
    }
}
