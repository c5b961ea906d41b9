// SPDX-License-Identifier: Apache-2.0
//
// A zone's DNSKEY RRset fetched over DNS and checked against its own signatures (RFC 4035 §5.3):
// which keys sign the set, with what validity window, and whether each signature verifies. This is
// what `anchorctl add --from-dns` shows before it publishes, and what an RFC 5011 probe needs
// (RFC 5011 §2.1: a key set is accepted only when a trusted key signs it). No ldns types appear
// here.

#pragma once

#include <string>
#include <vector>

#include "dns/client.h"
#include "model/anchor.h"
#include "model/name.h"
#include "util/result.h"

namespace anchorage::dns {

/// The outcome of one RRSIG over the DNSKEY RRset.
struct SignatureCheck {
  uint16_t key_tag = 0;  ///< Key tag the RRSIG names.
  uint8_t algorithm = 0;
  model::Time inception{};
  model::Time expiration{};
  uint32_t original_ttl = 0;  ///< The RRSIG's Original TTL field (RFC 4034 §3.1.4).
  bool valid = false;         ///< Verified with a key of the set, and inside its validity window.
  int signer = -1;            ///< Index in DnskeySet::keys of the key it verified with; -1 if none.
  std::string reason;         ///< Why it did not verify; empty when valid.
};

/// A DNSKEY RRset and its signatures.
struct DnskeySet {
  model::DomainName zone;
  uint32_t ttl = 0;  ///< TTL of the RRset as received.
  std::vector<model::DnskeyRdata> keys;
  std::vector<SignatureCheck> signatures;

  /// True when key `key` has a valid signature over the whole set (it is self-signed).
  bool signsTheSet(const model::DnskeyRdata& key) const;

  /// The keys a zone's operator means as anchors: zone keys with the SEP flag, not revoked, that
  /// sign the set (RFC 4034 §2.1.1, RFC 5011 §2.1).
  std::vector<model::DnskeyRdata> secureEntryPoints() const;
};

/// Checks the RRSIGs over the DNSKEY records of `zone` in `records` (an answer section) against
/// the keys among them, at time `at`. Errors: no DNSKEY record for the zone (kNotFound); a record
/// that cannot be decoded (kInvalidInput).
Result<DnskeySet> checkDnskeySet(const model::DomainName& zone,
                                 const std::vector<ResourceRecord>& records, model::Time at);

/// Queries `options.address` for the DNSKEY RRset of `zone` (DO set) and checks it as
/// checkDnskeySet() does. Errors: those of query(); a response that is not NOERROR
/// (kUnavailable, with the rcode); no DNSKEY in the answer (kNotFound).
Result<DnskeySet> fetchDnskeySet(const model::DomainName& zone, const QueryOptions& options,
                                 model::Time at);

}  // namespace anchorage::dns
