package io.strongroom.testkit;

import io.strongroom.crypto.kms.Kms;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The KMS contract against the local (Tink keyset) backend. */
class LocalKmsContractTest extends KmsContract {
    @TempDir Path dir;

    @Override
    protected Kms open(boolean autoCreate) {
        return TestKms.local(dir, autoCreate);
    }
}
