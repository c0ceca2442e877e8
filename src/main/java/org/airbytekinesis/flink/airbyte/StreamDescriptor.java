package org.airbytekinesis.flink.airbyte;

import java.io.Serializable;
import java.util.Objects;

/** An Airbyte stream's identity: its name and optional namespace (null and absent are the same). */
public final class StreamDescriptor implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String namespace;
    private final String name;

    public StreamDescriptor(String namespace, String name) {
        this.namespace = namespace;
        this.name = Objects.requireNonNull(name, "name");
    }

    /** May be null. */
    public String namespace() {
        return namespace;
    }

    public String name() {
        return name;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StreamDescriptor)) {
            return false;
        }
        StreamDescriptor other = (StreamDescriptor) o;
        return Objects.equals(namespace, other.namespace) && name.equals(other.name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(namespace, name);
    }

    /** {@code namespace.name}, or just {@code name} without a namespace, for messages. */
    @Override
    public String toString() {
        return namespace == null ? name : namespace + "." + name;
    }
}
