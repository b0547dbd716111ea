package io.strongroom.cli.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.KmsProviders;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads the YAML configuration file, applies environment-variable overrides and validates it.
 *
 * <p>Keys are kebab-case ({@code kafka.bootstrap-servers}). Every leaf key can be overridden by
 * an environment variable named {@code STRONGROOM_} plus the key path in upper case with
 * {@code .} and {@code -} turned into {@code _} ({@code STRONGROOM_KAFKA_BOOTSTRAP_SERVERS});
 * list values are comma-separated. Any problem becomes a {@link ConfigException} whose message is
 * one line naming the file, the key and, where known, the line.
 *
 * <p>The KMS backend's settings are its {@link KmsProvider}'s: each provider's section, {@code kms.<config key>},
 * binds to that provider's own record by the same rules (its keys are overridable too), so a backend added by a
 * provider on the class path needs nothing here.
 */
public final class ConfigLoader {
    /** Prefix of override variables. */
    public static final String ENV_PREFIX = "STRONGROOM_";
    private static final PropertyNamingStrategies.KebabCaseStrategy KEBAB = new PropertyNamingStrategies.KebabCaseStrategy();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .registerModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigLoader() {}

    /**
     * Loads {@code file} with overrides from {@code env}.
     *
     * @throws ConfigException on any problem, with a one-line message
     */
    public static StrongroomConfig load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("cannot read config file " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException("cannot read config file " + file + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        JsonNode tree;
        try {
            tree = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config " + file + ": invalid YAML" + at(e.getLocation()) + ": "
                    + firstLine(e.getOriginalMessage()));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = YAML.createObjectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException("config " + file + ": the top level must be a mapping of keys, got " + tree.getNodeType());
        }
        applyOverrides((ObjectNode) tree, env);
        Map<String, Integer> lines = lines(text);
        Map<String, JsonNode> sections = kmsSections(file, (ObjectNode) tree, lines);
        StrongroomConfig config;
        try {
            config = YAML.treeToValue(tree, StrongroomConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(explain(file, e, lines, ""));
        }
        // the selected backend's section, and every other one present: a provider on the class path that this file
        // does not use and does not configure is not asked for its defaults
        Map<String, Object> backends = new LinkedHashMap<>();
        for (KmsProvider<?> p : KmsProviders.all().values()) {
            JsonNode section = sections.get(p.name());
            if (section == null && !p.name().equals(config.kms().type())) {
                continue;
            }
            String prefix = "kms." + p.configKey() + ".";
            try {
                backends.put(p.name(), YAML.treeToValue(section != null ? section : YAML.createObjectNode(), p.configType()));
            } catch (JsonProcessingException e) {
                throw new ConfigException(explain(file, e, lines, prefix));
            }
        }
        return config.withKms(config.kms().withBackends(backends));
    }

    /**
     * Takes every KMS provider's section ({@code kms.<config key>}) out of {@code root}, by provider name: each binds to
     * its provider's own record. A key under {@code kms} that is neither a shared setting nor a provider's is an error.
     */
    private static Map<String, JsonNode> kmsSections(Path file, ObjectNode root, Map<String, Integer> lines) {
        Map<String, JsonNode> sections = new LinkedHashMap<>();
        if (!(root.get("kms") instanceof ObjectNode kms)) {
            return sections; // absent (defaults), or not a mapping (reported when binding)
        }
        SortedSet<String> known = new TreeSet<>();
        for (RecordComponent c : StrongroomConfig.KmsSettings.class.getRecordComponents()) {
            if (!Map.class.isAssignableFrom(c.getType())) {
                known.add(KEBAB.translate(c.getName()));
            }
        }
        for (KmsProvider<?> p : KmsProviders.all().values()) {
            if (!known.add(p.configKey())) {
                throw new IllegalStateException("KMS provider '" + p.name() + "' reads kms." + p.configKey()
                        + ", a setting every backend shares: give it another configKey()");
            }
        }
        for (Iterator<String> names = kms.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String key = "kms." + name;
                String line = lines.containsKey(key) ? " at line " + lines.get(key) : "";
                throw new ConfigException("config " + file + ": unknown key '" + key + "'" + line + " (known keys here: "
                        + String.join(", ", known) + ")");
            }
        }
        for (KmsProvider<?> p : KmsProviders.all().values()) {
            JsonNode section = kms.remove(p.configKey());
            if (section != null && !section.isNull()) {
                sections.put(p.name(), section);
            }
        }
        return sections;
    }

    /** What {@code type} (a provider's config record) holds when its section is absent: its compact constructor's defaults. */
    static <C> C defaults(Class<C> type) {
        try {
            return YAML.treeToValue(YAML.createObjectNode(), type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the defaults of " + type.getName() + " do not bind: " + e.getOriginalMessage(), e);
        }
    }

    /** Every overridable key path and its environment variable name. */
    public static Map<String, String> overridableKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        collect(StrongroomConfig.class, "", keys);
        for (KmsProvider<?> p : KmsProviders.all().values()) {
            collect(p.configType(), "kms." + p.configKey() + ".", keys);
        }
        return keys;
    }

    private static void collect(Class<?> type, String prefix, Map<String, String> keys) {
        for (RecordComponent c : type.getRecordComponents()) {
            String path = prefix + KEBAB.translate(c.getName());
            if (c.getType().isRecord()) {
                collect(c.getType(), path + ".", keys);
            } else if (!Map.class.isAssignableFrom(c.getType())) {
                keys.put(path, ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            }
        }
    }

    private static void applyOverrides(ObjectNode root, Map<String, String> env) {
        overridableKeys().forEach((path, variable) -> {
            String value = env.get(variable);
            if (value == null) {
                return;
            }
            String[] parts = path.split("\\.");
            ObjectNode node = root;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = node.get(parts[i]);
                node = child instanceof ObjectNode o ? o : node.putObject(parts[i]);
            }
            String leaf = parts[parts.length - 1];
            if (path.equals("coordinator.tenants") || path.equals("ingest.tenants")) {
                var array = node.putArray(leaf);
                for (String item : value.split(",")) {
                    if (!item.isBlank()) {
                        array.add(item.trim());
                    }
                }
            } else {
                node.put(leaf, value);
            }
        });
    }

    /** Line of every key path in the file (binding from a tree loses source locations). */
    private static Map<String, Integer> lines(String text) {
        Map<String, Integer> lines = new LinkedHashMap<>();
        try (JsonParser p = YAML.getFactory().createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME) {
                    String pointer = p.getParsingContext().pathAsPointer().toString();
                    lines.putIfAbsent(pointer.substring(1).replace('/', '.'), p.currentTokenLocation().getLineNr());
                }
            }
        } catch (IOException e) {
            // already parsed once; no line numbers then
        }
        return lines;
    }

    /** One line for {@code e}; {@code prefix} is the path of the node that was bound ({@code kms.local.}), or empty. */
    private static String explain(Path file, JsonProcessingException e, Map<String, Integer> lines, String prefix) {
        String relative = e instanceof JsonMappingException m ? path(m.getPath()) : "";
        String key = relative.isEmpty() ? (prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1)) : prefix + relative;
        String line = lines.containsKey(key) ? " at line " + lines.get(key) : "";
        String where = "config " + file + ": ";
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            return where + "unknown key '" + key + "'" + line + " (known keys here: " + known + ")";
        }
        if (e instanceof ValueInstantiationException v && v.getCause() != null) {
            Throwable cause = v.getCause();
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            return where + firstLine(cause.getMessage());
        }
        if (e instanceof InvalidFormatException f) {
            return where + "wrong type for '" + key + "'" + line + ": expected " + typeName(f.getTargetType())
                    + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m) {
            return where + "wrong type for '" + key + "'" + line + ": expected " + typeName(m.getTargetType());
        }
        return where + (key.isEmpty() ? "" : "'" + key + "': ") + firstLine(e.getOriginalMessage());
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == Integer.class || type == int.class || type == Short.class || type == Long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == Duration.class) {
            return "an ISO-8601 duration such as PT30S";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a mapping";
        }
        if (type.isEnum()) {
            return "one of " + List.of(type.getEnumConstants());
        }
        if (type.isRecord()) {
            return "a mapping of keys";
        }
        return type.getSimpleName();
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        List<String> parts = new ArrayList<>();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                parts.add(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                parts.set(parts.size() - 1, parts.get(parts.size() - 1) + "[" + r.getIndex() + "]");
            }
        }
        return String.join(".", parts);
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : " at line " + location.getLineNr() + ", column "
                + location.getColumnNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid value";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).trim();
    }
}
