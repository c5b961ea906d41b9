// SPDX-License-Identifier: Apache-2.0
//
// Scope definitions and scope database plans (see scope_plan.h). The database and overlay
// entries reproduce deploy/slapd/gen-config line for line, so that a scope added at run time is
// configured exactly like one generated before the server first started; tests/unit checks the
// two against each other.

#include "directory/scope_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "directory/mapping.h"
#include "util/encoding.h"

namespace anchorage::directory {
namespace {

constexpr const char* kPeercredRoot = "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth";
constexpr size_t kMaxNameLength = 64;
constexpr unsigned kMaxRid = 999;  // slapd's rid has three decimal digits

Unexpected invalid(std::string message, std::vector<Field> fields) {
  return fail(ErrorCode::kInvalidInput, std::move(message), std::move(fields));
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) {
    return "";
  }
  const auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

bool isAttributeType(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// (type, value) pairs of a DN, checked as gen-config's split_dn checks them.
Result<std::vector<std::pair<std::string, std::string>>> splitCleanDn(const std::string& dn) {
  const std::string forbidden = "\\\"+[]^$<>;#\n\r";
  if (dn.empty() || dn.find_first_of(forbidden) != std::string::npos) {
    return invalid("DN is not supported: no escapes, quotes or multi-valued RDNs", {{"dn", dn}});
  }
  for (const char c : dn) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return invalid("DN must be printable ASCII", {{"dn", dn}});
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (true) {
    const auto comma = dn.find(',', start);
    const std::string rdn =
        dn.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto eq = rdn.find('=');
    const std::string type = eq == std::string::npos ? "" : trim(rdn.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : trim(rdn.substr(eq + 1));
    if (!isAttributeType(type) || value.empty()) {
      return invalid("DN is malformed", {{"dn", dn}});
    }
    out.emplace_back(type, value);
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

std::string lower(const std::string& s) {
  return util::toLower(s);
}

// The folded DN as a POSIX ERE literal; metacharacters go into brackets, because slapd's config
// tokenizer strips one level of backslashes (gen-config's dn_regex).
std::string dnRegex(const std::string& clean_dn) {
  std::string out;
  for (const char c : lower(clean_dn)) {
    if (std::string(".()*?{}|").find(c) != std::string::npos) {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

// gen-config's db_dir_name: the RDN values, lower case, joined with dots.
std::string databaseDirectoryName(const std::vector<std::pair<std::string, std::string>>& rdns) {
  std::string name;
  for (const auto& [type, value] : rdns) {
    name += (name.empty() ? "" : ".") + lower(value);
  }
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
      c = '_';
    }
  }
  return name;
}

bool isScopeName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) {
    return false;
  }
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return ok(s[0]) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return ok(c) || c == '_' || c == '-'; });
}

bool isServerName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength || !std::isalnum(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

// A URI that can stand unquoted in a syncrepl value and in an anchorageScopeServer token.
Result<void> checkUri(const std::string& uri, const std::string& server, const char* what) {
  const std::string l = lower(uri);
  const bool scheme =
      l.starts_with("ldap://") || l.starts_with("ldaps://") || l.starts_with("ldapi://");
  const bool clean = std::all_of(uri.begin(), uri.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ',';
  });
  if (!scheme || !clean || uri.find("://") + 3 == uri.size()) {
    return invalid(
        "Server URI must be ldap://, ldaps:// or ldapi:// with no blanks, quotes or "
        "commas",
        {{"server", server}, {"uri_kind", what}, {"uri", uri}});
  }
  return ok();
}

Result<std::pair<std::string, std::string>> splitItem(const std::string& item, const char* option) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
    return invalid("Server item must be NAME=URI", {{"option", option}, {"item", item}});
  }
  return std::make_pair(item.substr(0, eq), item.substr(eq + 1));
}

std::vector<std::string> publisherClauses(const AdminNames& names, const std::string& level) {
  std::vector<std::string> out = {"by group/groupOfNames/member.exact=\"" + names.publishers +
                                  "\" " + level};
  for (const auto& dn : names.publisher_dns) {
    out.push_back("by dn.exact=\"" + dn + "\" " + level);
  }
  return out;
}

template <typename... Parts>
std::vector<std::string> joinClauses(Parts&&... parts) {
  std::vector<std::string> out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

// The access rules of a scope database: gen-config's scope_acls(), rule for rule.
std::vector<ConfigValue> scopeAcls(const AdminNames& names, const std::string& suffix) {
  const std::string base = "cn=anchorage," + suffix;
  const std::string base_re = dnRegex(base);
  const std::string repl = "by dn.exact=\"" + names.replicator + "\" read";
  const std::string agents_read = "by dn.children=\"" + names.agents + "\" read";
  const std::string agents_write = "by dn.children=\"" + names.agents + "\" write";
  const std::string refreshers = "by group/groupOfNames/member.exact=\"" + names.refreshers + "\"";
  const std::string anchor_re =
      "^anchorageanchorid=[^,]+,anchoragetrustpoint=[^,]+,cn=trustpoints," + base_re + "$";
  const std::string trust_point_re = "^anchoragetrustpoint=[^,]+,cn=trustpoints," + base_re + "$";
  using Lines = std::vector<std::string>;
  const Lines pub_read = publisherClauses(names, "read");
  const Lines pub_write = publisherClauses(names, "write");
  const std::vector<std::pair<std::string, Lines>> rules = {
      // An agent's own status entry: cn=<fqdn> of the entry equals cn=<fqdn> of the bind DN.
      {"dn.regex=\"^cn=([^,]+),cn=agents," + base_re + "$\"",
       joinClauses(Lines{"by dn.exact,expand=\"cn=$1," + names.agents + "\" write", repl}, pub_read,
                   Lines{agents_read})},
      {"dn.base=\"cn=agents," + base + "\" attrs=children", {agents_write}},
      {"dn.children=\"cn=leases," + base + "\"", joinClauses(pub_write, Lines{agents_write, repl})},
      {"dn.base=\"cn=leases," + base + "\" attrs=children",
       joinClauses(pub_write, Lines{agents_write})},
      // RFC 5011 refresher: state transitions of existing anchors.
      {"dn.regex=\"" + anchor_re +
           "\" attrs=anchorageState,anchorageStateChanged,anchorageHoldDownUntil",
       joinClauses(pub_write, Lines{refreshers + " write", repl, agents_read})},
      // RFC 5011 §4.2: a new key enters as AddPend; checked on the entry being added.
      {"dn.regex=\"" + anchor_re +
           "\" filter=(&(objectClass=anchorageAnchor)(anchorageOrigin=rfc5011)"
           "(anchorageState=AddPend)) attrs=entry",
       joinClauses(pub_write, Lines{refreshers + " =arscxd", repl, agents_read})},
      {"dn.regex=\"" + trust_point_re + "\" filter=(anchorageAutoUpdate=TRUE) attrs=children",
       joinClauses(pub_write, Lines{refreshers + " write"})},
      {"dn.regex=\"" + trust_point_re +
           "\" attrs=anchorageLastRefresh,anchorageNextRefresh,"
           "anchorageLastSuccessfulRefresh,anchorageLastRefreshResult",
       joinClauses(pub_write, Lines{refreshers + " write", repl, agents_read})},
      {"dn.subtree=\"cn=trustpoints," + base + "\"",
       joinClauses(pub_write, Lines{repl, agents_read})},
      {"dn.subtree=\"cn=negativetrustanchors," + base + "\"",
       joinClauses(pub_write, Lines{repl, agents_read})},
      {"dn.base=\"" + base + "\" attrs=anchorageRemovalConfirmedUntil,description",
       joinClauses(pub_write, Lines{repl, agents_read})},
      {"*", joinClauses(Lines{repl}, pub_read, Lines{agents_read})},
  };
  std::vector<ConfigValue> out;
  for (size_t i = 0; i < rules.size(); ++i) {
    ConfigValue v{"olcAccess", {"{" + std::to_string(i) + "}to " + rules[i].first}};
    v.lines.insert(v.lines.end(), rules[i].second.begin(), rules[i].second.end());
    v.lines.push_back("by * none");
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<ConfigValue> limits(const AdminNames& names) {
  const std::string unlimited = " size=unlimited time=unlimited";
  std::vector<ConfigValue> out = {
      {"olcLimits", {"dn.exact=\"" + names.replicator + "\"" + unlimited}},
      {"olcLimits", {"dn.children=\"" + names.agents + "\"" + unlimited}},
      {"olcLimits", {"group/groupOfNames/member=\"" + names.publishers + "\"" + unlimited}},
  };
  for (const auto& dn : names.publisher_dns) {
    out.push_back({"olcLimits", {"dn.exact=\"" + dn + "\"" + unlimited}});
  }
  return out;
}

std::string ridText(unsigned rid) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%03u", rid);
  return buf;
}

Result<ConfigValue> syncrepl(const DatabaseSpec& spec, unsigned rid, const std::string& uri) {
  ConfigValue v{
      "olcSyncrepl",
      {"rid=" + ridText(rid) + " provider=" + uri + " bindmethod=simple",
       "binddn=\"" + spec.names.replicator + "\" credentials=\"" + spec.account.credentials + "\"",
       "searchbase=\"" + spec.suffix + "\" scope=sub type=refreshAndPersist",
       "retry=\"1 30 5 +\" timeout=3 network-timeout=3 keepalive=60:3:10"}};
  const std::string l = lower(uri);
  if (l.starts_with("ldaps://")) {
    if (!spec.account.ca_file) {
      return invalid("An ldaps:// provider needs a CA for replication, and none is known",
                     {{"provider", uri}});
    }
    v.lines.push_back("tls_cacert=\"" + *spec.account.ca_file + "\" tls_reqcert=demand");
  } else if (l.starts_with("ldap://") && spec.account.ca_file && spec.account.starttls) {
    v.lines.push_back("starttls=critical tls_cacert=\"" + *spec.account.ca_file +
                      "\" tls_reqcert=demand");
  }
  return v;
}

// Splits a syncrepl value into key=value tokens; double quotes group blanks into a value.
std::map<std::string, std::string> syncreplTokens(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  if (text.starts_with("{")) {
    i = text.find('}');
    i = i == std::string::npos ? text.size() : i + 1;
  }
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string key, value;
    while (i < text.size() && text[i] != '=' &&
           !std::isspace(static_cast<unsigned char>(text[i]))) {
      key += text[i++];
    }
    if (i < text.size() && text[i] == '=') {
      ++i;
      if (i < text.size() && text[i] == '"') {
        const auto close = text.find('"', i + 1);
        value = text.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1);
        i = close == std::string::npos ? text.size() : close + 1;
      } else {
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
          value += text[i++];
        }
      }
    }
    if (!key.empty()) {
      out.emplace(lower(key), value);
    }
  }
  return out;
}

// The text after a leading "{N}" ordering prefix.
std::string withoutIndex(const std::string& value) {
  if (value.starts_with("{")) {
    const auto close = value.find('}');
    if (close != std::string::npos) {
      return value.substr(close + 1);
    }
  }
  return value;
}

int indexOf(const std::string& value) {
  if (!value.starts_with("{")) {
    return 0;
  }
  return static_cast<int>(std::strtol(value.c_str() + 1, nullptr, 10));
}

// The quoted DN after `prefix` in a limits value such as dn.exact="cn=x" size=unlimited.
std::optional<std::string> quotedAfter(const std::string& value, const std::string& prefix) {
  if (!lower(value).starts_with(lower(prefix))) {
    return std::nullopt;
  }
  const auto close = value.find('"', prefix.size());
  if (close == std::string::npos) {
    return std::nullopt;
  }
  return value.substr(prefix.size(), close - prefix.size());
}

// What the admin database's limits say about the names (gen-config writes the replicator first,
// then the agents, the publishers group and each single publisher).
void namesFromLimits(const std::vector<std::string>& values, AdminNames& names) {
  bool replicator_seen = false;
  std::vector<std::string> publishers;
  for (const auto& raw : values) {
    const std::string v = withoutIndex(raw);
    if (auto dn = quotedAfter(v, "dn.exact=\"")) {
      if (!replicator_seen) {
        names.replicator = *dn;
        replicator_seen = true;
      } else {
        publishers.push_back(*dn);
      }
    } else if (auto children = quotedAfter(v, "dn.children=\"")) {
      names.agents = *children;
    } else if (auto group = quotedAfter(v, "group/groupOfNames/member=\"")) {
      names.publishers = *group;
    }
  }
  names.publisher_dns = publishers;
}

std::string cleanOrLower(const std::string& dn) {
  auto c = cleanDn(dn);
  return lower(c ? *c : dn);
}

}  // namespace

const char* serverActionName(ServerAction action) {
  switch (action) {
    case ServerAction::kNone:
      return "none";
    case ServerAction::kAddOverlay:
      return "add-overlay";
    case ServerAction::kAddDatabase:
      return "add-database";
  }
  return "none";
}

const char* serverRoleName(ServerRole role) {
  return role == ServerRole::kProvider ? "provider" : "consumer";
}

std::vector<const ScopeServer*> ScopeDefinition::providers() const {
  std::vector<const ScopeServer*> out;
  for (const auto& s : servers) {
    if (s.role == ServerRole::kProvider) {
      out.push_back(&s);
    }
  }
  return out;
}

Result<std::string> cleanDn(const std::string& dn) {
  auto rdns = splitCleanDn(dn);
  if (!rdns) {
    return fail(rdns.error());
  }
  std::string out;
  for (const auto& [type, value] : *rdns) {
    out += (out.empty() ? "" : ",") + type + "=" + value;
  }
  return out;
}

Result<std::string> cleanScopeSuffix(const std::string& dn) {
  auto rdns = splitCleanDn(dn);
  if (!rdns) {
    return fail(rdns.error());
  }
  const std::string first = lower(rdns->front().first);
  if (first != "dc" && first != "ou" && first != "o") {
    return invalid("A scope suffix must start with dc=, ou= or o=", {{"dn", dn}});
  }
  return cleanDn(dn);
}

bool isBelow(const std::string& inner, const std::string& outer) {
  const std::string i = cleanOrLower(inner);
  const std::string o = cleanOrLower(outer);
  return i.size() > o.size() && i.ends_with("," + o);
}

Result<ScopeDefinition> makeDefinition(const std::string& name, const std::string& suffix,
                                       const std::vector<std::string>& servers,
                                       const std::vector<std::string>& providers,
                                       const std::string& admin_suffix) {
  if (!isScopeName(name)) {
    return invalid(
        "Scope name must be 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter "
        "or digit",
        {{"name", name}});
  }
  ScopeDefinition d;
  d.name = name;
  auto clean = cleanScopeSuffix(suffix);
  if (!clean) {
    return fail(clean.error());
  }
  d.suffix = *clean;
  auto admin = cleanDn(admin_suffix);
  if (!admin) {
    return fail(std::move(admin.error()).with("option", "--admin-suffix"));
  }
  if (lower(d.suffix) == lower(*admin) || isBelow(d.suffix, *admin) || isBelow(*admin, d.suffix)) {
    return invalid(
        "The scope suffix must be a naming context of its own, apart from the admin "
        "suffix",
        {{"suffix", d.suffix}, {"admin_suffix", *admin}});
  }
  std::set<std::string> seen;
  for (const auto& item : servers) {
    auto pair = splitItem(item, "--servers");
    if (!pair) {
      return fail(pair.error());
    }
    const auto& [server, uri] = *pair;
    if (!isServerName(server)) {
      return invalid("Server name must be letters, digits, '.' and '-'", {{"server", server}});
    }
    if (!seen.insert(lower(server)).second) {
      return invalid("Server is listed twice", {{"server", server}});
    }
    if (auto r = checkUri(uri, server, "admin"); !r) {
      return fail(r.error());
    }
    d.servers.push_back({server, ServerRole::kConsumer, uri, ""});
  }
  if (d.servers.empty()) {
    return invalid("Give the servers that hold the scope with --servers", {});
  }
  std::set<std::string> provider_seen;
  for (const auto& item : providers) {
    auto pair = splitItem(item, "--providers");
    if (!pair) {
      return fail(pair.error());
    }
    const auto& [server, uri] = *pair;
    // A named copy: clang 14 does not let a lambda capture a structured binding.
    const std::string wanted = lower(server);
    auto it = std::find_if(d.servers.begin(), d.servers.end(),
                           [&](const ScopeServer& s) { return lower(s.name) == wanted; });
    if (it == d.servers.end()) {
      return invalid("A provider must be one of the --servers", {{"server", server}});
    }
    if (!provider_seen.insert(lower(server)).second) {
      return invalid("Provider is listed twice", {{"server", server}});
    }
    if (auto r = checkUri(uri, server, "replication"); !r) {
      return fail(r.error());
    }
    it->role = ServerRole::kProvider;
    it->replication_uri = uri;
  }
  if (provider_seen.empty()) {
    return invalid("Name at least one provider with --providers", {});
  }
  std::sort(d.servers.begin(), d.servers.end(),
            [](const ScopeServer& a, const ScopeServer& b) { return a.name < b.name; });
  return d;
}

bool sameDefinition(const ScopeDefinition& a, const ScopeDefinition& b) {
  return lower(a.suffix) == lower(b.suffix) && a.servers == b.servers;
}

std::string definitionsContainer(const std::string& admin_suffix) {
  return "ou=scopes," + admin_suffix;
}

Entry entryForDefinitionsContainer(const std::string& admin_suffix) {
  return {definitionsContainer(admin_suffix),
          {{"objectClass", {"organizationalUnit"}},
           {"ou", {"scopes"}},
           {"description", {"Anchorage scope definitions: which servers hold each scope"}}}};
}

std::string definitionDn(const std::string& admin_suffix, const std::string& name) {
  return "cn=" + name + "," + definitionsContainer(admin_suffix);
}

Entry entryForDefinition(const std::string& admin_suffix, const ScopeDefinition& d) {
  Entry e{definitionDn(admin_suffix, d.name),
          {{"objectClass", {"anchorageScopeDefinition"}},
           {"cn", {d.name}},
           {"anchorageScopeSuffix", {d.suffix}}}};
  for (const auto& s : d.servers) {
    e.attributes["anchorageScopeServer"].push_back(formatServerValue(s));
  }
  return e;
}

Result<ScopeDefinition> definitionFromEntry(const Entry& e) {
  if (!e.hasClass("anchorageScopeDefinition")) {
    return invalid("Entry is not a scope definition", {{"dn", e.dn}});
  }
  ScopeDefinition d;
  d.name = e.first("cn").value_or("");
  if (!isScopeName(d.name)) {
    return invalid("Scope definition has a bad name", {{"dn", e.dn}});
  }
  auto suffix = cleanScopeSuffix(e.first("anchorageScopeSuffix").value_or(""));
  if (!suffix) {
    return fail(std::move(suffix.error()).with("entry", e.dn));
  }
  d.suffix = *suffix;
  std::set<std::string> seen;
  for (const auto& v : e.all("anchorageScopeServer")) {
    auto s = parseServerValue(v);
    if (!s) {
      return fail(std::move(s.error()).with("entry", e.dn));
    }
    if (!seen.insert(lower(s->name)).second) {
      return invalid("Scope definition lists a server twice", {{"dn", e.dn}, {"server", s->name}});
    }
    d.servers.push_back(std::move(*s));
  }
  if (d.providers().empty()) {
    return invalid("Scope definition names no provider", {{"dn", e.dn}});
  }
  std::sort(d.servers.begin(), d.servers.end(),
            [](const ScopeServer& a, const ScopeServer& b) { return a.name < b.name; });
  return d;
}

std::string formatServerValue(const ScopeServer& s) {
  std::string out =
      "name=" + s.name + " role=" + serverRoleName(s.role) + " admin-uri=" + s.admin_uri;
  if (s.role == ServerRole::kProvider) {
    out += " replication-uri=" + s.replication_uri;
  }
  return out;
}

Result<ScopeServer> parseServerValue(const std::string& value) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= value.size()) {
    const auto space = value.find(' ', start);
    const std::string token =
        value.substr(start, space == std::string::npos ? std::string::npos : space - start);
    const auto eq = token.find('=');
    if (eq == std::string::npos ||
        !fields.emplace(token.substr(0, eq), token.substr(eq + 1)).second) {
      return invalid("Scope server value is malformed", {{"value", value}});
    }
    if (space == std::string::npos) {
      break;
    }
    start = space + 1;
  }
  ScopeServer s;
  s.name = fields["name"];
  s.admin_uri = fields["admin-uri"];
  const std::string role = fields["role"];
  s.role = role == "provider" ? ServerRole::kProvider : ServerRole::kConsumer;
  const size_t expected = s.role == ServerRole::kProvider ? 4 : 3;
  if (!isServerName(s.name) || (role != "provider" && role != "consumer") ||
      fields.size() != expected) {
    return invalid("Scope server value is malformed", {{"value", value}});
  }
  if (auto r = checkUri(s.admin_uri, s.name, "admin"); !r) {
    return fail(r.error());
  }
  if (s.role == ServerRole::kProvider) {
    s.replication_uri = fields["replication-uri"];
    if (auto r = checkUri(s.replication_uri, s.name, "replication"); !r) {
      return fail(r.error());
    }
  }
  return s;
}

Result<Entry> baseEntry(const std::string& suffix) {
  auto clean = cleanScopeSuffix(suffix);
  if (!clean) {
    return fail(clean.error());
  }
  auto rdns = splitCleanDn(*clean);
  const auto& [type, value] = rdns->front();
  const std::string t = lower(type);
  const char* object_class = t == "dc"   ? "domain"
                             : t == "ou" ? "organizationalUnit"
                                         : "organization";
  return Entry{*clean,
               {{"objectClass", {object_class}},
                {type, {value}},
                {"description", {"Anchorage replication scope"}}}};
}

Entry refreshLeaseEntry(const std::string& suffix) {
  return {"cn=rfc5011-refresh,cn=Leases,cn=Anchorage," + suffix,
          {{"objectClass", {"anchorageLease"}},
           {"cn", {"rfc5011-refresh"}},
           {"anchorageLeaseGeneration", {"0"}},
           {"description", {"Held by the agent that runs RFC 5011 refreshes for this scope"}}}};
}

AdminNames AdminNames::defaultsFor(const std::string& admin) {
  return {"cn=replicator," + admin,
          "ou=agents," + admin,
          "cn=publishers,ou=groups," + admin,
          "cn=rfc5011-refreshers,ou=groups," + admin,
          {}};
}

std::string ConfigValue::value() const {
  std::string out;
  for (const auto& line : lines) {
    out += (out.empty() ? "" : " ") + line;
  }
  return out;
}

Entry ConfigRecord::toEntry() const {
  Entry e{dn, {}};
  for (const auto& v : values) {
    e.attributes[v.attribute].push_back(v.value());
  }
  return e;
}

Result<ConfigRecord> databaseRecord(const DatabaseSpec& spec) {
  auto suffix = cleanScopeSuffix(spec.suffix);
  if (!suffix) {
    return fail(suffix.error());
  }
  if (spec.role == ServerRole::kConsumer && spec.sources.empty()) {
    return invalid("A consumer needs at least one provider", {{"suffix", *suffix}});
  }
  if (spec.first_rid == 0 || spec.first_rid + spec.sources.size() - 1 > kMaxRid) {
    return invalid("Replica ids have three digits; none is left for this database",
                   {{"suffix", *suffix}, {"first_rid", std::to_string(spec.first_rid)}});
  }
  ConfigRecord r{"olcDatabase=mdb,cn=config", {}};
  auto add = [&](const char* attribute, std::string value) {
    r.values.push_back({attribute, {std::move(value)}});
  };
  add("objectClass", "olcDatabaseConfig");
  add("objectClass", "olcMdbConfig");
  add("olcDatabase", "mdb");
  add("olcSuffix", *suffix);
  add("olcRootDN", kPeercredRoot);
  add("olcDbDirectory", spec.directory);
  add("olcDbMaxSize", "1073741824");
  for (const char* index :
       {"objectClass eq", "entryCSN eq", "entryUUID eq", "cn eq",
        "anchorageTrustPoint,anchorageAnchorId,anchorageNtaName eq", "anchorageState eq"}) {
    add("olcDbIndex", index);
  }
  for (auto& v : limits(spec.names)) {
    r.values.push_back(std::move(v));
  }
  for (auto& v : scopeAcls(spec.names, *suffix)) {
    r.values.push_back(std::move(v));
  }
  DatabaseSpec s = spec;
  s.suffix = *suffix;
  unsigned rid = spec.first_rid;
  for (const auto& uri : spec.sources) {
    auto v = syncrepl(s, rid++, uri);
    if (!v) {
      return fail(v.error());
    }
    r.values.push_back(std::move(*v));
  }
  if (spec.role == ServerRole::kProvider && !spec.sources.empty()) {
    add("olcMultiProvider", "TRUE");
  }
  if (spec.role == ServerRole::kConsumer) {
    add("olcUpdateRef", spec.sources.front());
  }
  return r;
}

ConfigRecord overlayRecord(const DatabaseSpec& spec, const std::string& database_dn) {
  return {"olcOverlay={0}syncprov," + database_dn,
          {{"objectClass", {"olcOverlayConfig"}},
           {"objectClass", {"olcSyncProvConfig"}},
           {"olcOverlay", {"{0}syncprov"}},
           {"olcSpCheckpoint", {spec.checkpoint}},
           {"olcSpSessionlog", {std::to_string(spec.sessionlog)}}}};
}

std::string renderLdif(const std::vector<ConfigRecord>& records, bool show_credentials) {
  std::string out;
  for (const auto& r : records) {
    out += (out.empty() ? "" : "\n") + std::string("dn: ") + r.dn + "\nchangetype: add\n";
    for (const auto& v : r.values) {
      for (size_t i = 0; i < v.lines.size(); ++i) {
        std::string line = v.lines[i];
        const auto cred = line.find("credentials=\"");
        if (!show_credentials && v.attribute == "olcSyncrepl" && cred != std::string::npos) {
          const auto start = cred + 13;
          const auto end = line.find('"', start);
          line.replace(start, end == std::string::npos ? std::string::npos : end - start, "***");
        }
        out += (i == 0 ? v.attribute + ": " : std::string("  ")) + line + "\n";
      }
    }
  }
  return out;
}

ServerConfig readServerConfig(const std::vector<Entry>& entries, const std::string& admin_suffix) {
  ServerConfig c;
  const std::string admin = cleanOrLower(admin_suffix);
  c.names = AdminNames::defaultsFor(cleanDn(admin_suffix).value_or(admin_suffix));
  std::set<std::string> with_syncprov;
  const Entry* admin_db = nullptr;
  for (const auto& e : entries) {
    if (e.first("olcServerID")) {
      c.has_server_id = true;
    }
    for (const auto& v : e.all("olcSyncrepl")) {
      const auto tokens = syncreplTokens(v);
      if (auto it = tokens.find("rid"); it != tokens.end()) {
        c.max_rid = std::max(c.max_rid, static_cast<unsigned>(std::atoi(it->second.c_str())));
      }
    }
    if (auto db = e.first("olcDatabase")) {
      c.max_database_index = std::max(c.max_database_index, indexOf(*db));
    }
    if (e.hasClass("olcSyncProvConfig")) {
      const auto comma = e.dn.find(',');
      if (comma != std::string::npos) {
        with_syncprov.insert(lower(e.dn.substr(comma + 1)));
      }
    }
    if (auto suffix = e.first("olcSuffix")) {
      c.databases.push_back({e.dn, *suffix, e.first("olcDbDirectory").value_or(""), false});
      if (cleanOrLower(*suffix) == admin) {
        admin_db = &e;
      }
    }
  }
  for (auto& db : c.databases) {
    db.syncprov = with_syncprov.count(lower(db.dn)) > 0;
  }
  if (admin_db == nullptr) {
    return c;
  }
  c.admin_directory = admin_db->first("olcDbDirectory");
  namesFromLimits(admin_db->all("olcLimits"), c.names);
  bool any = false;
  bool plain_ldap = false;
  ReplicationAccount account;
  for (const auto& v : admin_db->all("olcSyncrepl")) {
    auto tokens = syncreplTokens(v);
    const std::string provider = lower(tokens["provider"]);
    if (provider.starts_with("ldap://") && tokens.count("starttls") == 0) {
      plain_ldap = true;
    }
    if (any) {
      continue;
    }
    any = true;
    if (!tokens["binddn"].empty()) {
      c.names.replicator = tokens["binddn"];
    }
    account.credentials = tokens["credentials"];
    if (auto ca = tokens.find("tls_cacert"); ca != tokens.end()) {
      account.ca_file = ca->second;
    }
  }
  account.starttls = !plain_ldap;
  if (any) {
    c.account = account;
  }
  for (const auto& e : entries) {
    const auto comma = e.dn.find(',');
    if (e.hasClass("olcSyncProvConfig") && comma != std::string::npos &&
        lower(e.dn.substr(comma + 1)) == lower(admin_db->dn)) {
      c.checkpoint = e.first("olcSpCheckpoint").value_or(c.checkpoint);
      if (auto log = e.first("olcSpSessionlog")) {
        c.sessionlog = static_cast<unsigned>(std::strtoul(log->c_str(), nullptr, 10));
      }
    }
  }
  return c;
}

Result<ServerPlan> planServer(const ScopeDefinition& d, const ScopeServer& server,
                              const ServerConfig& config) {
  ServerPlan plan;
  plan.server = server;
  auto problem = [&](std::string message) {
    return invalid(std::move(message), {{"server", server.name}, {"suffix", d.suffix}});
  };
  bool held = false;
  bool syncprov = false;
  for (const auto& db : config.databases) {
    if (cleanOrLower(db.suffix) == lower(d.suffix)) {
      held = true;
      syncprov = db.syncprov;
      plan.database_dn = db.dn;
    } else if (isBelow(d.suffix, db.suffix) || isBelow(db.suffix, d.suffix)) {
      return problem("The scope suffix contains, or lies in, a naming context the server holds");
    }
  }
  plan.action = !held      ? ServerAction::kAddDatabase
                : syncprov ? ServerAction::kNone
                           : ServerAction::kAddOverlay;
  if (plan.action == ServerAction::kNone) {
    return plan;
  }
  if (!config.admin_directory) {
    return problem("The server does not hold the admin suffix; check --admin-suffix");
  }
  DatabaseSpec& spec = plan.spec;
  spec.suffix = d.suffix;
  spec.role = server.role;
  const auto slash = config.admin_directory->find_last_of('/');
  spec.directory =
      (slash == std::string::npos ? std::string(".") : config.admin_directory->substr(0, slash)) +
      "/" + databaseDirectoryName(splitCleanDn(d.suffix).value());
  for (const auto& db : config.databases) {
    if (plan.action == ServerAction::kAddDatabase && !db.directory.empty() &&
        db.directory == spec.directory) {
      return problem("Another database of the server already uses the new database's directory");
    }
  }
  for (const auto* p : d.providers()) {
    if (p->name != server.name) {
      spec.sources.push_back(p->replication_uri);
    }
  }
  spec.first_rid = config.max_rid + 1;
  spec.names = config.names;
  spec.checkpoint = config.checkpoint;
  spec.sessionlog = config.sessionlog;
  if (!spec.sources.empty()) {
    if (!config.account) {
      return problem("The admin database has no syncrepl to copy the replication account from");
    }
    spec.account = *config.account;
  }
  if (server.role == ServerRole::kProvider && !spec.sources.empty() && !config.has_server_id) {
    return problem("A provider with peers needs olcServerID in cn=config");
  }
  if (plan.action == ServerAction::kAddDatabase) {
    auto db = databaseRecord(spec);
    if (!db) {
      return fail(std::move(db.error()).with("server", server.name));
    }
    plan.database_dn =
        "olcDatabase={" + std::to_string(config.max_database_index + 1) + "}mdb,cn=config";
    plan.records.push_back(std::move(*db));
  }
  plan.records.push_back(overlayRecord(spec, plan.database_dn));
  return plan;
}

Result<std::vector<Entry>> scopeEntries(const std::string& suffix) {
  auto base = baseEntry(suffix);
  if (!base) {
    return fail(base.error());
  }
  std::vector<Entry> out = {*base};
  for (auto& e : ScopeLayout(base->dn).skeleton()) {
    out.push_back(std::move(e));
  }
  out.push_back(refreshLeaseEntry(base->dn));
  return out;
}

ConfigRecord recordForEntry(const Entry& entry) {
  ConfigRecord r{entry.dn, {}};
  for (const auto& v : entry.all("objectClass")) {
    r.values.push_back({"objectClass", {v}});
  }
  for (const auto& [attribute, values] : entry.attributes) {
    if (lower(attribute) == "objectclass") {
      continue;
    }
    for (const auto& v : values) {
      r.values.push_back({attribute, {v}});
    }
  }
  return r;
}

size_t seedServer(const std::vector<ServerPlan>& plans) {
  std::optional<size_t> first_provider;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (plans[i].server.role != ServerRole::kProvider) {
      continue;
    }
    if (plans[i].action != ServerAction::kAddDatabase) {
      return i;
    }
    if (!first_provider) {
      first_provider = i;
    }
  }
  return first_provider.value_or(0);
}

}  // namespace anchorage::directory
