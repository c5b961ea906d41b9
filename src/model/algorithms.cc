// SPDX-License-Identifier: Apache-2.0
//
// Registry tables. Status follows RFC 8624 §3.1 and §3.3 for validating resolvers: algorithms a
// validator MUST or RECOMMENDS to support are recommended; those it MAY or MUST NOT support are
// deprecated (still accepted, with a warning); GOST (12, digest 3) is unsupported because neither
// OpenSSL 3 nor the resolvers in Debian 12 validate it.

#include "model/algorithms.h"

#include <array>
#include <cctype>
#include <string>

namespace anchorage::model {
namespace {

using S = RegistryStatus;

constexpr std::array kAlgorithms = {
    AlgorithmInfo{0, "DELETE", S::kReserved},
    AlgorithmInfo{1, "RSAMD5", S::kDeprecated},
    AlgorithmInfo{2, "DH", S::kReserved},
    AlgorithmInfo{3, "DSA", S::kDeprecated},
    AlgorithmInfo{5, "RSASHA1", S::kDeprecated},
    AlgorithmInfo{6, "DSA-NSEC3-SHA1", S::kDeprecated},
    AlgorithmInfo{7, "RSASHA1-NSEC3-SHA1", S::kDeprecated},
    AlgorithmInfo{8, "RSASHA256", S::kRecommended},
    AlgorithmInfo{10, "RSASHA512", S::kDeprecated},
    // LIMITATION(L-0001): GOST is recognised but rejected; no resolver here validates it.
    AlgorithmInfo{12, "ECC-GOST", S::kUnsupported},
    AlgorithmInfo{13, "ECDSAP256SHA256", S::kRecommended},
    AlgorithmInfo{14, "ECDSAP384SHA384", S::kRecommended},
    AlgorithmInfo{15, "ED25519", S::kRecommended},
    AlgorithmInfo{16, "ED448", S::kRecommended},
    AlgorithmInfo{252, "INDIRECT", S::kReserved},
    AlgorithmInfo{253, "PRIVATEDNS", S::kReserved},
    AlgorithmInfo{254, "PRIVATEOID", S::kReserved},
};

constexpr std::array kDigests = {
    DigestInfo{1, "SHA-1", 20, S::kDeprecated},
    DigestInfo{2, "SHA-256", 32, S::kRecommended},
    DigestInfo{3, "GOST R 34.11-94", 32, S::kUnsupported},
    DigestInfo{4, "SHA-384", 48, S::kRecommended},
};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<AlgorithmInfo> findAlgorithm(uint8_t number) {
  for (const auto& a : kAlgorithms) {
    if (a.number == number) {
      return a;
    }
  }
  return std::nullopt;
}

std::optional<AlgorithmInfo> findAlgorithm(std::string_view mnemonic) {
  for (const auto& a : kAlgorithms) {
    if (equalsIgnoreCase(a.mnemonic, mnemonic)) {
      return a;
    }
  }
  return std::nullopt;
}

std::optional<DigestInfo> findDigest(uint8_t number) {
  for (const auto& d : kDigests) {
    if (d.number == number) {
      return d;
    }
  }
  return std::nullopt;
}

std::string_view algorithmName(uint8_t number) {
  static const auto kUnassigned = [] {
    std::array<std::string, 256> names;
    for (size_t i = 0; i < names.size(); ++i) {
      names[i] = "ALG" + std::to_string(i);
    }
    return names;
  }();
  if (auto a = findAlgorithm(number)) {
    return a->mnemonic;
  }
  return kUnassigned[number];
}

std::string_view statusName(RegistryStatus status) {
  switch (status) {
    case S::kRecommended:
      return "recommended";
    case S::kDeprecated:
      return "deprecated";
    case S::kUnsupported:
      return "unsupported";
    case S::kReserved:
      return "reserved";
  }
  return "reserved";
}

}  // namespace anchorage::model
