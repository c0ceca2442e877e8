package org.airbytekinesis.flink.airbyte;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A path to a field of a record's data: the object keys from the top, as a catalog's
 * {@code primary_key} lists them ({@code ["customer", "id"]}) or as a JSON Pointer writes them
 * ({@code /customer/id}, RFC 6901: {@code ~1} is a {@code /} and {@code ~0} a {@code ~} inside a
 * key). Paths name object members only; an array on the way is a missing field.
 */
public final class FieldPath implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<String> keys;

    private FieldPath(List<String> keys) {
        this.keys = Collections.unmodifiableList(new ArrayList<>(keys));
    }

    /** @throws IllegalArgumentException when the list is empty */
    public static FieldPath of(List<String> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a field path needs at least one key");
        }
        return new FieldPath(keys);
    }

    /**
     * Parses a JSON Pointer to a field.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static FieldPath parsePointer(String pointer) {
        if (pointer.isEmpty() || pointer.charAt(0) != '/') {
            throw new IllegalArgumentException("a field path starts with / (a JSON Pointer such as /customer/id)");
        }
        if (pointer.length() == 1) {
            throw new IllegalArgumentException("a field path names a field: / alone is the whole record");
        }
        List<String> keys = new ArrayList<>();
        for (String segment : pointer.substring(1).split("/", -1)) {
            StringBuilder key = new StringBuilder(segment.length());
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c != '~') {
                    key.append(c);
                    continue;
                }
                char next = i + 1 < segment.length() ? segment.charAt(i + 1) : 0;
                if (next != '0' && next != '1') {
                    throw new IllegalArgumentException("in a field path ~ is written ~0 and / is written ~1");
                }
                key.append(next == '0' ? '~' : '/');
                i++;
            }
            keys.add(key.toString());
        }
        return new FieldPath(keys);
    }

    public List<String> keys() {
        return keys;
    }

    /** The path as a JSON Pointer. */
    @Override
    public String toString() {
        StringBuilder pointer = new StringBuilder();
        for (String key : keys) {
            pointer.append('/').append(key.replace("~", "~0").replace("/", "~1"));
        }
        return pointer.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldPath && keys.equals(((FieldPath) o).keys);
    }

    @Override
    public int hashCode() {
        return keys.hashCode();
    }
}
