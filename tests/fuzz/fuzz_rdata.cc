// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the model: presentation RDATA, names and wire RDATA. What parses must be
// re-encodable, and a parsed DNSKEY must yield a DS.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/anchor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anchorage::model;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto name = DomainName::parse(text)) {
    auto again = DomainName::parse(name->text());
    ANCHORAGE_CHECK(again.has_value() && *again == *name);
  }
  if (auto ds = parseDsRdata(text)) {
    AnchorRecord r{DomainName(), 3600, *ds};
    (void)validate(r);
    ANCHORAGE_CHECK(parseDsRdata(r.rdataText()).has_value());
  }
  if (auto key = parseDnskeyRdata(text)) {
    AnchorRecord r{DomainName(), 3600, *key};
    (void)validate(r);
    ANCHORAGE_CHECK(computeDs(r.owner, *key, 2).has_value());
  }
  const std::vector<uint8_t> wire(data, data + size);
  (void)rdataFromWire(RecordType::kDnskey, wire);
  (void)DomainName::fromWire(wire);
  return 0;
}
