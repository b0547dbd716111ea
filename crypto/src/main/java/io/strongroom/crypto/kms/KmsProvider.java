package io.strongroom.crypto.kms;

import java.util.ServiceLoader;

/**
 * The service-provider interface of a KMS backend, found by {@link ServiceLoader} (list the class in
 * {@code META-INF/services/io.strongroom.crypto.kms.KmsProvider}). A deployment picks one by {@code kms.type}
 * ({@link #name()}); its settings are the mapping under {@code kms.<configKey>} of the configuration file, bound
 * to {@link #configType()} (a record, keys kebab-case) with the same rules as the rest of the file: unknown keys
 * are errors, every leaf can be overridden by {@code STRONGROOM_KMS_<CONFIGKEY>_<KEY>}, and the selected backend's
 * missing section binds as an empty mapping, so the record's compact constructor supplies the defaults and
 * validates (a section present is bound and checked even if another backend is selected).
 *
 * <p>The caller wraps what {@link #create} returns with retries, metrics, an unwrap cache and auditing: a
 * provider builds the bare backend and nothing else, and must pass the shared contract test
 * ({@code io.strongroom.testkit.KmsContract}).
 *
 * @param <C> the backend's own configuration record
 */
public interface KmsProvider<C> {

    /** The {@code kms.type} that selects this backend, e.g. {@code local}; also the key id scheme, by convention. */
    String name();

    /** The key of this backend's section under {@code kms} (its {@link #name()} unless it says otherwise). */
    default String configKey() {
        return name();
    }

    /** The record the {@code kms.<configKey>} section binds to; its compact constructor validates and defaults. */
    Class<C> configType();

    /**
     * Opens the backend.
     *
     * @param config this backend's settings, as bound from the configuration file
     * @param context the deployment's environment and where secrets come from
     * @throws IllegalArgumentException for settings that cannot work (message naming the setting)
     * @throws KmsException if the backend cannot be reached or opened
     */
    ManagedKms create(C config, KmsContext context);
}
