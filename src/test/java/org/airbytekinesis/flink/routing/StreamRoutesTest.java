package org.airbytekinesis.flink.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.airbytekinesis.flink.SetupException;
import org.airbytekinesis.flink.airbyte.CatalogStream;
import org.airbytekinesis.flink.airbyte.ConfiguredCatalog;
import org.airbytekinesis.flink.airbyte.DestinationSyncMode;
import org.airbytekinesis.flink.airbyte.StreamDescriptor;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class StreamRoutesTest {

    /** Streams as {namespace, name} pairs; namespace may be null. */
    private static StreamRoutes routes(String[]... streams) {
        List<CatalogStream> list = new ArrayList<>();
        for (String[] stream : streams) {
            list.add(new CatalogStream(new StreamDescriptor(stream[0], stream[1]), DestinationSyncMode.APPEND));
        }
        return StreamRoutes.forCatalog(new ConfiguredCatalog(list));
    }

    private static String[] s(String namespace, String name) {
        return new String[] {namespace, name};
    }

    @Test
    void exactNamespaceMatchWins() {
        StreamRoutes routes = routes(s("a", "users"), s("b", "users"), s(null, "users"));
        assertEquals("a_users", routes.kinesisStreamFor("a", "users"));
        assertEquals("b_users", routes.kinesisStreamFor("b", "users"));
        assertEquals("_users", routes.kinesisStreamFor(null, "users"));
    }

    @Test
    void recordWithNamespaceMatchesOnlyCatalogStreamWithoutNamespace() {
        StreamRoutes routes = routes(s(null, "users"), s(null, "orders"));
        assertEquals("_users", routes.kinesisStreamFor("public", "users"));
        assertEquals("_orders", routes.kinesisStreamFor("public", "orders"));
    }

    @Test
    void recordWithoutNamespaceMatchesOnlyCatalogStreamWithNamespace() {
        StreamRoutes routes = routes(s("poke", "pokemon"));
        assertEquals("poke_pokemon", routes.kinesisStreamFor(null, "pokemon"));
    }

    @Test
    void twoDifferentNamespacesNeverMatch() {
        StreamRoutes routes = routes(s("poke", "pokemon"));
        assertNull(routes.kinesisStreamFor("public", "pokemon"));
    }

    @Test
    void recordWithoutNamespaceIsAmbiguousBetweenTwoNamespacedStreams() {
        StreamRoutes routes = routes(s("a", "users"), s("b", "users"));
        assertNull(routes.kinesisStreamFor(null, "users"));
    }

    @Test
    void recordWithOtherNamespaceIsAmbiguousWhenOneCandidateHasNoNamespace() {
        StreamRoutes routes = routes(s("a", "users"), s(null, "users"));
        assertNull(routes.kinesisStreamFor("public", "users"));
    }

    @Test
    void unknownNameMatchesNothing() {
        StreamRoutes routes = routes(s(null, "users"));
        assertNull(routes.kinesisStreamFor(null, "orders"));
        assertNull(routes.kinesisStreamFor("public", "orders"));
    }

    @Test
    void namesAreCaseSensitive() {
        StreamRoutes routes = routes(s(null, "users"));
        assertNull(routes.kinesisStreamFor(null, "Users"));
    }

    @Test
    void twoStreamsWithOneKinesisNameAreRefusedNamingBoth() {
        SetupException e = assertThrows(SetupException.class,
                () -> routes(s("my-db", "orders"), s("my_db", "orders")));
        assertTrue(e.getMessage().contains("\"my-db.orders\""), e.getMessage());
        assertTrue(e.getMessage().contains("\"my_db.orders\""), e.getMessage());
        assertTrue(e.getMessage().contains("my_db_orders"), e.getMessage());
    }

    @Test
    void namespaceAndNameSplitDifferentlyAreRefusedWhenTheyCollide() {
        SetupException e = assertThrows(SetupException.class,
                () -> routes(s("a", "b_c"), s("a_b", "c")));
        assertTrue(e.getMessage().contains("a.b_c"), e.getMessage());
        assertTrue(e.getMessage().contains("a_b.c"), e.getMessage());
    }

    @Test
    void streamWithoutNamespaceCollidesWithEmptyNamespace() {
        SetupException e = assertThrows(SetupException.class,
                () -> routes(s(null, "users"), s("", "users")));
        assertTrue(e.getMessage().contains("_users"), e.getMessage());
    }

    @Test
    void kinesisStreamsKeepCatalogOrder() {
        StreamRoutes routes = routes(s(null, "zeta"), s("poke", "pokemon"), s(null, "alpha"));
        Map<StreamDescriptor, String> expected = new LinkedHashMap<>();
        expected.put(new StreamDescriptor(null, "zeta"), "_zeta");
        expected.put(new StreamDescriptor("poke", "pokemon"), "poke_pokemon");
        expected.put(new StreamDescriptor(null, "alpha"), "_alpha");
        assertEquals(new ArrayList<>(expected.entrySet()), new ArrayList<>(routes.kinesisStreams().entrySet()));
    }

    @Test
    void kinesisStreamsCannotBeModified() {
        StreamRoutes routes = routes(s(null, "users"));
        assertThrows(UnsupportedOperationException.class,
                () -> routes.kinesisStreams().put(new StreamDescriptor(null, "x"), "_x"));
    }

    @Test
    void describeMissingNamesTheStream() {
        StreamRoutes routes = routes(s(null, "users"));
        String message = routes.describeMissing("public", "orders");
        assertEquals("stream \"public.orders\" is not in the catalog", message);
    }

    @Test
    void describeMissingListsNearMissesWithTheSameName() {
        StreamRoutes routes = routes(s("a", "users"), s("b", "users"), s(null, "orders"));
        String message = routes.describeMissing(null, "users");
        assertTrue(message.contains("stream \"users\" is not in the catalog"), message);
        assertTrue(message.contains("a.users"), message);
        assertTrue(message.contains("b.users"), message);
        assertFalse(message.contains("orders"), message);
    }

    @Test
    void routesSurviveJavaSerialization() throws Exception {
        StreamRoutes routes = routes(s(null, "users"), s("poke", "pokemon"));
        StreamRoutes copy = InstantiationUtil.clone(routes);
        assertEquals("_users", copy.kinesisStreamFor("public", "users"));
        assertEquals("poke_pokemon", copy.kinesisStreamFor(null, "pokemon"));
        assertEquals(routes.kinesisStreams(), copy.kinesisStreams());
    }
}
