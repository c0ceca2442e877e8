package org.airbytekinesis.flink.msf;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.WriteCommand;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code msf [--properties FILE.json]}: runs {@code write} from property groups (see
 * {@link MsfApplicationProperties}). On Amazon Managed Service for Apache Flink the job gets no
 * arguments and the groups come from {@link KinesisAnalyticsRuntime#getApplicationProperties()};
 * elsewhere from a local JSON file of the same groups. They become the same {@link
 * org.airbytekinesis.flink.WritePlan} the command line gives {@link WriteCommand}.
 */
public final class MsfCommand {
    private static final Logger LOG = LoggerFactory.getLogger(MsfCommand.class);

    public static final String NAME = "msf";
    static final String USAGE = "usage: airbyte-kinesis msf [--properties FILE.json]"
            + " (without --properties: the property groups of Amazon Managed Service for Apache Flink)";

    private final PrintStream console;

    /** @param console where the write command's end-of-run summary goes (stderr) */
    public MsfCommand(PrintStream console) {
        this.console = console;
    }

    /**
     * Whether the service gave this application property groups, i.e. whether it runs on Amazon
     * Managed Service for Apache Flink. A file that is there but cannot be read counts as yes, so
     * that {@link #run} reports it.
     */
    public static boolean hasServiceProperties() {
        try {
            return !KinesisAnalyticsRuntime.getApplicationProperties().isEmpty();
        } catch (IOException e) {
            return true;
        } catch (LinkageError e) {
            // The runtime reads its file with Flink's shaded Jackson; without Flink on the
            // classpath this is no Flink application, let alone one on the service.
            return false;
        }
    }

    /** @param args the arguments that follow {@code msf} */
    public void run(List<String> args) throws Exception {
        Map<String, Properties> groups;
        if (args.isEmpty()) {
            groups = serviceProperties();
            if (groups.isEmpty()) {
                throw new SetupException("msf: no application properties from Amazon Managed Service for Apache Flink"
                        + " (not running there?); " + USAGE);
            }
        } else if (args.size() == 2 && args.get(0).equals("--properties")) {
            groups = MsfApplicationProperties.readLocalFile(Path.of(args.get(1)));
        } else {
            throw new SetupException("msf: unexpected arguments " + args + "; " + USAGE);
        }
        // Group and key names only: values can be credentials.
        LOG.info("Property groups: {}", MsfApplicationProperties.describe(groups));

        if (catalogFromFileSystem(groups)) {
            initializeLocalFileSystems();
        }
        MsfApplicationProperties properties = MsfApplicationProperties.fromGroups(groups);
        for (String warning : properties.warnings()) {
            LOG.warn(warning);
            console.println("airbyte-kinesis: warning: " + warning);
        }
        new WriteCommand(console).run(properties.plan());
    }

    private static Map<String, Properties> serviceProperties() {
        try {
            return KinesisAnalyticsRuntime.getApplicationProperties();
        } catch (IOException e) {
            throw new SetupException("msf: cannot read the application properties of Amazon Managed Service for"
                    + " Apache Flink: " + e.getClass().getSimpleName(), e);
        }
    }

    private static boolean catalogFromFileSystem(Map<String, Properties> groups) {
        Properties catalog = groups.get(MsfApplicationProperties.CATALOG);
        return catalog != null && catalog.getProperty(MsfApplicationProperties.CATALOG_S3) != null;
    }

    /**
     * {@code catalog.s3} is read here, before {@code write} sets anything up. A cluster (and the
     * service) has initialised its file systems with their plugins; a local run has not yet, so
     * it is done here as {@code write} does it (plugins, {@code $FLINK_CONF_DIR/config.yaml}).
     */
    private static void initializeLocalFileSystems() {
        if (!(StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment)) {
            return;
        }
        String confDir = System.getenv(ConfigConstants.ENV_FLINK_CONF_DIR);
        Configuration settings = confDir == null ? new Configuration() : GlobalConfiguration.loadConfiguration(confDir);
        FileSystem.initialize(settings, PluginUtils.createPluginManagerFromRootFolder(settings));
    }
}
