package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.testing.Corpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfiguredCatalogTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;

    private static ConfiguredCatalog parse(String json) throws IOException {
        return ConfiguredCatalog.fromJson(MAPPER.readTree(json));
    }

    private static SetupException refused(String json) {
        return assertThrows(SetupException.class, () -> parse(json));
    }

    private Path write(String name, String content) throws IOException {
        Path file = tempDir.resolve(name);
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    @Test
    void minimalOctopusCatalogIsRead() {
        ConfiguredCatalog catalog = ConfiguredCatalog.fromFile(Corpus.file("catalog__faros__octopus_catalog.json"));
        List<CatalogStream> streams = catalog.streams();
        assertEquals(2, streams.size());
        assertEquals(new StreamDescriptor(null, "mytestsource__octopus__deployments"), streams.get(0).descriptor());
        assertEquals(new StreamDescriptor(null, "mytestsource__octopus__releases"), streams.get(1).descriptor());
        assertEquals(DestinationSyncMode.OVERWRITE, streams.get(0).syncMode());
        assertEquals(DestinationSyncMode.OVERWRITE, streams.get(1).syncMode());
    }

    @Test
    void minimalGithubCatalogIsReadInOrder() {
        ConfiguredCatalog catalog = ConfiguredCatalog.fromFile(Corpus.file("catalog__faros__github_catalog-raw.json"));
        List<CatalogStream> streams = catalog.streams();
        assertEquals(24, streams.size());
        assertEquals("_airbyte_raw_mytestsource__github__assignees", streams.get(0).descriptor().name());
        assertEquals("_airbyte_raw_mytestsource__github__collaborators", streams.get(1).descriptor().name());
        assertEquals("_airbyte_raw_mytestsource__github__pull_request_stats", streams.get(23).descriptor().name());
        assertEquals(DestinationSyncMode.OVERWRITE, streams.get(0).syncMode());
        for (CatalogStream stream : streams.subList(1, streams.size())) {
            assertEquals(DestinationSyncMode.APPEND, stream.syncMode(), stream.toString());
        }
        for (CatalogStream stream : streams) {
            assertNull(stream.descriptor().namespace(), stream.toString());
        }
        long distinct = streams.stream().map(CatalogStream::descriptor).distinct().count();
        assertEquals(24, distinct);
    }

    @Test
    void platformGeneratedPokeCatalogIsRead() {
        ConfiguredCatalog catalog = ConfiguredCatalog.fromFile(
                Corpus.file("catalog__marcosmarxm__destination_catalog_poke_overwrite.json"));
        assertEquals(1, catalog.streams().size());
        CatalogStream stream = catalog.streams().get(0);
        assertEquals("pokemon", stream.descriptor().name());
        assertEquals("poke", stream.descriptor().namespace());
        assertEquals(DestinationSyncMode.OVERWRITE, stream.syncMode());
        assertEquals("poke.pokemon (overwrite)", stream.toString());
    }

    @Test
    void everySyncModeOfTheProtocolIsAccepted() throws IOException {
        ConfiguredCatalog catalog = parse("{\"streams\":["
                + "{\"stream\":{\"name\":\"a\"},\"destination_sync_mode\":\"append\"},"
                + "{\"stream\":{\"name\":\"b\"},\"destination_sync_mode\":\"overwrite\"},"
                + "{\"stream\":{\"name\":\"c\"},\"destination_sync_mode\":\"append_dedup\"},"
                + "{\"stream\":{\"name\":\"d\"},\"destination_sync_mode\":\"update\"},"
                + "{\"stream\":{\"name\":\"e\"},\"destination_sync_mode\":\"soft_delete\"}]}");
        assertEquals(
                List.of(DestinationSyncMode.APPEND, DestinationSyncMode.OVERWRITE, DestinationSyncMode.APPEND_DEDUP,
                        DestinationSyncMode.UPDATE, DestinationSyncMode.SOFT_DELETE),
                catalog.streams().stream().map(CatalogStream::syncMode).collect(Collectors.toList()));
    }

    @Test
    void missingSyncModeDefaultsToAppend() throws IOException {
        ConfiguredCatalog catalog = parse("{\"streams\":[{\"stream\":{\"name\":\"a\"}},"
                + "{\"stream\":{\"name\":\"b\"},\"destination_sync_mode\":null}]}");
        assertEquals(DestinationSyncMode.APPEND, catalog.streams().get(0).syncMode());
        assertEquals(DestinationSyncMode.APPEND, catalog.streams().get(1).syncMode());
    }

    @Test
    void unknownSyncModeIsRefused() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"destination_sync_mode\":\"upsert\"}]}");
        assertTrue(e.getMessage().contains("streams[0].destination_sync_mode"), e.getMessage());
        assertTrue(e.getMessage().contains("upsert"), e.getMessage());
    }

    @Test
    void syncModeIsCaseSensitive() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"destination_sync_mode\":\"APPEND\"}]}");
        assertTrue(e.getMessage().contains("streams[0].destination_sync_mode"), e.getMessage());
    }

    @Test
    void syncModeThatIsNotAStringIsRefused() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"destination_sync_mode\":3}]}");
        assertTrue(e.getMessage().contains("streams[0].destination_sync_mode"), e.getMessage());
    }

    @Test
    void nullNamespaceIsNoNamespace() throws IOException {
        ConfiguredCatalog catalog = parse("{\"streams\":[{\"stream\":{\"name\":\"a\",\"namespace\":null}}]}");
        assertNull(catalog.streams().get(0).descriptor().namespace());
    }

    @Test
    void unknownFieldsAreIgnored() throws IOException {
        ConfiguredCatalog catalog = parse("{\"extra\":[1,2],\"streams\":[{\"stream\":{\"name\":\"a\",\"x\":{}},"
                + "\"sync_mode\":\"incremental\",\"cursor_field\":[\"u\"],\"whatever\":null}]}");
        assertEquals("a", catalog.streams().get(0).descriptor().name());
    }

    @Test
    void emptyStreamsArrayGivesEmptyCatalog() throws IOException {
        assertEquals(0, parse("{\"streams\":[]}").streams().size());
    }

    @Test
    void streamsCannotBeModified() throws IOException {
        ConfiguredCatalog catalog = parse("{\"streams\":[{\"stream\":{\"name\":\"a\"}}]}");
        assertThrows(UnsupportedOperationException.class, () -> catalog.streams().clear());
    }

    @Test
    void missingNameIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"}},{\"stream\":{\"namespace\":\"x\"}}]}");
        assertTrue(e.getMessage().contains("streams[1].stream.name"), e.getMessage());
    }

    @Test
    void emptyNameIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"\"}}]}");
        assertTrue(e.getMessage().contains("streams[0].stream.name"), e.getMessage());
    }

    @Test
    void nameThatIsNotAStringIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"}},{\"stream\":{\"name\":\"b\"}},"
                + "{\"stream\":{\"name\":7}}]}");
        assertTrue(e.getMessage().contains("streams[2].stream.name"), e.getMessage());
    }

    @Test
    void namespaceThatIsNotAStringIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\",\"namespace\":[\"x\"]}}]}");
        assertTrue(e.getMessage().contains("streams[0].stream.namespace"), e.getMessage());
    }

    @Test
    void missingStreamObjectIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"name\":\"a\"}]}");
        assertTrue(e.getMessage().contains("streams[0].stream"), e.getMessage());
    }

    @Test
    void streamEntryThatIsNotAnObjectIsReportedWithItsJsonPath() {
        SetupException e = refused("{\"streams\":[{\"stream\":{\"name\":\"a\"}},\"b\"]}");
        assertTrue(e.getMessage().contains("streams[1]"), e.getMessage());
    }

    @Test
    void missingStreamsArrayIsRefused() {
        SetupException e = refused("{\"stream\":[]}");
        assertTrue(e.getMessage().contains("\"streams\""), e.getMessage());
        e = refused("{\"streams\":{}}");
        assertTrue(e.getMessage().contains("\"streams\""), e.getMessage());
    }

    @Test
    void catalogThatIsNotAnObjectIsRefused() {
        SetupException e = refused("[]");
        assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
    }

    @Test
    void fileErrorsNameTheFileAndTheJsonPath() throws IOException {
        Path file = write("catalog.json", "{\"streams\":[{\"stream\":{\"name\":\"a\"}},{\"stream\":{}}]}");
        SetupException e = assertThrows(SetupException.class, () -> ConfiguredCatalog.fromFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("streams[1].stream.name"), e.getMessage());
    }

    @Test
    void fileThatIsNotJsonIsRefusedNamingTheFile() throws IOException {
        Path file = write("broken.json", "{\"streams\": [ {\"stream\": ");
        SetupException e = assertThrows(SetupException.class, () -> ConfiguredCatalog.fromFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void emptyFileIsRefusedNamingTheFile() throws IOException {
        Path file = write("empty.json", "");
        SetupException e = assertThrows(SetupException.class, () -> ConfiguredCatalog.fromFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void missingFileIsRefusedNamingTheFile() {
        Path file = tempDir.resolve("nope.json");
        SetupException e = assertThrows(SetupException.class, () -> ConfiguredCatalog.fromFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    void primaryKeysAreReadFromTheConfiguredStreamOrElseFromWhatTheSourceDefines() throws IOException {
        ConfiguredCatalog catalog = parse("{\"streams\":["
                + "{\"stream\":{\"name\":\"a\",\"source_defined_primary_key\":[[\"x\"]]},\"primary_key\":[[\"id\"],[\"region\",\"code\"]]},"
                + "{\"stream\":{\"name\":\"b\",\"source_defined_primary_key\":[[\"fields\",\"identifier\"]]},\"primary_key\":[]},"
                + "{\"stream\":{\"name\":\"c\"},\"primary_key\":null},"
                + "{\"stream\":{\"name\":\"d\"}}]}");
        assertEquals(List.of(FieldPath.of(List.of("id")), FieldPath.of(List.of("region", "code"))),
                catalog.streams().get(0).primaryKey(), "the configured key wins over the source's");
        assertEquals(List.of(FieldPath.of(List.of("fields", "identifier"))), catalog.streams().get(1).primaryKey());
        assertEquals(List.of(), catalog.streams().get(2).primaryKey());
        assertEquals(List.of(), catalog.streams().get(3).primaryKey());
    }

    @Test
    void aPrimaryKeyThatIsNotAListOfFieldPathsIsRefusedNamingWhere() {
        assertTrue(refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"primary_key\":\"id\"}]}").getMessage()
                .contains("streams[0].primary_key must be an array"));
        assertTrue(refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"primary_key\":[\"id\"]}]}").getMessage()
                .contains("streams[0].primary_key[0] must be a non-empty array of strings"));
        assertTrue(refused("{\"streams\":[{\"stream\":{\"name\":\"a\"},\"primary_key\":[[]]}]}").getMessage()
                .contains("streams[0].primary_key[0]"));
        assertTrue(refused("{\"streams\":[{\"stream\":{\"name\":\"a\",\"source_defined_primary_key\":[[\"a\",1]]}}]}")
                .getMessage().contains("streams[0].stream.source_defined_primary_key[0][1] must be a string"));
    }
}
