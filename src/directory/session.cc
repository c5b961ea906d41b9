// SPDX-License-Identifier: Apache-2.0
//
// LDAP sessions through libldap. Failure posture: a URI that cannot be reached, fails TLS
// verification or refuses the bind is skipped and the next is tried; the error returned when all
// fail names every URI and its reason. TLS certificate verification is never switched off.

#include "directory/session.h"

#include <ldap.h>
#include <strings.h>
#include <sys/time.h>

#include <cctype>
#include <csignal>
#include <cstring>
#include <mutex>

#include "util/encoding.h"
#include "util/file.h"

#include <sasl/sasl.h>

namespace anchorage::directory {
namespace {

LDAP* asLdap(void* ld) {
  return static_cast<LDAP*>(ld);
}

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string diagnostic(LDAP* ld, int rc) {
  std::string out = ldap_err2string(rc);
  char* msg = nullptr;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS &&
      msg != nullptr) {
    if (*msg != '\0') {
      out += ": ";
      out += msg;
    }
    ldap_memfree(msg);
  }
  return out;
}

Error ldapError(LDAP* ld, int rc, std::string message, std::vector<Field> fields = {}) {
  fields.push_back({"ldap_result", std::to_string(rc)});
  fields.push_back({"reason", diagnostic(ld, rc)});
  return Error(errorCodeForLdap(rc), std::move(message), std::move(fields));
}

bool startsWith(const std::string& s, const char* prefix) {
  return util::toLower(s.substr(0, std::strlen(prefix))) == prefix;
}

// Supplies defaults for every SASL prompt (GSSAPI asks for none that need an answer).
int saslInteract(LDAP*, unsigned, void*, void* prompts) {
  for (auto* p = static_cast<sasl_interact_t*>(prompts); p->id != SASL_CB_LIST_END; ++p) {
    p->result = p->defresult != nullptr ? p->defresult : "";
    p->len = static_cast<unsigned>(std::strlen(static_cast<const char*>(p->result)));
  }
  return LDAP_SUCCESS;
}

Result<void> setTls(LDAP* ld, const SessionSettings& s) {
  int demand = LDAP_OPT_X_TLS_DEMAND;
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS) {
    return fail(ErrorCode::kConfig, "TLS verification cannot be required");
  }
  const std::pair<int, const std::string*> files[] = {
      {LDAP_OPT_X_TLS_CACERTFILE, &s.ca_file},
      {LDAP_OPT_X_TLS_CERTFILE, &s.cert_file},
      {LDAP_OPT_X_TLS_KEYFILE, &s.key_file},
  };
  for (const auto& [option, value] : files) {
    if (!value->empty() && ldap_set_option(ld, option, value->c_str()) != LDAP_OPT_SUCCESS) {
      return fail(ErrorCode::kConfig, "TLS file cannot be set", {{"path", *value}});
    }
  }
  int is_server = 0;
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS) {
    return fail(ErrorCode::kConfig, "TLS context cannot be created; check the CA and key files",
                {{"ca_file", s.ca_file}, {"cert_file", s.cert_file}});
  }
  return ok();
}

Result<void> setOptions(LDAP* ld, const SessionSettings& s) {
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval network = toTimeval(s.network_timeout);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network);
  timeval operation = toTimeval(s.operation_timeout);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &operation);
  // TCP keepalive notices a dead peer; a hung one is the sync module's liveness check's job.
  int idle = 10, probes = 3, interval = 2;
  ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &idle);
  ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_PROBES, &probes);
  ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_INTERVAL, &interval);
  return ok();
}

Result<std::string> readPassword(const std::string& path) {
  auto text = util::readFile(path, 4096);
  if (!text) {
    return fail(ErrorCode::kConfig, "Password file cannot be read",
                {{"path", path}, {"reason", text.error().toString()}});
  }
  std::string pw = *text;
  const auto nl = pw.find_first_of("\r\n");
  if (nl != std::string::npos) {
    pw.resize(nl);
  }
  return pw;
}

Result<void> bind(LDAP* ld, const SessionSettings& s) {
  int rc = LDAP_SUCCESS;
  switch (s.bind_method) {
    case BindMethod::kAnonymous:
      return ok();
    case BindMethod::kSimple: {
      auto pw = readPassword(s.password_file);
      if (!pw) {
        return fail(pw.error());
      }
      berval cred{static_cast<ber_len_t>(pw->size()), pw->data()};
      rc = ldap_sasl_bind_s(ld, s.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr,
                            nullptr);
      break;
    }
    case BindMethod::kExternal:
      rc = ldap_sasl_interactive_bind_s(ld, nullptr, "EXTERNAL", nullptr, nullptr, LDAP_SASL_QUIET,
                                        saslInteract, nullptr);
      break;
    case BindMethod::kGssapi:
      rc = ldap_sasl_interactive_bind_s(ld, nullptr, "GSSAPI", nullptr, nullptr, LDAP_SASL_QUIET,
                                        saslInteract, nullptr);
      break;
  }
  if (rc != LDAP_SUCCESS) {
    return fail(ldapError(ld, rc, "Bind failed", {{"dn", s.bind_dn}}));
  }
  return ok();
}

// Connects and binds to one URI; on failure the handle is released.
Result<LDAP*> connectOne(const std::string& uri, const SessionSettings& s) {
  const bool ldapi = startsWith(uri, "ldapi://");
  const bool ldaps = startsWith(uri, "ldaps://");
  const bool ldap = startsWith(uri, "ldap://");
  if (!ldapi && !ldaps && !ldap) {
    return fail(ErrorCode::kConfig, "Directory URI must start with ldap://, ldaps:// or ldapi://",
                {{"uri", uri}});
  }
  const bool plaintext = ldap && !s.starttls;
  if (plaintext && !s.allow_plaintext) {
    return fail(ErrorCode::kConfig,
                "Plaintext ldap:// needs starttls or an explicit allow_plaintext", {{"uri", uri}});
  }
  LDAP* ld = nullptr;
  if (int rc = ldap_initialize(&ld, uri.c_str()); rc != LDAP_SUCCESS || ld == nullptr) {
    return fail(ErrorCode::kConfig, "Directory URI is not valid", {{"uri", uri}});
  }
  auto release = [&](Error e) {
    ldap_unbind_ext_s(ld, nullptr, nullptr);
    return fail(std::move(e));
  };
  if (auto r = setOptions(ld, s); !r) {
    return release(r.error());
  }
  if (ldaps || (ldap && s.starttls)) {
    if (auto r = setTls(ld, s); !r) {
      return release(r.error());
    }
  }
  if (ldap && s.starttls) {
    if (int rc = ldap_start_tls_s(ld, nullptr, nullptr); rc != LDAP_SUCCESS) {
      return release(ldapError(ld, rc, "StartTLS failed", {{"uri", uri}}));
    }
  }
  if (s.bind_method == BindMethod::kGssapi && (ldaps || (ldap && s.starttls))) {
    // TLS already protects the connection: no SASL security layer on top. Active Directory
    // refuses GSSAPI signing or sealing inside TLS ("Sign or Seal are not allowed if TLS is
    // used"); slapd accepts either.
    char props[] = "maxssf=0";
    if (int rc = ldap_set_option(ld, LDAP_OPT_X_SASL_SECPROPS, props); rc != LDAP_OPT_SUCCESS) {
      return release(Error(ErrorCode::kInternal, "SASL security properties cannot be set"));
    }
  }
  if (auto r = bind(ld, s); !r) {
    return release(r.error());
  }
  return ld;
}

berval** toBervals(const std::vector<std::string>& values, std::vector<berval>& storage,
                   std::vector<berval*>& pointers) {
  storage.clear();
  pointers.clear();
  storage.reserve(values.size());
  for (const auto& v : values) {
    storage.push_back({static_cast<ber_len_t>(v.size()), const_cast<char*>(v.data())});
  }
  for (auto& b : storage) {
    pointers.push_back(&b);
  }
  pointers.push_back(nullptr);
  return pointers.data();
}

Entry readEntry(LDAP* ld, LDAPMessage* msg) {
  Entry e;
  if (char* dn = ldap_get_dn(ld, msg); dn != nullptr) {
    e.dn = dn;
    ldap_memfree(dn);
  }
  BerElement* ber = nullptr;
  for (char* attr = ldap_first_attribute(ld, msg, &ber); attr != nullptr;
       attr = ldap_next_attribute(ld, msg, ber)) {
    auto& values = e.attributes[attr];
    if (berval** vals = ldap_get_values_len(ld, msg, attr); vals != nullptr) {
      for (berval** v = vals; *v != nullptr; ++v) {
        values.emplace_back((*v)->bv_val, (*v)->bv_len);
      }
      ldap_value_free_len(vals);
    }
    ldap_memfree(attr);
  }
  if (ber != nullptr) {
    ber_free(ber, 0);
  }
  return e;
}

}  // namespace

namespace {

// Attribute names compare without regard to case (RFC 4512 §2.5), here without a lower-case copy
// of every name: the agent looks attributes up millions of times per apply at 100,000 anchors.
const std::vector<std::string>* findAttribute(const Entry& entry, const std::string& name) {
  for (const auto& [key, values] : entry.attributes) {
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), key.size()) == 0) {
      return &values;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> Entry::first(const std::string& name) const {
  const auto* values = findAttribute(*this, name);
  if (values == nullptr || values->empty()) {
    return std::nullopt;
  }
  return values->front();
}

std::vector<std::string> Entry::all(const std::string& name) const {
  const auto* values = findAttribute(*this, name);
  return values == nullptr ? std::vector<std::string>() : *values;
}

bool Entry::hasClass(const std::string& object_class) const {
  const std::string lower = util::toLower(object_class);
  for (const auto& v : all("objectClass")) {
    if (util::toLower(v) == lower) {
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<Session>> Session::open(const SessionSettings& settings) {
  // libldap writes to its socket with write(2): a server that went away would raise SIGPIPE and
  // end the process. Every program that talks to the directory wants EPIPE instead.
  static std::once_flag sigpipe_once;
  std::call_once(sigpipe_once, [] { std::signal(SIGPIPE, SIG_IGN); });
  if (settings.uris.empty()) {
    return fail(ErrorCode::kConfig, "No directory URI configured");
  }
  Error last(ErrorCode::kUnavailable, "No directory server could be used");
  bool permission = false;
  for (const auto& uri : settings.uris) {
    auto ld = connectOne(uri, settings);
    if (ld) {
      std::unique_ptr<Session> s(new Session(*ld, uri));
      s->operation_timeout_ = settings.operation_timeout;
      return s;
    }
    if (ld.error().code == ErrorCode::kConfig) {
      return fail(ld.error());
    }
    permission = permission || ld.error().code == ErrorCode::kPermission;
    last.with(uri, ld.error().toString());
  }
  if (permission) {
    last.code = ErrorCode::kPermission;
    last.message = "Directory refused the credentials";
  }
  return fail(std::move(last));
}

Session::~Session() {
  if (ld_ != nullptr) {
    ldap_unbind_ext_s(asLdap(ld_), nullptr, nullptr);
  }
}

Result<std::vector<Entry>> Session::search(const std::string& base, Scope scope,
                                           const std::string& filter,
                                           const std::vector<std::string>& attributes) {
  auto r = searchWithControls(base, scope, filter, attributes, {});
  if (!r) {
    return fail(r.error());
  }
  return std::move(r->entries);
}

Result<ControlledResult> Session::searchWithControls(const std::string& base, Scope scope,
                                                     const std::string& filter,
                                                     const std::vector<std::string>& attributes,
                                                     const std::vector<Control>& controls) {
  LDAP* ld = asLdap(ld_);
  std::vector<char*> attrs;
  for (const auto& a : attributes) {
    attrs.push_back(const_cast<char*>(a.c_str()));
  }
  attrs.push_back(nullptr);
  const int ldap_scope = scope == Scope::kBase       ? LDAP_SCOPE_BASE
                         : scope == Scope::kOneLevel ? LDAP_SCOPE_ONELEVEL
                                                     : LDAP_SCOPE_SUBTREE;
  // libldap takes the controls as LDAPControl pointers that stay ours.
  std::vector<LDAPControl> request(controls.size());
  std::vector<LDAPControl*> request_ptrs;
  for (size_t i = 0; i < controls.size(); ++i) {
    request[i].ldctl_oid = const_cast<char*>(controls[i].oid.c_str());
    request[i].ldctl_value.bv_val = const_cast<char*>(controls[i].value.data());
    request[i].ldctl_value.bv_len = controls[i].value.size();
    request[i].ldctl_iscritical = controls[i].critical ? 1 : 0;
    request_ptrs.push_back(&request[i]);
  }
  request_ptrs.push_back(nullptr);
  timeval tv = toTimeval(operation_timeout_);
  LDAPMessage* res = nullptr;
  const int rc = ldap_search_ext_s(
      ld, base.c_str(), ldap_scope, filter.c_str(), attributes.empty() ? nullptr : attrs.data(), 0,
      controls.empty() ? nullptr : request_ptrs.data(), nullptr, &tv, LDAP_NO_LIMIT, &res);
  std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> guard(res, ldap_msgfree);
  if (rc != LDAP_SUCCESS) {
    return fail(
        ldapError(ld, rc, "Search failed", {{"base", base}, {"filter", filter}, {"uri", uri_}}));
  }
  ControlledResult out;
  for (LDAPMessage* m = ldap_first_entry(ld, res); m != nullptr; m = ldap_next_entry(ld, m)) {
    out.entries.push_back(readEntry(ld, m));
  }
  LDAPControl** response = nullptr;
  int result_code = LDAP_SUCCESS;
  if (ldap_parse_result(ld, res, &result_code, nullptr, nullptr, nullptr, &response, 0) ==
          LDAP_SUCCESS &&
      response != nullptr) {
    for (LDAPControl** c = response; *c != nullptr; ++c) {
      out.controls.push_back({(*c)->ldctl_oid,
                              std::string((*c)->ldctl_value.bv_val, (*c)->ldctl_value.bv_len),
                              (*c)->ldctl_iscritical != 0});
    }
    ldap_controls_free(response);
  }
  return out;
}

Result<Entry> Session::read(const std::string& dn, const std::vector<std::string>& attributes) {
  auto entries = search(dn, Scope::kBase, "(objectClass=*)", attributes);
  if (!entries) {
    return fail(entries.error());
  }
  if (entries->empty()) {
    return fail(ErrorCode::kNotFound, "Entry does not exist", {{"dn", dn}});
  }
  return std::move(entries->front());
}

Result<void> Session::add(const Entry& entry) {
  LDAP* ld = asLdap(ld_);
  std::vector<LDAPMod> mods(entry.attributes.size());
  std::vector<LDAPMod*> mod_ptrs;
  std::vector<std::vector<berval>> storage(entry.attributes.size());
  std::vector<std::vector<berval*>> pointers(entry.attributes.size());
  size_t i = 0;
  for (const auto& [name, values] : entry.attributes) {
    mods[i].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
    mods[i].mod_type = const_cast<char*>(name.c_str());
    mods[i].mod_bvalues = toBervals(values, storage[i], pointers[i]);
    mod_ptrs.push_back(&mods[i]);
    ++i;
  }
  mod_ptrs.push_back(nullptr);
  const int rc = ldap_add_ext_s(ld, entry.dn.c_str(), mod_ptrs.data(), nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    return fail(ldapError(ld, rc, "Add failed", {{"dn", entry.dn}, {"uri", uri_}}));
  }
  return ok();
}

Result<void> Session::modify(const std::string& dn, const std::vector<Modification>& changes,
                             const std::optional<std::string>& assertion) {
  LDAP* ld = asLdap(ld_);
  std::vector<LDAPMod> mods(changes.size());
  std::vector<LDAPMod*> mod_ptrs;
  std::vector<std::vector<berval>> storage(changes.size());
  std::vector<std::vector<berval*>> pointers(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    const int op = c.op == Modification::Op::kAdd      ? LDAP_MOD_ADD
                   : c.op == Modification::Op::kDelete ? LDAP_MOD_DELETE
                                                       : LDAP_MOD_REPLACE;
    mods[i].mod_op = op | LDAP_MOD_BVALUES;
    mods[i].mod_type = const_cast<char*>(c.attribute.c_str());
    mods[i].mod_bvalues = c.values.empty() && op == LDAP_MOD_DELETE
                              ? nullptr
                              : toBervals(c.values, storage[i], pointers[i]);
    mod_ptrs.push_back(&mods[i]);
  }
  mod_ptrs.push_back(nullptr);

  LDAPControl* control = nullptr;
  if (assertion) {
    berval value{};
    int rc = ldap_create_assertion_control_value(ld, const_cast<char*>(assertion->c_str()), &value);
    if (rc != LDAP_SUCCESS) {
      return fail(ldapError(ld, rc, "Assertion filter is not valid", {{"filter", *assertion}}));
    }
    rc = ldap_control_create(LDAP_CONTROL_ASSERT, 1, &value, 1, &control);
    ber_memfree(value.bv_val);
    if (rc != LDAP_SUCCESS) {
      return fail(ldapError(ld, rc, "Assertion control cannot be built"));
    }
  }
  LDAPControl* controls[] = {control, nullptr};
  const int rc = ldap_modify_ext_s(ld, dn.c_str(), mod_ptrs.data(),
                                   control != nullptr ? controls : nullptr, nullptr);
  if (control != nullptr) {
    ldap_control_free(control);
  }
  if (rc != LDAP_SUCCESS) {
    return fail(ldapError(
        ld, rc, rc == LDAP_ASSERTION_FAILED ? "Assertion failed; entry changed" : "Modify failed",
        {{"dn", dn}, {"uri", uri_}}));
  }
  return ok();
}

Result<void> Session::remove(const std::string& dn) {
  LDAP* ld = asLdap(ld_);
  const int rc = ldap_delete_ext_s(ld, dn.c_str(), nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    return fail(ldapError(ld, rc, "Delete failed", {{"dn", dn}, {"uri", uri_}}));
  }
  return ok();
}

Result<std::string> Session::whoAmI() {
  LDAP* ld = asLdap(ld_);
  berval* authzid = nullptr;
  const int rc = ldap_whoami_s(ld, &authzid, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    return fail(ldapError(ld, rc, "Who am I? failed", {{"uri", uri_}}));
  }
  std::string out = authzid != nullptr ? std::string(authzid->bv_val, authzid->bv_len) : "";
  ber_bvfree(authzid);
  return out;
}

ErrorCode errorCodeForLdap(int rc) {
  switch (rc) {
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_UNWILLING_TO_PERFORM:
      return ErrorCode::kPermission;
    case LDAP_NO_SUCH_OBJECT:
      return ErrorCode::kNotFound;
    case LDAP_ALREADY_EXISTS:
    case LDAP_ASSERTION_FAILED:
      return ErrorCode::kConflict;
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
      return ErrorCode::kUnavailable;
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
      return ErrorCode::kTimeout;
    case LDAP_OBJECT_CLASS_VIOLATION:
    case LDAP_UNDEFINED_TYPE:
    case LDAP_INVALID_SYNTAX:
    case LDAP_CONSTRAINT_VIOLATION:
    case LDAP_TYPE_OR_VALUE_EXISTS:
    case LDAP_NO_SUCH_ATTRIBUTE:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_FILTER_ERROR:
      return ErrorCode::kInvalidInput;
    case LDAP_REFERRAL:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

std::string escapeFilterValue(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "\\%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeDnValue(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                         c == ';' || c == '=';
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == value.size());
    if (special || edge_space || (c == '#' && i == 0)) {
      out += '\\';
      out += c;
    } else if (c == '\0') {
      out += "\\00";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace anchorage::directory
