// SPDX-License-Identifier: Apache-2.0
//
// The IANA registries a trust anchor refers to: DNSSEC algorithm numbers (RFC 8624 §3.1 gives the
// implementation status used here) and DS digest types (RFC 8624 §3.3).

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace anchorage::model {

/// How an algorithm or digest may be used in a trust anchor today.
enum class RegistryStatus {
  kRecommended,  ///< MUST or RECOMMENDED for validation.
  kDeprecated,   ///< Still validated, but NOT RECOMMENDED or MUST NOT for new keys: warn.
  kUnsupported,  ///< Assigned, but no supported resolver validates it (e.g. GOST): reject.
  kReserved,     ///< Not a signing algorithm (delete, indirect, private): reject.
};

/// One row of the DNSSEC algorithm registry.
struct AlgorithmInfo {
  uint8_t number;
  std::string_view mnemonic;  ///< e.g. "RSASHA256", "ECDSAP256SHA256".
  RegistryStatus status;
};

/// One row of the DS digest type registry.
struct DigestInfo {
  uint8_t number;
  std::string_view mnemonic;  ///< e.g. "SHA-256".
  size_t length;              ///< Digest length in octets.
  RegistryStatus status;
};

/// Looks up an algorithm number; nullopt when unassigned.
std::optional<AlgorithmInfo> findAlgorithm(uint8_t number);

/// Looks up an algorithm by mnemonic, case-insensitive ("ECDSAP256SHA256"); nullopt when unknown.
std::optional<AlgorithmInfo> findAlgorithm(std::string_view mnemonic);

/// Looks up a digest type; nullopt when unassigned.
std::optional<DigestInfo> findDigest(uint8_t number);

/// Returns the mnemonic of an algorithm, or "ALG<n>" when unassigned.
std::string_view algorithmName(uint8_t number);

/// Returns the lower-case name of a status, for output.
std::string_view statusName(RegistryStatus status);

}  // namespace anchorage::model
