package org.airbytekinesis.flink.airbyte;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class StreamDescriptorTest {
    @Test
    void aStreamIsItsNameAndNamespaceTogether() {
        StreamDescriptor users = new StreamDescriptor(null, "users");
        assertEquals(new StreamDescriptor(null, "users"), users);
        assertEquals(new StreamDescriptor(null, "users").hashCode(), users.hashCode());
        assertEquals(new StreamDescriptor("public", "users"), new StreamDescriptor("public", "users"));
        assertNotEquals(new StreamDescriptor("public", "users"), users);
        assertNotEquals(users, new StreamDescriptor("public", "users"));
        assertNotEquals(new StreamDescriptor("public", "users"), new StreamDescriptor("public", "orders"));
        assertNotEquals(users, (Object) "users", "not equal to its name");
    }

    @Test
    void itIsWrittenNamespaceDotName() {
        assertEquals("users", new StreamDescriptor(null, "users").toString());
        assertEquals("public.users", new StreamDescriptor("public", "users").toString());
    }
}
