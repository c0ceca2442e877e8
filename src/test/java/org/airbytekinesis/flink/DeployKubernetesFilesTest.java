package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * No Kubernetes cluster here: the FlinkDeployments and the image's Dockerfile are checked against
 * the pom (Flink version, jar name), against each other (the jar the image holds is the one the
 * deployments run) and for credentials in {@code flinkConfiguration}.
 */
class DeployKubernetesFilesTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DIR = ROOT.resolve("deploy/kubernetes");
    private static final String MAIN_CONTAINER = "flink-main-container";

    private static String flinkVersion;
    private static String jarName;
    /** Every YAML document of every file, by file name. */
    private static Map<String, List<JsonNode>> documents;

    @BeforeAll
    static void read() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile());
        flinkVersion = XPathFactory.newInstance().newXPath().evaluate("/project/properties/flink.version", pom).trim();
        jarName = XPathFactory.newInstance().newXPath()
                .evaluate("//plugin[artifactId='maven-shade-plugin']//finalName", pom).trim() + ".jar";
        assertTrue(flinkVersion.matches("\\d+\\.\\d+\\.\\d+"), flinkVersion);
        documents = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().collect(Collectors.toList())) {
                documents.put(file.getFileName().toString(), readAll(file));
            }
        }
    }

    private static List<JsonNode> readAll(Path file) throws IOException {
        YAMLFactory yaml = new YAMLFactory();
        List<JsonNode> all = new ArrayList<>();
        try (MappingIterator<JsonNode> values = new ObjectMapper(yaml).readerFor(JsonNode.class)
                .readValues(yaml.createParser(file.toFile()))) {
            while (values.hasNext()) {
                JsonNode document = values.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    all.add(document);
                }
            }
        }
        return all;
    }

    private static List<JsonNode> flinkDeployments(String file) {
        return documents.get(file).stream()
                .filter(d -> d.path("kind").asText().equals("FlinkDeployment"))
                .collect(Collectors.toList());
    }

    private static List<JsonNode> allFlinkDeployments() {
        return documents.keySet().stream().flatMap(f -> flinkDeployments(f).stream()).collect(Collectors.toList());
    }

    private static JsonNode deployment(String file) {
        List<JsonNode> deployments = flinkDeployments(file);
        assertEquals(1, deployments.size(), file);
        return deployments.get(0);
    }

    /** Dockerfile instructions, continuation lines joined, comments dropped. */
    private static List<String[]> dockerfile() throws IOException {
        List<String[]> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(DIR.resolve("Dockerfile"))) {
            if (line.trim().startsWith("#") || (current.length() == 0 && line.isBlank())) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continues) {
                String[] keywordAndArguments = current.toString().trim().split("\\s+", 2);
                instructions.add(new String[] {keywordAndArguments[0].toUpperCase(Locale.ROOT), keywordAndArguments[1]});
                current.setLength(0);
            }
        }
        return instructions;
    }

    private static List<String> arguments(String keyword) throws IOException {
        return dockerfile().stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).collect(Collectors.toList());
    }

    @Test
    void bothDeploymentsParseAndAreFlinkDeploymentsOfTheOperatorApi() {
        assertEquals(List.of("basic.yaml", "checkpoints-ha-savepoint.yaml", "prometheus-podmonitor.yaml"),
                List.copyOf(documents.keySet()));
        for (JsonNode deployment : allFlinkDeployments()) {
            assertEquals("flink.apache.org/v1beta1", deployment.path("apiVersion").asText());
            assertFalse(deployment.path("metadata").path("name").asText().isEmpty());
            assertEquals("application", deployment.path("spec").path("mode").asText("application"),
                    "application mode: the jar's main() runs on the JobManager");
        }
        assertEquals(2, allFlinkDeployments().size());
    }

    @Test
    void everyPodOfBothDeploymentsExportsPrometheusMetricsThatThePodMonitorScrapes() {
        JsonNode monitor = documents.get("prometheus-podmonitor.yaml").get(0);
        assertEquals("PodMonitor", monitor.path("kind").asText());
        assertEquals("monitoring.coreos.com/v1", monitor.path("apiVersion").asText());
        JsonNode selector = monitor.path("spec").path("selector").path("matchLabels");
        JsonNode endpoint = monitor.path("spec").path("podMetricsEndpoints").get(0);
        assertEquals("/metrics", endpoint.path("path").asText());
        for (JsonNode deployment : allFlinkDeployments()) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode config = deployment.path("spec").path("flinkConfiguration");
            assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                    config.path("metrics.reporter.prom.factory.class").asText(), name);
            String port = config.path("metrics.reporter.prom.port").asText();
            assertEquals("false", config.path("metrics.reporter.prom.filterLabelValueCharacters").asText(), name);
            for (String role : List.of("jobManager", "taskManager")) {
                JsonNode pod = deployment.path("spec").path(role).path("podTemplate");
                selector.fields().forEachRemaining(label -> assertEquals(label.getValue().asText(),
                        pod.path("metadata").path("labels").path(label.getKey()).asText(), name + " " + role + " label"));
                assertEquals("true", pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText());
                assertEquals(port, pod.path("metadata").path("annotations").path("prometheus.io/port").asText());
                JsonNode container = null;
                for (JsonNode c : pod.path("spec").path("containers")) {
                    if (MAIN_CONTAINER.equals(c.path("name").asText())) {
                        container = c;
                    }
                }
                assertTrue(container != null, name + " " + role);
                boolean exposed = false;
                for (JsonNode p : container.path("ports")) {
                    exposed |= p.path("name").asText().equals(endpoint.path("port").asText())
                            && p.path("containerPort").asText().equals(port);
                }
                assertTrue(exposed, name + " " + role + " exposes the reporter's port under the PodMonitor's name");
            }
        }
    }

    @Test
    void flinkVersionAndTheImageTagFollowThePom() throws IOException {
        String[] parts = flinkVersion.split("\\.");
        for (JsonNode deployment : allFlinkDeployments()) {
            assertEquals("v" + parts[0] + "_" + parts[1], deployment.path("spec").path("flinkVersion").asText());
        }
        assertEquals(List.of("flink:" + flinkVersion + "-java17"), arguments("FROM"));
    }

    @Test
    void theJarUriIsTheJarThePomBuildsWhereTheImageCopiesIt() throws IOException {
        List<String> copies = arguments("COPY");
        assertEquals(1, copies.size(), copies.toString());
        List<String> words = List.of(copies.get(0).split("\\s+"));
        String target = words.get(words.size() - 1);
        assertEquals("target/" + jarName, words.get(words.size() - 2));
        assertEquals("/opt/flink/usrlib/" + jarName, target);
        assertTrue(Files.readAllLines(DIR.resolve("Dockerfile.dockerignore")).contains("!target/" + jarName),
                "the jar is in the build context");
        for (JsonNode deployment : allFlinkDeployments()) {
            JsonNode job = deployment.path("spec").path("job");
            assertEquals("local://" + target, job.path("jarURI").asText());
            assertEquals(AirbyteKinesisMain.class.getName(), job.path("entryClass").asText());
        }
    }

    @Test
    void noCredentialsInAnyFlinkConfiguration() {
        for (JsonNode deployment : allFlinkDeployments()) {
            JsonNode configuration = deployment.path("spec").path("flinkConfiguration");
            assertTrue(configuration.isObject());
            for (Map.Entry<String, JsonNode> entry : configuration.properties()) {
                String key = entry.getKey();
                String normalized = key.toLowerCase(Locale.ROOT).replaceAll("[-_.]", "");
                for (String credential : List.of("accesskey", "secretkey", "privatekey", "sessiontoken", "password")) {
                    assertFalse(normalized.contains(credential), "credential-like key in flinkConfiguration: " + key);
                }
                if (key.toLowerCase(Locale.ROOT).contains("aws.credentials")) {
                    // Only the one key that names a keyless provider class (IRSA's token file).
                    assertEquals("fs.s3a.aws.credentials.provider", key);
                    assertEquals("com.amazonaws.auth.WebIdentityTokenCredentialsProvider", entry.getValue().asText());
                }
            }
        }
    }

    @Test
    void theConfigIsASecretAndTheCatalogAConfigMapMountedOnTheJobManager() {
        for (JsonNode deployment : allFlinkDeployments()) {
            JsonNode podSpec = deployment.path("spec").path("jobManager").path("podTemplate").path("spec");
            Map<String, JsonNode> volumes = new LinkedHashMap<>();
            podSpec.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
            Map<String, String> mounts = new LinkedHashMap<>();
            mainContainer(podSpec).path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));

            List<String> args = args(deployment);
            JsonNode configVolume = volumes.get(mounts.get(parent(valueOf(args, "--config"))));
            assertNotNull(configVolume, "--config is on a mounted volume");
            assertTrue(configVolume.has("secret"), "the destination config holds credentials: a Secret");
            JsonNode catalogVolume = volumes.get(mounts.get(parent(valueOf(args, "--catalog"))));
            assertNotNull(catalogVolume, "--catalog is on a mounted volume");
            assertTrue(catalogVolume.has("configMap"), "the catalog: a ConfigMap");
        }
    }

    @Test
    void theJobWritesFromS3WithDeadLettersOnS3AndEverySchemeHasItsPlugin() {
        for (JsonNode deployment : allFlinkDeployments()) {
            List<String> args = args(deployment);
            assertEquals("write", args.get(0));
            List<String> uris = new ArrayList<>(List.of(valueOf(args, "--input"), valueOf(args, "--dead-letter"),
                    valueOf(args, "--state-out")));
            assertTrue(uris.stream().allMatch(u -> u.startsWith("s3a://")), uris + ": the Hadoop S3 file system");
            for (Map.Entry<String, JsonNode> entry : deployment.path("spec").path("flinkConfiguration").properties()) {
                if (entry.getValue().asText().matches("^s3[a-z]?://.*")) {
                    uris.add(entry.getValue().asText());
                }
            }
            for (String role : List.of("jobManager", "taskManager")) {
                String plugins = env(deployment.path("spec").path(role), "ENABLE_BUILT_IN_PLUGINS");
                assertNotNull(plugins, role + " enables the S3 plugins");
                for (String jar : plugins.split(";")) {
                    assertTrue(jar.matches("flink-s3-fs-(presto|hadoop)-" + flinkVersion.replace(".", "\\.") + "\\.jar"),
                            jar + " follows the pom's Flink version");
                }
                for (String uri : uris) {
                    String plugin = uri.startsWith("s3a://") ? "flink-s3-fs-hadoop" : uri.startsWith("s3p://") ? "flink-s3-fs-presto" : null;
                    assertNotNull(plugin, uri + ": use s3a:// or s3p://, both plugins register s3://");
                    assertTrue(plugins.contains(plugin + "-"), role + " has the plugin for " + uri);
                }
            }
        }
    }

    @Test
    void stateOutIsADirectoryOnS3ThatOutlivesThePods() {
        for (JsonNode deployment : allFlinkDeployments()) {
            String stateOut = valueOf(args(deployment), "--state-out");
            assertTrue(stateOut.startsWith("s3a://") && stateOut.endsWith("/"), stateOut);
            assertTrue(org.airbytekinesis.flink.state.StateOutTarget.isDirectory(
                    org.airbytekinesis.flink.state.StateOutTarget.resolve(stateOut, "--state-out")), stateOut);
        }
    }

    @Test
    void theLongRunningJobHasCheckpointsHaSavepointUpgradesAndRestarts() {
        JsonNode spec = deployment("checkpoints-ha-savepoint.yaml").path("spec");
        JsonNode configuration = spec.path("flinkConfiguration");
        assertEquals("kubernetes", configuration.path("high-availability.type").asText());
        for (String key : List.of("high-availability.storageDir", "state.checkpoints.dir", "state.savepoints.dir")) {
            assertTrue(configuration.path(key).asText().startsWith("s3p://"), key);
        }
        assertFalse(configuration.path("restart-strategy.type").asText().isEmpty());
        assertFalse(configuration.path("execution.checkpointing.interval").asText().isEmpty());
        assertEquals("savepoint", spec.path("job").path("upgradeMode").asText());
        assertTrue(args(deployment("checkpoints-ha-savepoint.yaml")).contains("--watch"));
        assertFalse(args(deployment("basic.yaml")).contains("--watch"));
    }

    @Test
    void irsaComesFromTheServiceAccountTheDeploymentUses() {
        String account = deployment("checkpoints-ha-savepoint.yaml").path("spec").path("serviceAccount").asText();
        JsonNode serviceAccount = documents.get("checkpoints-ha-savepoint.yaml").stream()
                .filter(d -> d.path("kind").asText().equals("ServiceAccount") && d.path("metadata").path("name").asText().equals(account))
                .findFirst().orElseThrow(() -> new AssertionError("no ServiceAccount " + account));
        assertTrue(serviceAccount.path("metadata").path("annotations").path("eks.amazonaws.com/role-arn").asText()
                .matches("arn:aws:iam::\\d{12}:role/.+"));
        assertTrue(documents.get("checkpoints-ha-savepoint.yaml").stream().anyMatch(d -> d.path("kind").asText().equals("RoleBinding")
                && d.path("subjects").path(0).path("name").asText().equals(account)));
    }

    @Test
    void theReadmeAppliesEveryDeployment() throws IOException {
        String readme = Files.readString(DIR.resolve("README.md"));
        for (String file : documents.keySet()) {
            assertTrue(readme.contains("kubectl apply -f deploy/kubernetes/" + file), file);
        }
    }

    private static JsonNode mainContainer(JsonNode podSpec) {
        for (JsonNode container : podSpec.path("containers")) {
            if (container.path("name").asText().equals(MAIN_CONTAINER)) {
                return container;
            }
        }
        throw new AssertionError("no " + MAIN_CONTAINER + " in " + podSpec);
    }

    private static String env(JsonNode component, String name) {
        for (JsonNode variable : mainContainer(component.path("podTemplate").path("spec")).path("env")) {
            if (variable.path("name").asText().equals(name)) {
                return variable.path("value").asText();
            }
        }
        return null;
    }

    private static List<String> args(JsonNode deployment) {
        List<String> args = new ArrayList<>();
        deployment.path("spec").path("job").path("args").forEach(a -> args.add(a.asText()));
        return args;
    }

    private static String valueOf(List<String> args, String option) {
        int index = args.indexOf(option);
        assertTrue(index >= 0 && index + 1 < args.size(), option + " in " + args);
        return args.get(index + 1);
    }

    private static String parent(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }
}
