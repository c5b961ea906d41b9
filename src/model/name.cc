// SPDX-License-Identifier: Apache-2.0
//
// DomainName parsing through ldns, with the RFC 1035 §2.3.4 size limits checked before ldns sees
// the name, so the error says which limit was broken.

#include "model/name.h"

#include <algorithm>
#include <array>
#include <memory>

#include <ldns/ldns.h>

namespace anchorage::model {
namespace {

constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxName = 255;

struct RdfDeleter {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

// Converts wire form to presentation form, lower case, with escapes for special characters.
std::string presentation(const std::vector<uint8_t>& wire) {
  if (wire.size() == 1) {
    return ".";
  }
  std::string out;
  size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    const size_t len = wire[pos++];
    for (size_t i = 0; i < len; ++i) {
      const uint8_t c = wire[pos + i];
      if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
          c == '$') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof(buf), "\\%03u", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    pos += len;
    out += '.';
  }
  return out;
}

// Checks label and name lengths of presentation text, counting an escape as one octet.
Result<void> checkLengths(std::string_view text) {
  size_t label = 0;
  size_t total = 1;  // the root label
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (label == 0 && !(text.size() == 1)) {
        return fail(ErrorCode::kInvalidInput, "Domain name has an empty label",
                    {{"name", std::string(text)}});
      }
      total += label + 1;
      label = 0;
      continue;
    }
    if (c == '\\') {
      if (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        if (i + 3 >= text.size()) {
          return fail(ErrorCode::kInvalidInput, "Domain name has a bad escape",
                      {{"name", std::string(text)}});
        }
        i += 3;
      } else {
        i += 1;
      }
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fail(ErrorCode::kInvalidInput,
                  "Domain name has non-ASCII characters; use the A-label (xn--) form",
                  {{"name", std::string(text)}});
    }
    ++label;
    if (label > kMaxLabel) {
      return fail(ErrorCode::kInvalidInput, "Domain name label is longer than 63 octets",
                  {{"name", std::string(text.substr(0, 80))}});
    }
  }
  if (label > 0) {
    total += label + 1;
  }
  if (total > kMaxName) {
    return fail(ErrorCode::kInvalidInput, "Domain name is longer than 255 octets",
                {{"name", std::string(text.substr(0, 80)) + "..."}});
  }
  return ok();
}

}  // namespace

DomainName::DomainName() : text_("."), wire_{0} {}

Result<DomainName> DomainName::parse(std::string_view text, const DomainName* origin) {
  if (text.empty()) {
    return fail(ErrorCode::kInvalidInput, "Domain name is empty");
  }
  if (text == "@") {
    return origin != nullptr ? *origin : DomainName();
  }
  if (auto r = checkLengths(text); !r) {
    return fail(r.error());
  }
  const std::string owned(text);
  ldns_rdf* raw = nullptr;
  if (ldns_str2rdf_dname(&raw, owned.c_str()) != LDNS_STATUS_OK || raw == nullptr) {
    return fail(ErrorCode::kInvalidInput, "Domain name is not valid", {{"name", owned}});
  }
  RdfPtr rdf(raw);
  const uint8_t* data = ldns_rdf_data(rdf.get());
  std::vector<uint8_t> wire(data, data + ldns_rdf_size(rdf.get()));
  const bool absolute = !text.empty() && text.back() == '.' &&
                        !(text.size() >= 2 && text[text.size() - 2] == '\\' &&
                          (text.size() < 3 || text[text.size() - 3] != '\\'));
  if (!absolute && origin != nullptr && !origin->isRoot()) {
    // Replace the terminating root label with the origin's labels.
    wire.pop_back();
    wire.insert(wire.end(), origin->wire_.begin(), origin->wire_.end());
  }
  return fromWire(wire);
}

Result<DomainName> DomainName::fromWire(const std::vector<uint8_t>& wire) {
  if (wire.empty() || wire.size() > kMaxName) {
    return fail(ErrorCode::kInvalidInput, "Domain name is longer than 255 octets");
  }
  std::vector<uint8_t> canonical;
  canonical.reserve(wire.size());
  size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) {
      return fail(ErrorCode::kInvalidInput, "Domain name wire form is truncated");
    }
    const uint8_t len = wire[pos];
    if (len > kMaxLabel) {
      return fail(ErrorCode::kInvalidInput, "Domain name label is longer than 63 octets");
    }
    canonical.push_back(len);
    if (len == 0) {
      break;
    }
    if (pos + 1 + len > wire.size()) {
      return fail(ErrorCode::kInvalidInput, "Domain name wire form is truncated");
    }
    for (size_t i = 0; i < len; ++i) {
      canonical.push_back(static_cast<uint8_t>(std::tolower(wire[pos + 1 + i])));
    }
    pos += 1 + len;
  }
  if (pos + 1 != wire.size()) {
    return fail(ErrorCode::kInvalidInput, "Domain name wire form has trailing octets");
  }
  std::string text = presentation(canonical);
  return DomainName(std::move(text), std::move(canonical));
}

size_t DomainName::labelCount() const {
  size_t count = 0;
  for (size_t pos = 0; wire_[pos] != 0; pos += wire_[pos] + 1) {
    ++count;
  }
  return count;
}

bool DomainName::isSubdomainOf(const DomainName& other) const {
  if (other.wire_.size() > wire_.size()) {
    return false;
  }
  // Walk label boundaries of this name until the remaining suffix has the other's length.
  size_t pos = 0;
  while (wire_.size() - pos > other.wire_.size()) {
    pos += wire_[pos] + 1;
  }
  return wire_.size() - pos == other.wire_.size() &&
         std::equal(other.wire_.begin(), other.wire_.end(), wire_.begin() + pos);
}

DomainName DomainName::parent() const {
  if (isRoot()) {
    return *this;
  }
  std::vector<uint8_t> rest(wire_.begin() + wire_[0] + 1, wire_.end());
  std::string text = presentation(rest);
  return DomainName(std::move(text), std::move(rest));
}

std::strong_ordering DomainName::operator<=>(const DomainName& other) const {
  // RFC 4034 §6.1: compare label by label from the right, each label as octets (already lower).
  // Called for every map, set and sort step over names: the label offsets live on the stack (a
  // name of at most 255 octets has at most 127 labels).
  if (wire_ == other.wire_) {
    return std::strong_ordering::equal;
  }
  using Offsets = std::array<uint8_t, 128>;
  auto labels = [](const std::vector<uint8_t>& w, Offsets& out) {
    size_t n = 0;
    for (size_t pos = 0; w[pos] != 0; pos += w[pos] + 1) {
      out[n++] = static_cast<uint8_t>(pos);
    }
    return n;
  };
  Offsets a;
  Offsets b;
  size_t ia = labels(wire_, a);
  size_t ib = labels(other.wire_, b);
  const size_t na = ia;
  const size_t nb = ib;
  while (ia > 0 && ib > 0) {
    const auto* pa = wire_.data() + a[--ia];
    const auto* pb = other.wire_.data() + b[--ib];
    const auto cmp =
        std::lexicographical_compare_three_way(pa + 1, pa + 1 + *pa, pb + 1, pb + 1 + *pb);
    if (cmp != 0) {
      return cmp;
    }
  }
  return na <=> nb;
}

}  // namespace anchorage::model
