package io.strongroom.crypto.kms;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link KmsProvider} may know of the deployment besides its own settings.
 *
 * @param environment the deployment's environment name ({@code prod}, {@code dev}…), bound into every segment
 * @param variables the process environment, where secrets named by a setting may come from
 */
public record KmsContext(String environment, Map<String, String> variables) {
    public KmsContext {
        Objects.requireNonNull(environment, "environment");
        variables = Map.copyOf(Objects.requireNonNullElse(variables, Map.of()));
    }

    /**
     * A secret from a file (preferred) or an environment variable; never from the configuration file itself.
     *
     * @param fileKey the setting naming the file, e.g. {@code kms.local.passphrase-file}
     * @param file its value, or null
     * @param variable the environment variable read when {@code file} is null
     * @param what what needs it, e.g. {@code local KMS needs a passphrase}
     * @throws IllegalArgumentException naming the file, or the variable and the setting, if there is none
     */
    public char[] secret(String fileKey, String file, String variable, String what) {
        if (file != null) {
            try {
                return Files.readString(Path.of(file)).strip().toCharArray();
            } catch (IOException e) {
                throw new IllegalArgumentException(fileKey + ": cannot read " + file + ": " + e.getMessage());
            }
        }
        String value = variables.get(variable);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the " + what + ": set " + variable + " or " + fileKey);
        }
        return value.toCharArray();
    }
}
