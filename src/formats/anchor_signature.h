// SPDX-License-Identifier: Apache-2.0
//
// Publisher signatures over trust anchors (DESIGN §4, "optional signed anchors"): a publisher
// signs each anchor it writes with an Ed25519 key, and agents configured with the publishers'
// public keys refuse anchors that none of them signed. This protects the resolvers against a
// directory administrator, or a compromised replica, who is not a DNS trust administrator.
//
// What is signed is the record alone, in one canonical line:
//   "anchorage-anchor-v1 <owner, canonical> <DS|DNSKEY> <RDATA, canonical presentation>"
// so the same anchor signs the same in an Anchorage scope and in an AD TrustAnchors zone. The
// key state is not signed: RFC 5011 refreshers (agents, which hold no publisher key) change it.
// The text stored beside the anchor is "ed25519 <key id> <base64 signature>", the key id being
// the first 8 octets of SHA-256 over the raw 32-octet public key, in hex.

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/anchor.h"
#include "util/result.h"

namespace anchorage::formats {

/// The canonical line a publisher signs for `record`.
std::string signedAnchorText(const model::AnchorRecord& record);

/// Signs anchors with one Ed25519 private key.
class AnchorSigner {
 public:
  /// Loads a PEM private key (as `openssl genpkey -algorithm ed25519` writes it). Errors: the
  /// file cannot be read (kNotFound, kIo), or holds no Ed25519 private key (kInvalidInput).
  static Result<AnchorSigner> load(const std::string& path);

  /// "ed25519 <key id> <base64 signature>" over signedAnchorText(record).
  std::string sign(const model::AnchorRecord& record) const;

  const std::string& keyId() const { return key_id_; }

 private:
  struct Key;
  std::shared_ptr<Key> key_;
  std::string key_id_;
};

/// Checks publisher signatures against a set of trusted Ed25519 public keys.
class AnchorVerifier {
 public:
  /// Loads PEM public keys (`openssl pkey -pubout`). Errors: as AnchorSigner::load(), per path,
  /// and the same key given twice (kConfig).
  static Result<AnchorVerifier> load(const std::vector<std::string>& paths);

  /// Checks that `signature` (the stored text) is a signature over `record` by one of the keys.
  /// Errors (kInvalidInput), each saying what is wrong: no signature, not the stored form, a
  /// key id that is none of the trusted keys, a signature that does not verify.
  Result<void> verify(const model::AnchorRecord& record, const std::string& signature) const;

  size_t size() const { return keys_.size(); }

 private:
  struct Key;
  std::vector<std::shared_ptr<Key>> keys_;
};

}  // namespace anchorage::formats
