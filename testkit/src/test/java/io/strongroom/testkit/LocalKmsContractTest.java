package io.strongroom.testkit;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.local.LocalKmsConfig;
import io.strongroom.crypto.kms.local.LocalKmsProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The KMS contract against the local (Tink keyset) backend, opened through its provider ({@code kms.type: local}). */
class LocalKmsContractTest extends KmsContract {
    @TempDir Path dir;

    @Override
    protected ManagedKms open(boolean autoCreate) throws Exception {
        // the directory is made at a low PBKDF2 cost first: later opens, the provider's included, read it from the file
        if (!Files.exists(dir.resolve("master.json"))) {
            TestKms.local(dir, false).close();
        }
        return provided("local", new LocalKmsConfig(dir.toString(), autoCreate, null, false),
                new KmsContext("test", Map.of(LocalKmsProvider.PASSPHRASE_VARIABLE, TestKms.PASSPHRASE)));
    }
}
