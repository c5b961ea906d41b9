// SPDX-License-Identifier: Apache-2.0
//
// A directory session: one bound LDAP connection chosen from an ordered list of URIs (nearest
// replica first, then the others), with TLS verified on every non-ldapi connection, SASL EXTERNAL,
// simple bind from a password file, or GSSAPI, and network and operation timeouts. The LDAP handle
// stays inside session.cc; callers see entries as plain strings.

#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace anchorage::directory {

/// How a session authenticates.
enum class BindMethod { kExternal, kSimple, kGssapi, kAnonymous };

/// Everything needed to open a session.
struct SessionSettings {
  std::vector<std::string> uris;  ///< Tried in order; the first that binds wins.
  BindMethod bind_method = BindMethod::kExternal;
  std::string bind_dn;        ///< Simple bind DN.
  std::string password_file;  ///< Simple bind password (first line; trailing newline cut).
  std::string ca_file;        ///< CA bundle that server certificates must chain to.
  std::string cert_file;      ///< Client certificate (SASL EXTERNAL over TLS).
  std::string key_file;
  bool starttls = true;  ///< Use StartTLS on ldap:// URIs.
  bool allow_plaintext =
      false;  ///< Permit ldap:// without TLS (never for simple binds unless set).
  std::chrono::milliseconds network_timeout{5000};
  std::chrono::milliseconds operation_timeout{10000};
};

/// One directory entry: DN and attributes (names as the server returned them, values as bytes).
struct Entry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;

  /// First value of `name` (case-insensitive), or nullopt.
  std::optional<std::string> first(const std::string& name) const;
  /// All values of `name` (case-insensitive); empty when absent.
  std::vector<std::string> all(const std::string& name) const;
  /// True when objectClass holds `object_class` (case-insensitive).
  bool hasClass(const std::string& object_class) const;
};

/// One change of a modify operation.
struct Modification {
  enum class Op { kAdd, kDelete, kReplace };
  Op op;
  std::string attribute;
  std::vector<std::string> values;  ///< Empty with kDelete removes the whole attribute.
};

/// Search scope.
enum class Scope { kBase, kOneLevel, kSubtree };

/// An LDAP control (RFC 4511 §4.1.11): its OID, its BER-encoded value, and criticality.
struct Control {
  std::string oid;
  std::string value;
  bool critical = false;
};

/// Entries and the response controls of a search.
struct ControlledResult {
  std::vector<Entry> entries;
  std::vector<Control> controls;
};

/// A bound connection. Not thread-safe; one per thread.
class Session {
 public:
  /// Connects to the first URI of `settings` that accepts the bind. Errors: every URI failed
  /// (kUnavailable, with each URI's reason in the fields), bad credentials (kPermission), a
  /// password file that cannot be read (kConfig), plaintext refused by policy (kConfig).
  static Result<std::unique_ptr<Session>> open(const SessionSettings& settings);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// The URI this session is connected to.
  const std::string& uri() const { return uri_; }

  /// Searches; `attributes` empty means all user attributes. kNotFound when `base` is absent.
  Result<std::vector<Entry>> search(const std::string& base, Scope scope, const std::string& filter,
                                    const std::vector<std::string>& attributes = {});

  /// Searches with request controls (e.g. AD's DirSync or SD flags) and returns the response
  /// controls of the search result as well. Errors as search().
  Result<ControlledResult> searchWithControls(const std::string& base, Scope scope,
                                              const std::string& filter,
                                              const std::vector<std::string>& attributes,
                                              const std::vector<Control>& controls);

  /// Reads one entry; kNotFound when absent.
  Result<Entry> read(const std::string& dn, const std::vector<std::string>& attributes = {});

  /// Adds an entry; kConflict when it exists.
  Result<void> add(const Entry& entry);

  /// Modifies an entry. With `assertion` set, the server applies the change only when the entry
  /// matches that filter (RFC 4528); otherwise kConflict ("assertion failed").
  Result<void> modify(const std::string& dn, const std::vector<Modification>& changes,
                      const std::optional<std::string>& assertion = std::nullopt);

  /// Deletes an entry; kNotFound when absent.
  Result<void> remove(const std::string& dn);

  /// The authorization identity the server sees (RFC 4532 Who am I?), e.g. "dn:cn=agent,...".
  Result<std::string> whoAmI();

  /// The opaque libldap handle, for the sync module (src/directory) only.
  void* nativeHandle() const { return ld_; }

 private:
  Session(void* ld, std::string uri) : ld_(ld), uri_(std::move(uri)) {}

  void* ld_;
  std::string uri_;
  std::chrono::milliseconds operation_timeout_{10000};
};

/// Maps an LDAP result code to an ErrorCode (49/50 kPermission, 32 kNotFound, 68/122 kConflict,
/// -1/81/91 kUnavailable, 85 kTimeout, 65/17/21 kInvalidInput, ...).
ErrorCode errorCodeForLdap(int ldap_result);

/// Escapes a value for use inside an LDAP filter (RFC 4515 §3).
std::string escapeFilterValue(const std::string& value);

/// Escapes a value for use as an RDN value in a DN (RFC 4514 §2.4).
std::string escapeDnValue(const std::string& value);

}  // namespace anchorage::directory
