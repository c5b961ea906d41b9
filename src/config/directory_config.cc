// SPDX-License-Identifier: Apache-2.0
//
// The `directory` section of the configuration: URIs, bind, TLS, timeouts and reconnection, and
// the transport rule of DESIGN §6: every connection that is not ldapi:// is encrypted (ldaps://,
// or ldap:// with StartTLS) unless the file explicitly allows plaintext, and SASL EXTERNAL
// outside ldapi:// has a client certificate to present.

#include "config/directory_config.h"

#include <algorithm>

namespace anchorage::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kDirectoryKeys[] = {
    "read", "write", "bind", "tls", "allow_plaintext", "timeouts", "reconnect"};
constexpr std::string_view kBindKeys[] = {"method", "dn", "password_file"};
constexpr std::string_view kTlsKeys[] = {"ca_file", "cert_file", "key_file", "starttls"};
constexpr std::string_view kTimeoutKeys[] = {"network", "operation", "liveness"};
constexpr std::string_view kReconnectKeys[] = {"min_delay", "max_delay"};

Result<std::vector<LdapUri>> readUriList(const Value& value) {
  auto items = readSequence(value);
  if (!items) {
    return fail(std::move(items.error()));
  }
  if (items->empty()) {
    return fail(valueError(value, "Expected a non-empty list of LDAP URIs"));
  }
  std::vector<LdapUri> uris;
  for (const auto& item : *items) {
    auto uri = readLdapUri(item);
    if (!uri) {
      return fail(std::move(uri.error()));
    }
    const bool duplicate = std::any_of(uris.begin(), uris.end(),
                                       [&](const LdapUri& seen) { return seen.text == uri->text; });
    if (duplicate) {
      return fail(valueError(item, "Duplicate URI"));
    }
    uris.push_back(std::move(*uri));
  }
  return uris;
}

Result<void> readBind(const Value& value, BindConfig& out) {
  auto map = MapReader::open(value, kBindKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(readField(*map, "method", out.method, [](const Value& v) {
    return readEnum<BindMethod>(v,
                                {{"external", BindMethod::kExternal},
                                 {"simple", BindMethod::kSimple},
                                 {"gssapi", BindMethod::kGssapi}},
                                "Expected one of external, simple, gssapi");
  }));
  ANCHORAGE_CONFIG_TRY(readField(*map, "dn", out.dn, readString));
  ANCHORAGE_CONFIG_TRY(readField(*map, "password_file", out.password_file, readAbsolutePath));
  if (out.method == BindMethod::kSimple) {
    for (const std::string_view key : {"dn", "password_file"}) {
      if (!map->get(key)) {
        return fail(map->missing(key));
      }
    }
    return ok();
  }
  for (const std::string_view key : {"dn", "password_file"}) {
    if (auto given = map->get(key)) {
      return fail(valueError(*given, "Only used with method simple"));
    }
  }
  return ok();
}

Result<void> readTls(const Value& value, TlsConfig& out) {
  auto map = MapReader::open(value, kTlsKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(readField(*map, "ca_file", out.ca_file, readAbsolutePath));
  ANCHORAGE_CONFIG_TRY(readField(*map, "cert_file", out.cert_file, readAbsolutePath));
  ANCHORAGE_CONFIG_TRY(readField(*map, "key_file", out.key_file, readAbsolutePath));
  ANCHORAGE_CONFIG_TRY(readField(*map, "starttls", out.starttls, readBool));
  if (out.cert_file.empty() != out.key_file.empty()) {
    return fail(map->missing(out.cert_file.empty() ? "cert_file" : "key_file"));
  }
  return ok();
}

Result<void> readTimeouts(const Value& value, TimeoutConfig& out) {
  auto map = MapReader::open(value, kTimeoutKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "network", out.network, durationIn(milliseconds(1), hours(1))));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "operation", out.operation, durationIn(milliseconds(1), hours(1))));
  return readField(*map, "liveness", out.liveness, durationIn(seconds(1), hours(24)));
}

Result<void> readReconnect(const Value& value, ReconnectConfig& out) {
  auto map = MapReader::open(value, kReconnectKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "min_delay", out.min_delay, durationIn(milliseconds(1), hours(1))));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "max_delay", out.max_delay, durationIn(milliseconds(1), hours(24))));
  if (out.max_delay < out.min_delay) {
    const auto where = map->get("max_delay") ? map->get("max_delay") : map->get("min_delay");
    return fail(valueError(*where, "max_delay must not be shorter than min_delay"));
  }
  return ok();
}

// Refuses directory connections that would be unencrypted, or that could not authenticate:
// DESIGN §6 wants TLS on every non-local connection unless the file explicitly allows plaintext.
Result<void> checkTransport(const std::vector<Value>& items, const std::vector<LdapUri>& uris,
                            const DirectoryConfig& directory) {
  for (size_t i = 0; i < uris.size(); ++i) {
    const LdapScheme scheme = uris[i].scheme;
    if (scheme == LdapScheme::kLdap && !directory.tls.starttls && !directory.allow_plaintext) {
      return fail(valueError(
          items[i], directory.bind.method == BindMethod::kSimple
                        ? "Simple bind over ldap:// without StartTLS sends the password in the "
                          "clear; set tls.starttls: true or allow_plaintext: true"
                        : "ldap:// without StartTLS is not encrypted; set tls.starttls: true or "
                          "allow_plaintext: true"));
    }
    if (scheme != LdapScheme::kLdapi && directory.bind.method == BindMethod::kExternal &&
        directory.tls.cert_file.empty()) {
      return fail(valueError(items[i],
                             "SASL EXTERNAL over ldap:// or ldaps:// needs a client certificate; "
                             "set tls.cert_file and tls.key_file, or choose another bind method"));
    }
  }
  return ok();
}

}  // namespace

Result<void> readDirectory(const Value& value, DirectoryConfig& out) {
  auto map = MapReader::open(value, kDirectoryKeys);
  ANCHORAGE_CONFIG_TRY(map);
  const auto read = map->get("read");
  if (!read) {
    return fail(map->missing("read"));
  }
  ANCHORAGE_CONFIG_TRY(readField(*map, "read", out.read, readUriList));
  out.write = out.read;
  ANCHORAGE_CONFIG_TRY(readField(*map, "write", out.write, readUriList));
  if (auto bind = map->get("bind")) {
    ANCHORAGE_CONFIG_TRY(readBind(*bind, out.bind));
  }
  if (auto tls = map->get("tls")) {
    ANCHORAGE_CONFIG_TRY(readTls(*tls, out.tls));
  }
  ANCHORAGE_CONFIG_TRY(readField(*map, "allow_plaintext", out.allow_plaintext, readBool));
  if (auto timeouts = map->get("timeouts")) {
    ANCHORAGE_CONFIG_TRY(readTimeouts(*timeouts, out.timeouts));
  }
  if (auto reconnect = map->get("reconnect")) {
    ANCHORAGE_CONFIG_TRY(readReconnect(*reconnect, out.reconnect));
  }

  auto read_items = readSequence(*read);
  ANCHORAGE_CONFIG_TRY(read_items);
  ANCHORAGE_CONFIG_TRY(checkTransport(*read_items, out.read, out));
  if (auto write = map->get("write")) {
    auto write_items = readSequence(*write);
    ANCHORAGE_CONFIG_TRY(write_items);
    ANCHORAGE_CONFIG_TRY(checkTransport(*write_items, out.write, out));
  }
  return ok();
}

}  // namespace anchorage::config
