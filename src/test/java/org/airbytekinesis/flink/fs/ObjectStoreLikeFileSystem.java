package org.airbytekinesis.flink.fs;

import java.net.URI;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.FileSystemKind;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * The local disk under the scheme {@code objectstore-test://}, declaring itself an object store,
 * so that code choosing a way of writing by {@link FileSystem#getKind()} can be tested without
 * S3. Registered through {@code META-INF/services} in the test resources.
 */
public final class ObjectStoreLikeFileSystem extends LocalFileSystem {
    public static final String SCHEME = "objectstore-test";

    @Override
    public FileSystemKind getKind() {
        return FileSystemKind.OBJECT_STORE;
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    public static final class Factory implements FileSystemFactory {
        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public FileSystem create(URI fsUri) {
            return new ObjectStoreLikeFileSystem();
        }
    }
}
