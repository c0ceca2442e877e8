package org.airbytekinesis.flink;

import java.util.Arrays;
import java.util.List;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the launcher and of the job jar: {@code write ...}. Standard output is kept for
 * Airbyte messages; logs and the one-line error of a failed run go to standard error.
 */
public final class AirbyteKinesisMain {
    private static final Logger LOG = LoggerFactory.getLogger(AirbyteKinesisMain.class);

    private AirbyteKinesisMain() {}

    public static void main(String[] args) {
        int exitCode = run(Arrays.asList(args));
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    static int run(List<String> args) {
        if (args.isEmpty()) {
            System.err.println("error: no command; " + WriteOptions.USAGE);
            return 2;
        }
        String command = args.get(0);
        try {
            if ("write".equals(command)) {
                new WriteCommand(System.err).run(WriteOptions.parse(args.subList(1, args.size())));
                return 0;
            }
            System.err.println("error: unknown command " + command + "; " + WriteOptions.USAGE);
            return 2;
        } catch (Throwable t) {
            // The trace goes to the log file; stderr gets the one line below.
            LOG.info("{} failed", command, t);
            System.err.println("error: " + oneLine(t));
            return 1;
        }
    }

    /** The most telling message in a failure's cause chain, on one line. */
    static String oneLine(Throwable failure) {
        String message = ExceptionUtils.findThrowable(failure, BadInputException.class)
                .map(Throwable::getMessage)
                .or(() -> ExceptionUtils.findThrowable(failure, SetupException.class).map(Throwable::getMessage))
                .orElseGet(() -> {
                    Throwable root = ExceptionUtils.stripExecutionException(failure);
                    while (root.getCause() != null && root.getCause() != root) {
                        root = root.getCause();
                    }
                    return root.getMessage() == null ? root.toString() : root.getClass().getSimpleName() + ": " + root.getMessage();
                });
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
