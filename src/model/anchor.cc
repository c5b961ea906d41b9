// SPDX-License-Identifier: Apache-2.0
//
// Record encoding, validation and DS computation for trust anchors. Key tags come from ldns
// (RFC 4034 Appendix B, including the algorithm-1 special case); digests from OpenSSL.

#include "model/anchor.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include <ldns/ldns.h>

#include "model/algorithms.h"
#include "util/encoding.h"

namespace anchorage::model {
namespace {

std::vector<uint8_t> dnskeyWire(const DnskeyRdata& k) {
  std::vector<uint8_t> w;
  w.reserve(4 + k.public_key.size());
  w.push_back(static_cast<uint8_t>(k.flags >> 8));
  w.push_back(static_cast<uint8_t>(k.flags & 0xff));
  w.push_back(k.protocol);
  w.push_back(k.algorithm);
  w.insert(w.end(), k.public_key.begin(), k.public_key.end());
  return w;
}

std::vector<uint8_t> dsWire(const DsRdata& d) {
  std::vector<uint8_t> w;
  w.reserve(4 + d.digest.size());
  w.push_back(static_cast<uint8_t>(d.key_tag >> 8));
  w.push_back(static_cast<uint8_t>(d.key_tag & 0xff));
  w.push_back(d.algorithm);
  w.push_back(d.digest_type);
  w.insert(w.end(), d.digest.begin(), d.digest.end());
  return w;
}

const char* digestFunction(uint8_t digest_type) {
  switch (digest_type) {
    case 1:
      return "sha1";
    case 2:
      return "sha256";
    case 4:
      return "sha384";
    default:
      return nullptr;
  }
}

void validateAlgorithm(uint8_t number, std::vector<Finding>& out) {
  const auto alg = findAlgorithm(number);
  const std::string n = std::to_string(number);
  if (!alg) {
    out.push_back({Severity::kError, "algorithm " + n + " is not assigned by IANA"});
    return;
  }
  const std::string name(alg->mnemonic);
  switch (alg->status) {
    case RegistryStatus::kRecommended:
      break;
    case RegistryStatus::kDeprecated:
      out.push_back({Severity::kWarning, "algorithm " + n + " (" + name +
                                             ") is deprecated for DNSSEC signing (RFC 8624)"});
      break;
    case RegistryStatus::kUnsupported:
      out.push_back({Severity::kError,
                     "algorithm " + n + " (" + name + ") is not supported by the resolvers"});
      break;
    case RegistryStatus::kReserved:
      out.push_back(
          {Severity::kError, "algorithm " + n + " (" + name + ") is not a zone signing algorithm"});
      break;
  }
}

void validateDs(const DsRdata& ds, std::vector<Finding>& out) {
  validateAlgorithm(ds.algorithm, out);
  const auto dig = findDigest(ds.digest_type);
  const std::string n = std::to_string(ds.digest_type);
  if (!dig) {
    out.push_back({Severity::kError, "digest type " + n + " is not assigned by IANA"});
    return;
  }
  const std::string name(dig->mnemonic);
  if (dig->status == RegistryStatus::kUnsupported) {
    out.push_back({Severity::kError,
                   "digest type " + n + " (" + name + ") is not supported by the resolvers"});
    return;
  }
  if (ds.digest.size() != dig->length) {
    out.push_back({Severity::kError, "digest is " + std::to_string(ds.digest.size()) +
                                         " octets, digest type " + n + " (" + name + ") needs " +
                                         std::to_string(dig->length)});
  }
  if (dig->status == RegistryStatus::kDeprecated) {
    out.push_back({Severity::kWarning,
                   "digest type " + n + " (" + name + ") is deprecated " + "(RFC 8624 §3.3)"});
  }
}

void validateDnskey(const DnskeyRdata& key, std::vector<Finding>& out) {
  if (key.protocol != 3) {
    out.push_back({Severity::kError, "DNSKEY protocol is " + std::to_string(key.protocol) +
                                         ", RFC 4034 §2.1.2 requires 3"});
  }
  validateAlgorithm(key.algorithm, out);
  if (!key.isZoneKey()) {
    out.push_back({Severity::kError, "DNSKEY has no zone-key flag (256); it cannot be an anchor"});
  }
  if (key.public_key.empty()) {
    out.push_back({Severity::kError, "DNSKEY public key is empty"});
  }
  if (!key.isSep()) {
    out.push_back({Severity::kWarning, "DNSKEY has no SEP flag (1); anchors are usually KSKs"});
  }
  if (key.isRevoked()) {
    out.push_back({Severity::kWarning, "DNSKEY has the REVOKE flag (128) set (RFC 5011 §3)"});
  }
}

}  // namespace

std::string_view recordTypeName(RecordType type) {
  return type == RecordType::kDs ? "DS" : "DNSKEY";
}

uint16_t DnskeyRdata::keyTag() const {
  const auto w = dnskeyWire(*this);
  return ldns_calc_keytag_raw(w.data(), w.size());
}

RecordType AnchorRecord::type() const {
  return isDs() ? RecordType::kDs : RecordType::kDnskey;
}

uint16_t AnchorRecord::keyTag() const {
  return isDs() ? ds().key_tag : dnskey().keyTag();
}

uint8_t AnchorRecord::algorithm() const {
  return isDs() ? ds().algorithm : dnskey().algorithm;
}

std::vector<uint8_t> AnchorRecord::rdataWire() const {
  return isDs() ? dsWire(ds()) : dnskeyWire(dnskey());
}

std::string AnchorRecord::rdataText() const {
  if (isDs()) {
    const auto& d = ds();
    return std::to_string(d.key_tag) + " " + std::to_string(d.algorithm) + " " +
           std::to_string(d.digest_type) + " " + util::encodeHex(d.digest);
  }
  const auto& k = dnskey();
  return std::to_string(k.flags) + " " + std::to_string(k.protocol) + " " +
         std::to_string(k.algorithm) + " " + util::encodeBase64(k.public_key);
}

std::string AnchorRecord::toZoneLine() const {
  return owner.text() + " " + std::to_string(ttl) + " IN " + std::string(recordTypeName(type())) +
         " " + rdataText();
}

Result<DsRdata> parseDsRdata(std::string_view text) {
  const auto f = util::splitFields(text);
  if (f.size() < 4) {
    return fail(ErrorCode::kInvalidInput, "DS needs key tag, algorithm, digest type and digest");
  }
  auto tag = util::parseUnsigned(f[0], 65535, "key tag");
  if (!tag) {
    return fail(tag.error());
  }
  uint64_t alg_number = 0;
  if (auto alg = util::parseUnsigned(f[1], 255, "algorithm")) {
    alg_number = *alg;
  } else if (auto named = findAlgorithm(f[1])) {
    alg_number = named->number;
  } else {
    return fail(alg.error());
  }
  auto dt = util::parseUnsigned(f[2], 255, "digest type");
  if (!dt) {
    return fail(dt.error());
  }
  std::string hex;
  for (size_t i = 3; i < f.size(); ++i) {
    hex += f[i];
  }
  auto digest = util::decodeHex(hex);
  if (!digest) {
    return fail(std::move(digest.error()).with("field", "digest"));
  }
  return DsRdata{static_cast<uint16_t>(*tag), static_cast<uint8_t>(alg_number),
                 static_cast<uint8_t>(*dt), std::move(*digest)};
}

Result<DnskeyRdata> parseDnskeyRdata(std::string_view text) {
  const auto f = util::splitFields(text);
  if (f.size() < 4) {
    return fail(ErrorCode::kInvalidInput, "DNSKEY needs flags, protocol, algorithm and public key");
  }
  auto flags = util::parseUnsigned(f[0], 65535, "flags");
  if (!flags) {
    return fail(flags.error());
  }
  auto proto = util::parseUnsigned(f[1], 255, "protocol");
  if (!proto) {
    return fail(proto.error());
  }
  uint64_t alg_number = 0;
  if (auto alg = util::parseUnsigned(f[2], 255, "algorithm")) {
    alg_number = *alg;
  } else if (auto named = findAlgorithm(f[2])) {
    alg_number = named->number;
  } else {
    return fail(alg.error());
  }
  std::string b64;
  for (size_t i = 3; i < f.size(); ++i) {
    b64 += f[i];
  }
  auto key = util::decodeBase64(b64);
  if (!key) {
    return fail(std::move(key.error()).with("field", "public key"));
  }
  return DnskeyRdata{static_cast<uint16_t>(*flags), static_cast<uint8_t>(*proto),
                     static_cast<uint8_t>(alg_number), std::move(*key)};
}

Result<std::variant<DsRdata, DnskeyRdata>> rdataFromWire(RecordType type,
                                                         const std::vector<uint8_t>& wire) {
  if (wire.size() < 4) {
    return fail(
        ErrorCode::kInvalidInput, "RDATA is shorter than 4 octets",
        {{"type", std::string(recordTypeName(type))}, {"length", std::to_string(wire.size())}});
  }
  const uint16_t first = static_cast<uint16_t>(wire[0] << 8 | wire[1]);
  std::vector<uint8_t> rest(wire.begin() + 4, wire.end());
  if (type == RecordType::kDs) {
    return std::variant<DsRdata, DnskeyRdata>(DsRdata{first, wire[2], wire[3], std::move(rest)});
  }
  return std::variant<DsRdata, DnskeyRdata>(DnskeyRdata{first, wire[2], wire[3], std::move(rest)});
}

std::vector<Finding> validate(const AnchorRecord& record) {
  std::vector<Finding> out;
  // RFC 1035 §3.2.1: RDLENGTH is 16 bits.
  if (record.rdataWire().size() > 65535) {
    out.push_back({Severity::kError, "RDATA is longer than 65535 octets"});
    return out;
  }
  if (record.isDs()) {
    validateDs(record.ds(), out);
  } else {
    validateDnskey(record.dnskey(), out);
  }
  std::stable_partition(out.begin(), out.end(),
                        [](const Finding& f) { return f.severity == Severity::kError; });
  return out;
}

bool isUsable(const std::vector<Finding>& findings) {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.severity == Severity::kError; });
}

Result<DsRdata> computeDs(const DomainName& owner, const DnskeyRdata& dnskey, uint8_t digest_type) {
  const char* fn = digestFunction(digest_type);
  if (fn == nullptr) {
    return fail(ErrorCode::kUnsupported, "Digest type is not supported",
                {{"digest_type", std::to_string(digest_type)}});
  }
  // RFC 4034 §5.1.4: digest = hash(owner name in canonical wire form | DNSKEY RDATA).
  std::vector<uint8_t> input = owner.wire();
  const auto rdata = dnskeyWire(dnskey);
  input.insert(input.end(), rdata.begin(), rdata.end());
  return DsRdata{dnskey.keyTag(), dnskey.algorithm, digest_type, util::digest(fn, input)};
}

bool dsMatchesDnskey(const DomainName& owner, const DsRdata& ds, const DnskeyRdata& dnskey) {
  if (ds.key_tag != dnskey.keyTag() || ds.algorithm != dnskey.algorithm) {
    return false;
  }
  auto computed = computeDs(owner, dnskey, ds.digest_type);
  return computed && computed->digest == ds.digest;
}

std::string_view keyStateName(KeyState state) {
  switch (state) {
    case KeyState::kStart:
      return "Start";
    case KeyState::kAddPend:
      return "AddPend";
    case KeyState::kValid:
      return "Valid";
    case KeyState::kMissing:
      return "Missing";
    case KeyState::kRevoked:
      return "Revoked";
    case KeyState::kRemoved:
      return "Removed";
  }
  return "Start";
}

std::optional<KeyState> parseKeyState(std::string_view text) {
  const std::string lower = util::toLower(text);
  for (auto s : {KeyState::kStart, KeyState::kAddPend, KeyState::kValid, KeyState::kMissing,
                 KeyState::kRevoked, KeyState::kRemoved}) {
    if (util::toLower(keyStateName(s)) == lower) {
      return s;
    }
  }
  return std::nullopt;
}

std::string_view originName(Origin origin) {
  switch (origin) {
    case Origin::kManual:
      return "manual";
    case Origin::kImport:
      return "import";
    case Origin::kRoot:
      return "root";
    case Origin::kRfc5011:
      return "rfc5011";
  }
  return "manual";
}

std::optional<Origin> parseOrigin(std::string_view text) {
  const std::string lower = util::toLower(text);
  for (auto o : {Origin::kManual, Origin::kImport, Origin::kRoot, Origin::kRfc5011}) {
    if (originName(o) == lower) {
      return o;
    }
  }
  return std::nullopt;
}

std::string TrustAnchor::id() const {
  const auto hash = util::digest("sha256", record.rdataWire());
  const std::string prefix = record.isDs() ? "ds-" : "dnskey-";
  return prefix + std::to_string(record.keyTag()) + "-" + std::to_string(record.algorithm()) + "-" +
         util::encodeHex({hash.begin(), hash.begin() + 4}, false);
}

std::string formatTime(Time t) {
  const std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Time> parseTime(std::string_view text) {
  const std::string s(util::trim(text));
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) !=
      6) {
    return fail(ErrorCode::kInvalidInput, "Expected a time like 2017-02-02T00:00:00Z",
                {{"value", s.substr(0, 40)}});
  }
  std::string_view rest(s.c_str() + consumed);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      rest.remove_prefix(1);
    }
  }
  int offset_minutes = 0;
  if (rest == "Z" || rest == "z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    const int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset_minutes = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
  } else {
    return fail(ErrorCode::kInvalidInput, "Time needs a Z or +hh:mm zone",
                {{"value", s.substr(0, 40)}});
  }
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) {
    return fail(ErrorCode::kInvalidInput, "Time is not a valid calendar date",
                {{"value", s.substr(0, 40)}});
  }
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) - minutes(offset_minutes);
}

bool TrustPoint::add(TrustAnchor anchor) {
  ANCHORAGE_CHECK(anchor.record.owner == name_);
  for (const auto& a : anchors_) {
    if (a.record.rdata == anchor.record.rdata) {
      return false;
    }
  }
  anchors_.push_back(std::move(anchor));
  return true;
}

bool TrustPoint::remove(std::string_view id) {
  const auto it = std::find_if(anchors_.begin(), anchors_.end(),
                               [&](const TrustAnchor& a) { return a.id() == id; });
  if (it == anchors_.end()) {
    return false;
  }
  anchors_.erase(it);
  return true;
}

const TrustAnchor* TrustPoint::find(std::string_view id) const {
  for (const auto& a : anchors_) {
    if (a.id() == id) {
      return &a;
    }
  }
  return nullptr;
}

std::vector<TrustPoint> groupByTrustPoint(const std::vector<TrustAnchor>& anchors) {
  std::map<DomainName, TrustPoint> points;
  for (const auto& a : anchors) {
    auto it = points.try_emplace(a.record.owner, a.record.owner).first;
    it->second.add(a);
  }
  std::vector<TrustPoint> out;
  out.reserve(points.size());
  for (auto& [name, tp] : points) {
    out.push_back(std::move(tp));
  }
  return out;
}

}  // namespace anchorage::model
