#pragma once
// Secrets of live mode, kept off command lines (where `ps` shows them): the broker token and the secret
// that agents and their coordinator share. Reading one from a file or the environment, and proving that
// one knows it without sending it (HMAC-SHA256 challenge-response, docs/SECURITY.md).
#include <cstddef>
#include <string>

namespace qlab::live {

inline constexpr const char* kTokenVariable = "QLAB_TOKEN";    // the broker token of `qlab broker` and its clients
inline constexpr const char* kSecretVariable = "QLAB_SECRET";  // the agents' shared secret

// The secret in `file` (trailing whitespace and newlines dropped) when `file` is not empty, else the
// environment variable `variable`, else "". Throws std::invalid_argument when the file cannot be read or
// holds nothing.
std::string read_secret(const std::string& file, const char* variable);

// `bytes` random bytes as hex (the kernel's random source), for nonces and per-run tokens.
std::string random_hex(std::size_t bytes);

// HMAC-SHA256(key, message) as 64 hex digits.
std::string hmac_sha256_hex(const std::string& key, const std::string& message);

// a == b in a time that does not depend on where they differ.
bool equal_in_constant_time(const std::string& a, const std::string& b);

}  // namespace qlab::live
