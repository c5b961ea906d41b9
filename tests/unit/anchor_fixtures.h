// SPDX-License-Identifier: Apache-2.0
//
// Small builders for unit tests: names and DS/DNSKEY anchors from presentation text. Test-only;
// they abort the test binary on bad input, which is what a fixture typo deserves.

#pragma once

#include <string_view>

#include "model/anchor.h"
#include "model/name.h"

namespace anchorage::testdata {

/// The name, which must parse.
inline model::DomainName name(std::string_view text) {
  return model::DomainName::parse(text).value();
}

/// A Valid DS anchor at `owner` from "TAG ALG DT HEX".
inline model::TrustAnchor ds(std::string_view owner, std::string_view rdata) {
  model::TrustAnchor a;
  a.record = {name(owner), 3600, model::parseDsRdata(rdata).value()};
  return a;
}

/// A Valid DNSKEY anchor at `owner` from "FLAGS PROTO ALG B64".
inline model::TrustAnchor key(std::string_view owner, std::string_view rdata) {
  model::TrustAnchor a;
  a.record = {name(owner), 3600, model::parseDnskeyRdata(rdata).value()};
  return a;
}

}  // namespace anchorage::testdata
