package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Pkcs11ToolTest {
    @Test
    void everyListedObjectIsParsedTheLastOneToo() {
        String out = """
                Secret Key Object; AES length 32
                  label:      strongroom:acme:v2
                  Usage:      encrypt, decrypt, verify, wrap, unwrap
                  Access:     sensitive, always sensitive, never extractable, local
                Secret Key Object; AES length 32
                  label:      
                  Usage:      encrypt, decrypt, verify, wrap, unwrap
                  Access:     sensitive, always sensitive, never extractable, local
                """;
        assertThat(Pkcs11Tool.parse(out)).containsExactly(
                new Pkcs11Tool.SecretKey("Secret Key Object; AES length 32", "strongroom:acme:v2",
                        "sensitive, always sensitive, never extractable, local"),
                new Pkcs11Tool.SecretKey("Secret Key Object; AES length 32", "",
                        "sensitive, always sensitive, never extractable, local"));
        assertThat(Pkcs11Tool.parse(out.strip())).as("without a final newline").hasSize(2);
        assertThat(Pkcs11Tool.parse("")).isEmpty();
    }
}
