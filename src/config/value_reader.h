// SPDX-License-Identifier: Apache-2.0
//
// Typed reading of configuration values out of the YAML tree (yaml_tree.h): maps with a fixed
// set of keys (unknown keys refused with a "did you mean" suggestion), strings, booleans,
// numbers, durations, enumerations, absolute paths, host:port addresses, LDAP URIs and argv
// lists. Every error names the line, column and dotted key of the value it is about. Internal to
// the config module.

#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_tree.h"
#include "util/result.h"

/// Inside a function returning a Result: evaluates `expr` (a Result) and returns its error when
/// it failed.
#define ANCHORAGE_CONFIG_TRY(expr)                          \
  do {                                                      \
    if (auto result_ = (expr); !result_) {                  \
      return ::anchorage::fail(std::move(result_.error())); \
    }                                                       \
  } while (false)

namespace anchorage::config {

/// A node of the tree together with its dotted path.
struct Value {
  const YamlNode* node = nullptr;
  std::string path;
};

/// Builds an Error about `value`: at its mark, with its key, and with `value` (a scalar's text,
/// shortened) or `detail` ("found a list", ...) when the node has the wrong kind.
Error valueError(const Value& value, std::string message);

/// A map whose keys were checked against a list of known keys.
class MapReader {
 public:
  /// Opens `value` as a map; a null value (`key:` with nothing after it) reads as an empty map.
  /// Errors: not a map ("Expected a map"), or a key not in `known` ("Unknown key", with field
  /// `suggestion` when a known key is close).
  static Result<MapReader> open(const Value& value, std::span<const std::string_view> known);

  /// The value under `key`, or nullopt when the key is absent.
  std::optional<Value> get(std::string_view key) const;

  /// An error for the required `key` being absent, placed at the map.
  Error missing(std::string_view key) const;

  const Value& value() const { return value_; }

 private:
  explicit MapReader(Value value) : value_(std::move(value)) {}

  Value value_;
};

/// Returns the known name closest to `text`, or an empty string when none is close enough to be
/// a likely misspelling.
std::string closestName(std::string_view text, std::span<const std::string_view> known);

/// Reads a sequence; a null value reads as an empty one. Error: not a sequence.
Result<std::vector<Value>> readSequence(const Value& value);

/// Reads a non-empty string scalar.
Result<std::string> readString(const Value& value);

/// Reads true or false (also True/TRUE/False/FALSE).
Result<bool> readBool(const Value& value);

/// Reads a decimal number from 0 to 1.
Result<double> readShare(const Value& value);

/// Reads a duration (duration.h) from `min` to `max`.
Result<Duration> readDuration(const Value& value, Duration min, Duration max);

/// Reads an absolute file or directory path.
Result<std::string> readAbsolutePath(const Value& value);

/// Reads "host:port".
Result<HostPort> readHostPort(const Value& value);

/// Reads an ldap://, ldaps:// or ldapi:// URI naming only a server (no DN, attributes or filter).
Result<LdapUri> readLdapUri(const Value& value);

/// Reads an argv list: strings, the first a bare command name or an absolute path. An empty list
/// is returned as such; callers decide whether it is allowed.
Result<std::vector<std::string>> readArgv(const Value& value);

/// Returns true for a DNS host name: dot-separated labels of letters, digits and hyphens, not
/// starting or ending with a hyphen, at most 63 octets each and 253 in all.
bool isHostName(std::string_view text);

/// Reads `key` of `map` with `read` (a function taking a Value and returning a Result) into
/// `out` when the key is present; leaves `out` alone when it is absent.
template <typename T, typename Read>
Result<void> readField(const MapReader& map, std::string_view key, T& out, Read read) {
  if (auto value = map.get(key)) {
    auto parsed = read(*value);
    if (!parsed) {
      return fail(std::move(parsed.error()));
    }
    out = std::move(*parsed);
  }
  return ok();
}

/// Returns a reader for readField() that takes durations from `min` to `max`.
inline auto durationIn(Duration min, Duration max) {
  return [min, max](const Value& value) { return readDuration(value, min, max); };
}

/// One accepted spelling of an enumeration.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

/// Reads one of `names`; otherwise fails with `message` (which lists them) and a suggestion.
template <typename E>
Result<E> readEnum(const Value& value, std::initializer_list<EnumName<E>> names,
                   const char* message) {
  std::vector<std::string_view> spellings;
  if (value.node->kind == YamlNode::Kind::kScalar) {
    for (const auto& entry : names) {
      if (entry.name == value.node->scalar) {
        return entry.value;
      }
      spellings.push_back(entry.name);
    }
  }
  Error error = valueError(value, message);
  if (value.node->kind == YamlNode::Kind::kScalar) {
    if (auto suggestion = closestName(value.node->scalar, spellings); !suggestion.empty()) {
      error.with("suggestion", suggestion);
    }
  }
  return fail(std::move(error));
}

}  // namespace anchorage::config
