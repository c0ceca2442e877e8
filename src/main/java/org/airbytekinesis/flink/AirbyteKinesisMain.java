package org.airbytekinesis.flink;

import java.util.Arrays;
import java.util.List;
import org.airbytekinesis.flink.airbyte.AirbyteMessages;
import org.airbytekinesis.flink.config.Secrets;
import org.airbytekinesis.flink.msf.MsfCommand;
import org.airbytekinesis.flink.sink.PermanentKinesisError;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the launcher and of the job jar, with the commands of an Airbyte destination:
 * {@code spec}, {@code check --config F}, {@code write --config F --catalog F [--input ...]}.
 * Standard output carries only Airbyte messages; logs and the one-line error of a failed run go
 * to standard error.
 */
public final class AirbyteKinesisMain {
    private static final Logger LOG = LoggerFactory.getLogger(AirbyteKinesisMain.class);

    static final String USAGE = "usage: airbyte-kinesis spec | check --config CONFIG.json"
            + " | write --config CONFIG.json --catalog CATALOG.json [--input PATH ...] [--watch [--watch-interval 10s]]"
            + " [--after-read leave|delete|move:DIR] [--state-out FILE|DIR/] [--dead-letter DIR] [--checkpoint-interval 10s]"
            + " | msf [--properties PROPERTIES.json]";

    private AirbyteKinesisMain() {}

    /** Set by bin/airbyte-kinesis: this JVM is ours alone, so a failure may end it with an exit code. */
    static final String LAUNCHER_PROPERTY = "airbyte.kinesis.launcher";

    public static void main(String[] args) {
        int exitCode = run(Arrays.asList(args));
        if (exitCode == 0) {
            return;
        }
        if (Boolean.getBoolean(LAUNCHER_PROPERTY)) {
            System.exit(exitCode);
        }
        // Elsewhere main() runs inside Flink's client or, in application mode (Kubernetes, Managed
        // Service for Apache Flink), inside the JobManager: exiting would take it down, so fail
        // the program instead; the message is already on stderr.
        throw new IllegalStateException("airbyte-kinesis failed with exit code " + exitCode + "; see the error above");
    }

    static int run(List<String> args) {
        if (args.isEmpty()) {
            if (!MsfCommand.hasServiceProperties()) {
                System.err.println("error: no command; " + USAGE);
                return 2;
            }
            // Amazon Managed Service for Apache Flink passes no arguments, only property groups.
            args = List.of(MsfCommand.NAME);
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        try {
            switch (command) {
                case "spec":
                    new SpecCommand(System.out).run();
                    return 0;
                case "check":
                    new CheckCommand(System.out).run(rest);
                    return 0;
                case "write":
                    new WriteCommand(System.err).run(WriteOptions.parse(rest));
                    return 0;
                case MsfCommand.NAME:
                    new MsfCommand(System.err).run(rest);
                    return 0;
                default:
                    System.err.println("error: unknown command " + command + "; " + USAGE);
                    return 2;
            }
        } catch (Throwable t) {
            // The trace goes to the log file; stderr gets the one line below, and the Airbyte
            // platform a TRACE ERROR on stdout.
            LOG.info("{} failed", command, t);
            String message = Secrets.redact(oneLine(t));
            boolean setupProblem = ExceptionUtils.findThrowable(t, SetupException.class).isPresent()
                    || ExceptionUtils.findThrowable(t, PermanentKinesisError.class).map(PermanentKinesisError::isConfiguration)
                            .orElse(false);
            System.out.println(AirbyteMessages.traceError(message, Secrets.redact(t.toString()),
                    setupProblem ? "config_error" : "system_error"));
            System.out.flush();
            System.err.println("error: " + message);
            return 1;
        }
    }

    /** The most telling message in a failure's cause chain, on one line. */
    static String oneLine(Throwable failure) {
        String message = ExceptionUtils.findThrowable(failure, BadInputException.class)
                .map(Throwable::getMessage)
                .or(() -> ExceptionUtils.findThrowable(failure, SetupException.class).map(Throwable::getMessage))
                .or(() -> ExceptionUtils.findThrowable(failure, PermanentKinesisError.class).map(Throwable::getMessage))
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
