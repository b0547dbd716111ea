package io.strongroom.testkit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.CancelKeyDeletionRequest;
import software.amazon.awssdk.services.kms.model.CancelKeyDeletionResponse;
import software.amazon.awssdk.services.kms.model.CreateAliasRequest;
import software.amazon.awssdk.services.kms.model.CreateAliasResponse;
import software.amazon.awssdk.services.kms.model.CreateKeyRequest;
import software.amazon.awssdk.services.kms.model.CreateKeyResponse;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DescribeKeyRequest;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.DisableKeyRequest;
import software.amazon.awssdk.services.kms.model.DisableKeyResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.EnableKeyRequest;
import software.amazon.awssdk.services.kms.model.EnableKeyResponse;
import software.amazon.awssdk.services.kms.model.EncryptRequest;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.ListAliasesRequest;
import software.amazon.awssdk.services.kms.model.ListAliasesResponse;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.ScheduleKeyDeletionRequest;
import software.amazon.awssdk.services.kms.model.ScheduleKeyDeletionResponse;
import software.amazon.awssdk.services.kms.model.UpdateAliasRequest;
import software.amazon.awssdk.services.kms.model.UpdateAliasResponse;

/**
 * An in-memory stand-in for AWS KMS behind the SDK's {@link KmsClient} interface, for tests of the
 * aws-kms backend: symmetric keys with real AES-GCM, encryption context bound like AWS binds it,
 * key states (Enabled, Disabled, PendingDeletion), aliases, and AWS's exception types. Every
 * request is recorded. {@link #failNext} injects a service error.
 */
public final class FakeAwsKmsClient implements KmsClient {
    private record Key(String id, String arn, byte[] material, Instant created, String[] state, Instant[] deletion) {}

    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final List<Object> requests = Collections.synchronizedList(new ArrayList<>());
    private final SecureRandom random = new SecureRandom();
    private volatile Supplier<RuntimeException> nextFailure;

    /** Every request received, in order. */
    public List<Object> requests() {
        return List.copyOf(requests);
    }

    /** The next call fails with what {@code failure} makes. */
    public void failNext(Supplier<RuntimeException> failure) {
        nextFailure = failure;
    }

    private void enter(Object request) {
        requests.add(request);
        Supplier<RuntimeException> f = nextFailure;
        if (f != null) {
            nextFailure = null;
            throw f.get();
        }
    }

    private static AwsErrorDetails details(String code, String message) {
        return AwsErrorDetails.builder().errorCode(code).errorMessage(message).build();
    }

    private Key resolve(String keyIdOrAlias) {
        String id = keyIdOrAlias.startsWith("alias/") ? aliases.get(keyIdOrAlias) : keyIdOrAlias;
        Key key = id == null ? null : keys.values().stream().filter(k -> k.id().equals(id) || k.arn().equals(id))
                .findFirst().orElse(null);
        if (key == null) {
            throw NotFoundException.builder().message(keyIdOrAlias + " not found").statusCode(400)
                    .awsErrorDetails(details("NotFoundException", keyIdOrAlias + " is not found.")).build();
        }
        return key;
    }

    private static void usable(Key key) {
        if (key.state()[0].equals("Disabled")) {
            throw DisabledException.builder().statusCode(400).awsErrorDetails(details("DisabledException", key.arn() + " is disabled."))
                    .message("disabled").build();
        }
        if (key.state()[0].equals("PendingDeletion")) {
            throw KmsInvalidStateException.builder().statusCode(400)
                    .awsErrorDetails(details("KMSInvalidStateException", key.arn() + " is pending deletion.")).message("pending").build();
        }
    }

    private static KeyMetadata metadata(Key k) {
        return KeyMetadata.builder().keyId(k.id()).arn(k.arn()).creationDate(k.created()).keyState(k.state()[0])
                .deletionDate(k.deletion()[0]).build();
    }

    private static byte[] aad(Map<String, String> context) {
        return new TreeMap<>(context == null ? Map.of() : context).toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CreateKeyResponse createKey(CreateKeyRequest request) {
        enter(request);
        String id = UUID.randomUUID().toString();
        byte[] material = new byte[32];
        random.nextBytes(material);
        Key key = new Key(id, "arn:aws:kms:us-east-1:111122223333:key/" + id, material, Instant.now(),
                new String[] {"Enabled"}, new Instant[1]);
        keys.put(id, key);
        return CreateKeyResponse.builder().keyMetadata(metadata(key)).build();
    }

    @Override
    public CreateAliasResponse createAlias(CreateAliasRequest request) {
        enter(request);
        aliases.put(request.aliasName(), resolve(request.targetKeyId()).id());
        return CreateAliasResponse.builder().build();
    }

    @Override
    public UpdateAliasResponse updateAlias(UpdateAliasRequest request) {
        enter(request);
        resolve(request.aliasName());
        aliases.put(request.aliasName(), resolve(request.targetKeyId()).id());
        return UpdateAliasResponse.builder().build();
    }

    @Override
    public DescribeKeyResponse describeKey(DescribeKeyRequest request) {
        enter(request);
        return DescribeKeyResponse.builder().keyMetadata(metadata(resolve(request.keyId()))).build();
    }

    @Override
    public ListAliasesResponse listAliases(ListAliasesRequest request) {
        enter(request);
        List<AliasListEntry> entries = new ArrayList<>();
        aliases.forEach((name, id) -> entries.add(AliasListEntry.builder().aliasName(name)
                .targetKeyId(keys.containsKey(id) ? id : null).build()));
        return ListAliasesResponse.builder().aliases(entries).truncated(false).build();
    }

    @Override
    public EncryptResponse encrypt(EncryptRequest request) {
        enter(request);
        Key key = resolve(request.keyId());
        usable(key);
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.material(), "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad(request.encryptionContext()));
            byte[] ct = c.doFinal(request.plaintext().asByteArray());
            byte[] id = key.id().getBytes(StandardCharsets.US_ASCII);
            byte[] blob = ByteBuffer.allocate(1 + id.length + 12 + ct.length).put((byte) id.length).put(id).put(iv).put(ct).array();
            return EncryptResponse.builder().keyId(key.arn()).ciphertextBlob(SdkBytes.fromByteArray(blob)).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public DecryptResponse decrypt(DecryptRequest request) {
        enter(request);
        ByteBuffer blob = request.ciphertextBlob().asByteBuffer();
        Key key;
        byte[] iv = new byte[12];
        byte[] ct;
        try {
            byte[] id = new byte[Byte.toUnsignedInt(blob.get())];
            blob.get(id);
            blob.get(iv);
            ct = new byte[blob.remaining()];
            blob.get(ct);
            key = resolve(new String(id, StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            if (e instanceof NotFoundException) {
                throw e;
            }
            throw InvalidCiphertextException.builder().statusCode(400)
                    .awsErrorDetails(details("InvalidCiphertextException", "malformed")).message("malformed").build();
        }
        if (request.keyId() != null && !resolve(request.keyId()).id().equals(key.id())) {
            throw IncorrectKeyException.builder().statusCode(400)
                    .awsErrorDetails(details("IncorrectKeyException", "wrong key")).message("wrong key").build();
        }
        usable(key);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.material(), "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad(request.encryptionContext()));
            return DecryptResponse.builder().keyId(key.arn()).plaintext(SdkBytes.fromByteArray(c.doFinal(ct))).build();
        } catch (GeneralSecurityException e) {
            throw InvalidCiphertextException.builder().statusCode(400)
                    .awsErrorDetails(details("InvalidCiphertextException", "does not authenticate")).message("invalid").build();
        }
    }

    @Override
    public DisableKeyResponse disableKey(DisableKeyRequest request) {
        enter(request);
        resolve(request.keyId()).state()[0] = "Disabled";
        return DisableKeyResponse.builder().build();
    }

    @Override
    public EnableKeyResponse enableKey(EnableKeyRequest request) {
        enter(request);
        resolve(request.keyId()).state()[0] = "Enabled";
        return EnableKeyResponse.builder().build();
    }

    @Override
    public ScheduleKeyDeletionResponse scheduleKeyDeletion(ScheduleKeyDeletionRequest request) {
        enter(request);
        Key key = resolve(request.keyId());
        key.state()[0] = "PendingDeletion";
        key.deletion()[0] = Instant.now().plusSeconds(86_400L * request.pendingWindowInDays());
        return ScheduleKeyDeletionResponse.builder().keyId(key.arn()).deletionDate(key.deletion()[0]).build();
    }

    @Override
    public CancelKeyDeletionResponse cancelKeyDeletion(CancelKeyDeletionRequest request) {
        enter(request);
        Key key = resolve(request.keyId());
        key.state()[0] = "Disabled";
        key.deletion()[0] = null;
        return CancelKeyDeletionResponse.builder().keyId(key.arn()).build();
    }

    @Override
    public String serviceName() {
        return "kms";
    }

    @Override
    public void close() {
        // nothing to release
    }
}
