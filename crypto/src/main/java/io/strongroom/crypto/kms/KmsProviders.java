package io.strongroom.crypto.kms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The {@link KmsProvider}s on the class path: Strongroom's own first ({@code local}, {@code pkcs11}, {@code aws-kms}, in
 * the order of crypto's services file), then any other by name, whatever the class path's order.
 */
public final class KmsProviders {
    private static final String OWN = "io.strongroom.crypto.kms.";
    private static volatile Map<String, KmsProvider<?>> loaded;

    private KmsProviders() {}

    /** Every provider, by {@link KmsProvider#name()}. */
    public static Map<String, KmsProvider<?>> all() {
        Map<String, KmsProvider<?>> result = loaded;
        if (result == null) {
            result = load();
            loaded = result;
        }
        return result;
    }

    /** The names {@code kms.type} may take. */
    public static List<String> names() {
        return new ArrayList<>(all().keySet());
    }

    /**
     * The provider that {@code kms.type} {@code type} selects.
     *
     * @throws IllegalArgumentException naming the types there are
     */
    public static KmsProvider<?> named(String type) {
        KmsProvider<?> provider = all().get(type);
        if (provider == null) {
            throw new IllegalArgumentException("kms.type must be one of " + names() + ", got '" + type + "'");
        }
        return provider;
    }

    private static Map<String, KmsProvider<?>> load() {
        List<KmsProvider<?>> own = new ArrayList<>();
        List<KmsProvider<?>> others = new ArrayList<>();
        try {
            for (KmsProvider<?> p : ServiceLoader.load(KmsProvider.class, KmsProvider.class.getClassLoader())) {
                (p.getClass().getName().startsWith(OWN) ? own : others).add(p);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load the KMS providers: " + e.getMessage(), e);
        }
        others.sort(Comparator.comparing(KmsProvider::name));
        List<KmsProvider<?>> ordered = new ArrayList<>(own);
        ordered.addAll(others);
        Map<String, KmsProvider<?>> byName = new LinkedHashMap<>();
        Map<String, String> byKey = new LinkedHashMap<>();
        for (KmsProvider<?> p : ordered) {
            KmsProvider<?> other = byName.putIfAbsent(p.name(), p);
            if (other != null) {
                throw new IllegalStateException("two KMS providers are named '" + p.name() + "': "
                        + other.getClass().getName() + " and " + p.getClass().getName());
            }
            String clash = byKey.putIfAbsent(p.configKey(), p.name());
            if (clash != null) {
                throw new IllegalStateException("KMS providers '" + clash + "' and '" + p.name()
                        + "' both read kms." + p.configKey());
            }
            if (!p.configType().isRecord()) {
                throw new IllegalStateException("KMS provider '" + p.name() + "': its config type "
                        + p.configType().getName() + " is not a record");
            }
        }
        return Collections.unmodifiableMap(byName);
    }
}
