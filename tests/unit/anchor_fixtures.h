// SPDX-License-Identifier: Apache-2.0
//
// Small builders for unit tests: names and DS/DNSKEY anchors from presentation text. Test-only;
// they abort the test binary on bad input, which is what a fixture typo deserves.

#pragma once

#include <string_view>

#include "model/anchor.h"
#include "model/name.h"

namespace anchorage::testdata {

/// Root KSK-2017's SHA-256 DS (as in /usr/share/dns/root.ds).
inline constexpr const char* kRootDs =
    "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

/// Root KSK-2017 (as in /usr/share/dns/root.key); its SHA-256 DS is kRootDs.
inline constexpr const char* kKsk2017 =
    "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5"
    "emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHw"
    "VN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOL"
    "YA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";

/// An algorithm-13 KSK used as a corp.example. anchor in renderer tests.
inline constexpr const char* kCorpKey =
    "257 3 13 "
    "mFNq6OJur1Mraz0fPAmK7SExaRo057c+yJW17T8gyq89FtNG+Cg955NdSWniifhlG1blBMnUoY7H1qhzcPQPPA==";

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
