// SPDX-License-Identifier: Apache-2.0
//
// Negative trust anchors (RFC 7646): names below which validation is switched off until an
// expiry time, with the reason an operator gave.

#pragma once

#include <string>

#include "model/anchor.h"
#include "model/name.h"

namespace anchorage::model {

/// One negative trust anchor.
struct NegativeTrustAnchor {
  DomainName name;
  Time expires;
  std::string reason;
  std::string created_by;  ///< Who set it (bind identity), when known.

  /// True while the NTA is in force at `now` (RFC 7646 §2: NTAs must expire).
  bool activeAt(Time now) const { return now < expires; }

  bool operator==(const NegativeTrustAnchor& other) const {
    return name == other.name && expires == other.expires && reason == other.reason;
  }
};

}  // namespace anchorage::model
