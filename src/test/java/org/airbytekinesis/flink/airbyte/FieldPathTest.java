package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FieldPathTest {
    @Test
    void aJsonPointerNamesTheKeysFromTheTopWithTildeEscapes() {
        assertEquals(List.of("customer", "id"), FieldPath.parsePointer("/customer/id").keys());
        assertEquals(List.of("a/b", "c~d", ""), FieldPath.parsePointer("/a~1b/c~0d/").keys());
        assertEquals(List.of("~1"), FieldPath.parsePointer("/~01").keys(), "~01 is ~ then 1, not /");
        assertEquals(List.of("is_default "), FieldPath.parsePointer("/is_default ").keys());
    }

    @Test
    void aPathWritesBackAsThePointerItCameFrom() {
        for (String pointer : List.of("/id", "/customer/id", "/a~1b/c~0d", "/é/日本")) {
            assertEquals(pointer, FieldPath.parsePointer(pointer).toString());
        }
        assertEquals("/fields/identifier", FieldPath.of(List.of("fields", "identifier")).toString());
        assertEquals(FieldPath.of(List.of("a/b")), FieldPath.parsePointer("/a~1b"));
    }

    @Test
    void somethingThatIsNotAPointerToAFieldIsRefusedSayingWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FieldPath.parsePointer("id")).getMessage()
                .contains("starts with /"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FieldPath.parsePointer("/")).getMessage()
                .contains("whole record"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FieldPath.parsePointer("/a~2")).getMessage()
                .contains("~0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FieldPath.parsePointer("/a~")).getMessage()
                .contains("~1"));
        assertThrows(IllegalArgumentException.class, () -> FieldPath.of(List.of()));
    }

    @Test
    void pathsAreEqualWhenTheirKeysAre() {
        assertEquals(FieldPath.of(List.of("a", "b")), FieldPath.parsePointer("/a/b"));
        assertEquals(FieldPath.of(List.of("a", "b")).hashCode(), FieldPath.parsePointer("/a/b").hashCode());
        assertNotEquals(FieldPath.of(List.of("a", "b")), FieldPath.parsePointer("/a"));
        assertNotEquals(FieldPath.of(List.of("a/b")), FieldPath.parsePointer("/a/b"));
        assertNotEquals(FieldPath.of(List.of("a")), (Object) "/a");
    }
}
