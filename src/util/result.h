// SPDX-License-Identifier: Apache-2.0
//
// Result<T>: the value of an operation the outside world can make fail, or a typed Error.
// Shaped like std::expected<T, Error> (value(), error(), has_value(), operator bool, ->, *) so that
// moving to C++23 is one alias. Errors carry a code, a constant message and context fields; the
// message never contains interpolated values (STYLE §2), the fields do.

#pragma once

#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace anchorage {

/// What kind of failure an Error is; maps onto sysexits codes (DESIGN §5).
enum class ErrorCode {
  kInvalidInput,  ///< Malformed or invalid data (sysexits 65).
  kUnsupported,   ///< Understood but not supported, e.g. GOST digests (65).
  kUsage,         ///< Wrong command-line use (64).
  kConfig,        ///< Bad configuration (78).
  kNotFound,      ///< A file, entry or name does not exist (66).
  kIo,            ///< Reading or writing a file failed (74).
  kUnavailable,   ///< A server could not be reached (69).
  kPermission,    ///< Access denied (77).
  kConflict,      ///< A concurrent change won, or the entry already exists (75).
  kTimeout,       ///< An operation ran out of time (75).
  kInternal,      ///< A bug or an impossible state (70).
};

/// Returns the lower_snake name of `code`, as used in logs and JSON.
const char* errorCodeName(ErrorCode code);

/// Returns the sysexits code a command exits with when it fails with `code`.
int exitCodeFor(ErrorCode code);

/// One context field of an Error or a log line: a dotted lower_snake key and its value.
struct Field {
  std::string key;
  std::string value;
};

/// A failure: code, constant message, and context fields (file, line, dn, ...).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::vector<Field> fields;

  Error() = default;
  Error(ErrorCode c, std::string m, std::vector<Field> f = {})
      : code(c), message(std::move(m)), fields(std::move(f)) {}

  /// Adds a context field and returns *this, for chaining.
  Error& with(std::string key, std::string value) & {
    fields.push_back({std::move(key), std::move(value)});
    return *this;
  }
  Error&& with(std::string key, std::string value) && {
    fields.push_back({std::move(key), std::move(value)});
    return std::move(*this);
  }

  /// Returns the value of field `key`, or an empty string.
  std::string field(const std::string& key) const;

  /// Formats as "message (key=value, ...)" for people.
  std::string toString() const;
};

/// Wrapper that marks a value as the error alternative, like std::unexpected.
struct Unexpected {
  Error error;
};

/// Builds an Unexpected from the Error arguments: `return fail(ErrorCode::kIo, "...")`.
inline Unexpected fail(ErrorCode code, std::string message, std::vector<Field> fields = {}) {
  return Unexpected{Error(code, std::move(message), std::move(fields))};
}
inline Unexpected fail(Error error) {
  return Unexpected{std::move(error)};
}

[[noreturn]] void checkFailed(const char* expr, const char* file, int line);

/// Always-on invariant check (never for what input or the network can cause).
#define ANCHORAGE_CHECK(expr)                              \
  do {                                                     \
    if (!(expr)) {                                         \
      ::anchorage::checkFailed(#expr, __FILE__, __LINE__); \
    }                                                      \
  } while (false)

/// A value of type T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}
  Result(Error e) : state_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    ANCHORAGE_CHECK(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    ANCHORAGE_CHECK(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    ANCHORAGE_CHECK(has_value());
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    ANCHORAGE_CHECK(!has_value());
    return std::get<1>(state_);
  }
  Error& error() {
    ANCHORAGE_CHECK(!has_value());
    return std::get<1>(state_);
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  /// Returns the value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return has_value() ? std::get<0>(state_) : std::move(fallback); }

 private:
  std::variant<T, Error> state_;
};

/// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)) {}
  Result(Error e) : error_(std::move(e)) {}

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    ANCHORAGE_CHECK(!has_value());
    return *error_;
  }
  Error& error() {
    ANCHORAGE_CHECK(!has_value());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

/// Success value for Result<void>.
inline Result<void> ok() {
  return {};
}

}  // namespace anchorage
