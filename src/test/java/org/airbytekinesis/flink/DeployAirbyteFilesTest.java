package org.airbytekinesis.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The Airbyte image cannot be built here (no Docker engine), so its Dockerfile is checked
 * against the repository: what it copies exists, the jar is the one the pom builds, and the
 * entry point is the launcher, where the launcher expects its files.
 */
class DeployAirbyteFilesTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DOCKERFILE = ROOT.resolve("deploy/airbyte/Dockerfile");
    private static final String LAUNCHER = "/airbyte/bin/airbyte-kinesis";

    private static List<Instruction> instructions;
    private static Document pom;

    /** One Dockerfile instruction, continuation lines joined. */
    private static final class Instruction {
        final String keyword;
        final String arguments;

        Instruction(String keyword, String arguments) {
            this.keyword = keyword;
            this.arguments = arguments;
        }

        List<String> words() {
            return Arrays.asList(arguments.trim().split("\\s+"));
        }
    }

    @BeforeAll
    static void read() throws Exception {
        instructions = parse(Files.readAllLines(DOCKERFILE));
        pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile());
    }

    private static List<Instruction> parse(List<String> lines) {
        List<Instruction> parsed = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            if (line.trim().startsWith("#") || (current.length() == 0 && line.isBlank())) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continues) {
                String text = current.toString().trim();
                int space = text.indexOf(' ');
                parsed.add(new Instruction(text.substring(0, space).toUpperCase(), text.substring(space + 1).trim()));
                current.setLength(0);
            }
        }
        return parsed;
    }

    private static List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword.equals(keyword)).collect(Collectors.toList());
    }

    private static String pom(String xpath) throws Exception {
        return XPathFactory.newInstance().newXPath().evaluate(xpath, pom).trim();
    }

    @Test
    void theEntryPointIsTheLauncherAndAirbyteIsToldSo() throws Exception {
        assertTrue(all("ENV").stream().anyMatch(i -> i.arguments.equals("AIRBYTE_ENTRYPOINT=\"" + LAUNCHER + "\"")),
                "ENV AIRBYTE_ENTRYPOINT=\"" + LAUNCHER + "\"");
        List<Instruction> entryPoints = all("ENTRYPOINT");
        assertEquals(1, entryPoints.size());
        assertEquals(List.of(LAUNCHER), Arrays.asList(new ObjectMapper().readValue(entryPoints.get(0).arguments, String[].class)),
                "exec form, the launcher alone");
    }

    @Test
    void theImageCopiesTheJarThePomBuildsWhereTheLauncherLooksForIt() throws Exception {
        String jar = "target/" + pom("//plugin[artifactId='maven-shade-plugin']//finalName") + ".jar";
        assertEquals("target/airbyte-kinesis-flink.jar", jar);
        assertTrue(copies("--from=build /build/" + jar + " /airbyte/" + jar), "copies " + jar);
        String launcherLib = Files.readString(ROOT.resolve("bin/lib/jvm.sh"));
        assertTrue(launcherLib.contains("JAR=\"$ROOT/" + jar + "\""), "the launcher runs " + jar);
        assertTrue(launcherLib.contains("CLASSPATH_FILE=\"$ROOT/target/launcher-classpath.txt\""));
        assertTrue(all("RUN").stream().anyMatch(i -> i.arguments.contains("> /airbyte/target/launcher-classpath.txt")),
                "the image writes its own launcher classpath");
    }

    @Test
    void theLauncherAndWhatItReadsLandUnderOneRoot() {
        // bin/lib/jvm.sh takes the directory above bin/ as its root.
        assertTrue(copies("bin/airbyte-kinesis " + LAUNCHER));
        assertTrue(copies("bin/lib/jvm.sh /airbyte/bin/lib/jvm.sh"));
        assertTrue(copies("flink-conf/ /airbyte/flink-conf/"));
        assertTrue(copies("--from=build /build/target/flink-lib/ /airbyte/target/flink-lib/"));
    }

    @Test
    void everyPathCopiedFromTheRepositoryExistsAndIsInTheBuildContext() throws Exception {
        List<String> included = Files.readAllLines(DOCKERFILE.resolveSibling("Dockerfile.dockerignore")).stream()
                .filter(l -> l.startsWith("!"))
                .map(l -> l.substring(1))
                .collect(Collectors.toList());
        List<Instruction> fromRepository = all("COPY").stream()
                .filter(i -> !i.arguments.startsWith("--from="))
                .collect(Collectors.toList());
        assertFalse(fromRepository.isEmpty());
        for (Instruction copy : fromRepository) {
            List<String> words = copy.words();
            for (String source : words.subList(0, words.size() - 1)) {
                assertFalse(source.startsWith("--"), "unexpected COPY option " + source);
                assertTrue(Files.exists(ROOT.resolve(source)), "COPY " + source + ": missing from the repository");
                String top = source.split("/")[0];
                assertTrue(included.contains(top), "COPY " + source + ": kept out of the context by Dockerfile.dockerignore");
            }
        }
    }

    @Test
    void theImageIsLabelledForAirbyteWithThePomVersion() throws Exception {
        String version = pom("/project/version").replace("-SNAPSHOT", "");
        Map<String, String> labels = all("LABEL").stream()
                .map(i -> i.arguments.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1].replace("\"", "")));
        assertEquals(version, labels.get("io.airbyte.version"));
        assertEquals("airbyte/destination-kinesis-flink", labels.get("io.airbyte.name"));
    }

    @Test
    void theBuildStageBuildsWithJava17AndTheRuntimeIsAJava17Jre() {
        List<String> stages = all("FROM").stream().map(i -> i.arguments).collect(Collectors.toList());
        assertEquals(List.of("maven:3.9-eclipse-temurin-17 AS build", "eclipse-temurin:17-jre"), stages);
        String build = all("RUN").get(0).arguments;
        assertTrue(build.contains("mvn -B -DskipTests package"), build);
        assertTrue(build.contains("dependency:copy-dependencies -DincludeScope=provided -DoutputDirectory=target/flink-lib"), build);
    }

    private static boolean copies(String arguments) {
        return all("COPY").stream().anyMatch(i -> String.join(" ", i.words()).equals(arguments));
    }
}
