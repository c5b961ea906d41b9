// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the Active Directory dnsRecord codec (MS-DNSP 2.3.2.2): whatever decodes
// must encode back to the same bytes, and a decoded DS or DNSKEY must map to an anchor record or
// a clean error.

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
  ANCHORAGE_CHECK(formats::encodeDnsRecord(*value) == blob);
  (void)formats::anchorFromDnsRecord(model::DomainName(), *value);
  return 0;
}
