package org.airbytekinesis.flink.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KinesisStreamNamesTest {

    @Test
    void missingNamespaceGivesLeadingUnderscore() {
        assertEquals("_users", KinesisStreamNames.of(null, "users"));
    }

    @Test
    void emptyNamespaceIsLikeMissingNamespace() {
        assertEquals("_users", KinesisStreamNames.of("", "users"));
    }

    @Test
    void dotsDashesAndSpacesBecomeUnderscores() {
        assertEquals("my_db_public_order_items", KinesisStreamNames.of("my-db.public", "order items"));
    }

    @Test
    void accentsAreDroppedAndWhitespaceRunsBecomeOneUnderscore() {
        assertEquals("cafe_naive_str", KinesisStreamNames.of("café", "naïve  str"));
    }

    @Test
    void everySymbolBecomesItsOwnUnderscore() {
        assertEquals("__namespace_h___stream", KinesisStreamNames.of("**namespace^h", "##stream"));
    }

    @Test
    void tabsAndNewlinesAreWhitespaceRuns() {
        assertEquals("a_b_c_d", KinesisStreamNames.of("a\t\tb", "c \n\r\td"));
    }

    @Test
    void cyrillicLettersBecomeOneUnderscoreEach() {
        assertEquals("ns_____", KinesisStreamNames.of("ns", "Рома"));
        assertEquals("_____users", KinesisStreamNames.of("Рома", "users"));
    }

    @Test
    void compatibilityFormsAreDecomposed() {
        // NFKD turns the "fi" ligature into two letters and full-width digits into ASCII digits.
        assertEquals("_file12", KinesisStreamNames.of(null, "\uFB01le\uFF11\uFF12"));
    }

    @Test
    void longNamesAreCutTo128Characters() {
        String stream = "s".repeat(300);
        String name = KinesisStreamNames.of("ns", stream);
        assertEquals(KinesisStreamNames.MAX_LENGTH, name.length());
        assertEquals("ns_" + "s".repeat(125), name);
    }

    @Test
    void nameOfExactly128CharactersIsKept() {
        String stream = "x".repeat(127);
        assertEquals("_" + stream, KinesisStreamNames.of(null, stream));
    }

    @Test
    void truncationHappensAfterReplacement() {
        // 200 accented letters lose their marks first, so the cut keeps 128 plain letters.
        String stream = "é".repeat(200);
        assertEquals("_" + "e".repeat(127), KinesisStreamNames.of(null, stream));
    }
}
