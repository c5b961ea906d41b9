// SPDX-License-Identifier: Apache-2.0
//
// Typed configuration values (see value_reader.h). LDAP URIs follow RFC 4516 §2 for the parts
// used here (scheme, host, port); ldapi:// carries a percent-encoded socket path (RFC 3986
// §2.1) in the host part, as libldap expects.

#include "config/value_reader.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "util/encoding.h"

namespace anchorage::config {
namespace {

constexpr size_t kMaxValueShown = 60;

const char* kindName(YamlNode::Kind kind) {
  switch (kind) {
    case YamlNode::Kind::kNull:
      return "found nothing";
    case YamlNode::Kind::kScalar:
      return "found a scalar";
    case YamlNode::Kind::kSequence:
      return "found a list";
    case YamlNode::Kind::kMap:
      return "found a map";
  }
  return "found nothing";
}

bool isScalar(const Value& value) {
  return value.node->kind == YamlNode::Kind::kScalar;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Parses a port number 1 to 65535.
std::optional<uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), isDigit)) {
    return std::nullopt;
  }
  unsigned port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  if (port == 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

bool isIpv4(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool isIpv6(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

// Splits "host:port" or "[v6]:port"; the host comes back without brackets. Without `need_port`
// the ":port" part is optional (as in an LDAP URI) and a missing port is returned as 0.
std::optional<HostPort> splitHostPort(std::string_view text, bool need_port) {
  std::string host;
  std::string_view rest;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = std::string(text.substr(1, close - 1));
    if (!isIpv6(host)) {
      return std::nullopt;
    }
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.rfind(':');
    host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    const bool digits_and_dots =
        std::all_of(host.begin(), host.end(), [](char c) { return isDigit(c) || c == '.'; });
    if (host.empty() || (digits_and_dots ? !isIpv4(host) : !isHostName(host))) {
      return std::nullopt;
    }
  }
  if (rest.empty() && !need_port) {
    return HostPort{host, 0};
  }
  if (!rest.starts_with(':')) {
    return std::nullopt;
  }
  const auto port = parsePort(rest.substr(1));
  if (!port) {
    return std::nullopt;
  }
  return HostPort{host, *port};
}

// Decodes RFC 3986 percent escapes; nullopt on a malformed escape or an encoded NUL.
std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !isHexDigit(text[i + 1]) || !isHexDigit(text[i + 2])) {
      return std::nullopt;
    }
    const auto decoded = util::decodeHex(text.substr(i + 1, 2));
    if (!decoded || decoded->front() == 0) {
      return std::nullopt;
    }
    out += static_cast<char>(decoded->front());
    i += 2;
  }
  return out;
}

}  // namespace

Error valueError(const Value& value, std::string message) {
  Error error = configError(value.node->mark, value.path, std::move(message));
  if (isScalar(value)) {
    const std::string& text = value.node->scalar;
    error.with("value",
               text.size() > kMaxValueShown ? text.substr(0, kMaxValueShown) + "..." : text);
  } else {
    error.with("detail", kindName(value.node->kind));
  }
  return error;
}

std::string closestName(std::string_view text, std::span<const std::string_view> known) {
  const std::string lowered = util::toLower(text.substr(0, 64));
  const size_t limit = lowered.size() <= 3 ? 1 : (lowered.size() <= 8 ? 2 : 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto candidate : known) {
    const size_t distance = util::editDistance(lowered, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

Result<MapReader> MapReader::open(const Value& value, std::span<const std::string_view> known) {
  if (value.node->kind == YamlNode::Kind::kNull) {
    return MapReader(value);
  }
  if (value.node->kind != YamlNode::Kind::kMap) {
    return fail(valueError(value, "Expected a map of settings"));
  }
  for (const auto& entry : value.node->entries) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) {
      continue;
    }
    Error error = configError(entry.key_mark, childPath(value.path, entry.key), "Unknown key");
    if (auto suggestion = closestName(entry.key, known); !suggestion.empty()) {
      error.with("suggestion", suggestion);
    }
    return fail(std::move(error));
  }
  return MapReader(value);
}

std::optional<Value> MapReader::get(std::string_view key) const {
  for (const auto& entry : value_.node->entries) {
    if (entry.key == key) {
      return Value{entry.value.get(), childPath(value_.path, key)};
    }
  }
  return std::nullopt;
}

Error MapReader::missing(std::string_view key) const {
  return configError(value_.node->mark, childPath(value_.path, key), "Required key is missing");
}

Result<std::vector<Value>> readSequence(const Value& value) {
  std::vector<Value> items;
  if (value.node->kind == YamlNode::Kind::kNull) {
    return items;
  }
  if (value.node->kind != YamlNode::Kind::kSequence) {
    return fail(valueError(value, "Expected a list"));
  }
  for (size_t i = 0; i < value.node->items.size(); ++i) {
    items.push_back({value.node->items[i].get(), itemPath(value.path, i)});
  }
  return items;
}

Result<std::string> readString(const Value& value) {
  if (!isScalar(value) || value.node->scalar.empty()) {
    return fail(valueError(value, "Expected a non-empty string"));
  }
  return value.node->scalar;
}

Result<bool> readBool(const Value& value) {
  if (isScalar(value)) {
    const std::string& text = value.node->scalar;
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
  }
  return fail(valueError(value, "Expected true or false"));
}

Result<double> readShare(const Value& value) {
  if (isScalar(value)) {
    const std::string& text = value.node->scalar;
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(number) &&
        number >= 0.0 && number <= 1.0) {
      return number;
    }
  }
  return fail(valueError(value, "Expected a number from 0 to 1"));
}

Result<Duration> readDuration(const Value& value, Duration min, Duration max) {
  if (!isScalar(value)) {
    return fail(valueError(value, "Expected a duration like 250ms, 5s, 10m, 2h, 30d or 1h30m"));
  }
  auto parsed = parseDuration(value.node->scalar);
  if (!parsed) {
    return fail(valueError(value, parsed.error().message));
  }
  if (*parsed < min || *parsed > max) {
    return fail(valueError(value, "Duration is out of range")
                    .with("min", formatDuration(min))
                    .with("max", formatDuration(max)));
  }
  return *parsed;
}

Result<std::string> readAbsolutePath(const Value& value) {
  if (!isScalar(value) || !value.node->scalar.starts_with('/')) {
    return fail(valueError(value, "Expected an absolute path"));
  }
  return value.node->scalar;
}

Result<HostPort> readHostPort(const Value& value) {
  if (isScalar(value)) {
    if (auto split = splitHostPort(value.node->scalar, true)) {
      return *split;
    }
  }
  return fail(valueError(value, "Expected host:port, like 127.0.0.1:53 or [::1]:53"));
}

Result<LdapUri> readLdapUri(const Value& value) {
  constexpr const char* kExpected =
      "Expected an LDAP URI: ldap://HOST[:PORT], ldaps://HOST[:PORT] or ldapi://[SOCKET]";
  if (!isScalar(value)) {
    return fail(valueError(value, kExpected));
  }
  const std::string& text = value.node->scalar;
  const size_t separator = text.find("://");
  if (separator == std::string::npos) {
    return fail(valueError(value, kExpected));
  }
  LdapUri uri;
  const std::string scheme = util::toLower(std::string_view(text).substr(0, separator));
  static constexpr std::string_view kSchemes[] = {"ldap", "ldaps", "ldapi"};
  if (scheme == "ldap") {
    uri.scheme = LdapScheme::kLdap;
  } else if (scheme == "ldaps") {
    uri.scheme = LdapScheme::kLdaps;
  } else if (scheme == "ldapi") {
    uri.scheme = LdapScheme::kLdapi;
  } else {
    Error error = valueError(value, "URI scheme must be ldap, ldaps or ldapi");
    if (auto suggestion = closestName(scheme, kSchemes); !suggestion.empty()) {
      error.with("suggestion", suggestion);
    }
    return fail(std::move(error));
  }
  std::string_view rest = std::string_view(text).substr(separator + 3);
  if (rest.ends_with('/')) {
    rest.remove_suffix(1);
  }
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return fail(valueError(value, uri.scheme == LdapScheme::kLdapi
                                      ? "ldapi:// socket path must be percent-encoded, like "
                                        "ldapi://%2Frun%2Fslapd%2Fldapi"
                                      : "LDAP URI must name only a server, without a DN"));
  }
  if (uri.scheme == LdapScheme::kLdapi) {
    const auto path = percentDecode(rest);
    if (!path || (!path->empty() && !path->starts_with('/'))) {
      return fail(valueError(value,
                             "ldapi:// socket path must be absolute and percent-encoded, "
                             "like ldapi://%2Frun%2Fslapd%2Fldapi"));
    }
  } else if (!splitHostPort(rest, false)) {
    return fail(valueError(value, kExpected));
  }
  uri.text = scheme + text.substr(separator);
  return uri;
}

Result<std::vector<std::string>> readArgv(const Value& value) {
  if (value.node->kind != YamlNode::Kind::kSequence) {
    return fail(valueError(value,
                           "Expected an argument list like [unbound-control, reload]; commands "
                           "run without a shell"));
  }
  std::vector<std::string> argv;
  for (size_t i = 0; i < value.node->items.size(); ++i) {
    const Value item{value.node->items[i].get(), itemPath(value.path, i)};
    auto text = readString(item);
    if (!text) {
      return fail(std::move(text.error()));
    }
    if (i == 0 && !text->starts_with('/') && text->find('/') != std::string::npos) {
      return fail(valueError(item, "Expected a command name or an absolute path"));
    }
    argv.push_back(std::move(*text));
  }
  return argv;
}

bool isHostName(std::string_view text) {
  if (text.ends_with('.')) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('.', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view label = text.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      const bool ok_char =
          isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
      if (!ok_char) {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

}  // namespace anchorage::config
