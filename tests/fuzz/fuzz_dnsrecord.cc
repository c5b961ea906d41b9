// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the Active Directory dnsRecord codec (MS-DNSP 2.3.2.2): whatever decodes
// must encode to bytes that decode to the same value (the Reserved field is not kept, so the bytes
// themselves may differ), and a decoded DS or DNSKEY must map to an anchor record or a clean
// error.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/dnsrecord.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anchorage;
  const std::vector<uint8_t> blob(data, data + size);
  auto value = formats::decodeDnsRecord(blob);
  if (!value) {
    return 0;
  }
  auto again = formats::decodeDnsRecord(formats::encodeDnsRecord(*value));
  ANCHORAGE_CHECK(again.has_value() && *again == *value);
  (void)formats::anchorFromDnsRecord(model::DomainName(), *value);
  return 0;
}
