package io.strongroom.crypto.kms.pkcs11;

import static sun.security.pkcs11.wrapper.PKCS11Constants.CKA_CLASS;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKA_KEY_TYPE;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKA_LABEL;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKA_TOKEN;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKF_RW_SESSION;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKF_SERIAL_SESSION;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKK_AES;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKO_SECRET_KEY;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKS_RO_USER_FUNCTIONS;
import static sun.security.pkcs11.wrapper.PKCS11Constants.CKS_RW_USER_FUNCTIONS;

import io.strongroom.crypto.kms.KmsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * The token's AES secret key objects, labelled or not, through the PKCS#11 wrapper SunPKCS11 itself
 * runs on ({@code sun.security.pkcs11.wrapper}, same module instance, so the provider's login
 * holds): the JCA key store shows only labelled keys and cannot destroy anything else. Needs the
 * JVM option {@value #EXPORT_OPTION}; {@link #open} says so when it is missing.
 */
final class TokenObjects implements AutoCloseable {
    static final String MODULE = "jdk.crypto.cryptoki";
    static final String PACKAGE = "sun.security.pkcs11.wrapper";
    static final String EXPORT_OPTION = "--add-exports " + MODULE + "/" + PACKAGE + "=ALL-UNNAMED";

    /** An AES secret key object on the token; {@code label} is "" when it has none. */
    record Key(long handle, String label) {}

    private final PKCS11 p11;
    private final long session;

    private TokenObjects(PKCS11 p11, long session) {
        this.p11 = p11;
        this.session = session;
    }

    /** Whether this JVM lets Strongroom use the wrapper. */
    static boolean accessible() {
        return ModuleLayer.boot().findModule(MODULE).map(m -> m.isExported(PACKAGE, TokenObjects.class.getModule()))
                .orElse(false);
    }

    /**
     * A session on the token the provider has logged in to ({@code library} and {@code slotListIndex}
     * as in its configuration, so the wrapper finds the module it loaded).
     */
    static TokenObjects open(String library, int slotListIndex) {
        if (!accessible()) {
            throw new KmsException("listing the PKCS#11 token's objects needs the JVM option " + EXPORT_OPTION
                    + " (the strongroom jar's manifest sets it for java -jar; add it when running from a class path)");
        }
        try {
            PKCS11 p11 = PKCS11.getInstance(library, "C_GetFunctionList", null, false);
            long[] slots = p11.C_GetSlotList(false); // as SunPKCS11 resolves slotListIndex
            if (slotListIndex >= slots.length) {
                throw new KmsException("PKCS#11 module " + library + " has " + slots.length + " slots, no slot index " + slotListIndex);
            }
            long session = p11.C_OpenSession(slots[slotListIndex], CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
            long state = p11.C_GetSessionInfo(session).state;
            if (state != CKS_RW_USER_FUNCTIONS && state != CKS_RO_USER_FUNCTIONS) {
                p11.C_CloseSession(session);
                throw new KmsException("PKCS#11 session on " + library + " slot index " + slotListIndex
                        + " is not logged in (state " + state + ")");
            }
            return new TokenObjects(p11, session);
        } catch (IOException | PKCS11Exception e) {
            throw new KmsException("cannot open a PKCS#11 session on " + library + " slot index " + slotListIndex + ": "
                    + e.getMessage(), e);
        }
    }

    /** Every AES secret key that is a token object (not a session object), labelled or not. */
    List<Key> aesSecretKeys() {
        try {
            p11.C_FindObjectsInit(session, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY),
                new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES)});
            List<Long> handles = new ArrayList<>();
            try {
                for (long[] batch = p11.C_FindObjects(session, 100); batch.length > 0; batch = p11.C_FindObjects(session, 100)) {
                    for (long h : batch) {
                        handles.add(h);
                    }
                }
            } finally {
                p11.C_FindObjectsFinal(session);
            }
            List<Key> keys = new ArrayList<>();
            for (long h : handles) {
                keys.add(new Key(h, label(h)));
            }
            return keys;
        } catch (PKCS11Exception e) {
            throw new KmsException("cannot list the PKCS#11 token's secret keys: " + e.getMessage(), e);
        }
    }

    /**
     * Destroys the object {@code key} names, after checking that the handle still names an AES
     * secret key token object with the same label (a handle may be reused once its object is gone).
     */
    void destroy(Key key) {
        try {
            if (!aesSecretKeys().contains(key)) {
                throw new KmsException("token object " + key.handle() + " is no longer the AES key "
                        + (key.label().isEmpty() ? "without a label" : "labelled " + key.label()) + "; not destroyed");
            }
            p11.C_DestroyObject(session, key.handle());
        } catch (PKCS11Exception e) {
            throw new KmsException("cannot destroy token object " + key.handle() + ": " + e.getMessage(), e);
        }
    }

    private String label(long handle) throws PKCS11Exception {
        CK_ATTRIBUTE[] label = {new CK_ATTRIBUTE(CKA_LABEL)};
        p11.C_GetAttributeValue(session, handle, label);
        return label[0].pValue == null ? "" : new String(label[0].getCharArray());
    }

    @Override
    public void close() {
        try {
            p11.C_CloseSession(session);
        } catch (PKCS11Exception e) {
            throw new KmsException("cannot close the PKCS#11 session: " + e.getMessage(), e);
        }
    }

}
