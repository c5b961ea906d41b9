// SPDX-License-Identifier: Apache-2.0
//
// anchorctl scope commands (see scope.h). A scope definition lives in the admin naming context
// (directory/scope_plan.h) and is read and written through the configured directory session;
// the servers' cn=config is read and changed through an admin session per server (SASL EXTERNAL
// by default, the peer credentials of root over ldapi://).
//
// Failure posture: every input is checked, and for plan and apply every server of the scope is
// reached, its cn=config read and its change planned, before the first change; bad input, an
// unknown scope or server, an unreachable server or refused credentials change nothing. apply
// then changes one server at a time, providers first. When a server refuses a change part-way,
// the servers before it keep theirs and the error names them; running apply again finishes the
// work, since each step starts from what the server already holds.

#include "cli/scope.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "cli/online_support.h"
#include "directory/scope_plan.h"
#include "directory/session.h"
#include "util/encoding.h"

namespace anchorage::cli {
namespace {

using directory::ScopeDefinition;
using directory::ScopeServer;
using directory::ServerAction;
using directory::ServerPlan;
using directory::ServerRole;
using directory::Session;

namespace fs = std::filesystem;

// The definitions found under ou=scopes, and the entries there that are not valid ones.
struct Definitions {
  std::vector<ScopeDefinition> valid;
  std::vector<std::pair<std::string, std::string>> invalid;  // (dn, reason)
};

// One server of the scope while plan or apply runs.
struct ServerState {
  ScopeServer server;
  std::unique_ptr<Session> session;  // admin session to its cn=config
  directory::ServerConfig config;
  ServerPlan plan;
};

// Everything plan and apply know before the first change.
struct Prepared {
  ScopeDefinition definition;
  std::vector<ServerState> servers;       // providers first, then consumers, each in name order
  size_t seed = 0;                        // index of the server that receives the first entries
  std::vector<directory::Entry> entries;  // the scope's first entries the seed lacks
};

std::string lower(const std::string& s) {
  return util::toLower(s);
}

bool isLdapi(const std::string& uri) {
  return lower(uri).starts_with("ldapi://");
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "-" : out;
}

std::vector<std::string> serverNames(const ScopeDefinition& d, ServerRole role) {
  std::vector<std::string> out;
  for (const auto& s : d.servers) {
    if (s.role == role) {
      out.push_back(s.name);
    }
  }
  return out;
}

// An error about one server: what failed, which server, and the underlying reason.
Error serverError(const Error& cause, std::string message, const ScopeServer& server) {
  return Error(
      cause.code, std::move(message),
      {{"server", server.name}, {"admin_uri", server.admin_uri}, {"reason", cause.toString()}});
}

Result<std::string> adminSuffix(const ScopeCommandOptions& o) {
  auto clean = directory::cleanDn(o.admin_suffix);
  if (!clean) {
    return fail(ErrorCode::kUsage, "--admin-suffix is not a DN anchorctl can use",
                {{"admin_suffix", o.admin_suffix}, {"reason", clean.error().toString()}});
  }
  return clean;
}

// Fails with a clear message when the admin naming context is not in the directory.
Result<void> checkAdminSuffix(Session& session, const std::string& admin) {
  auto base = session.read(admin, {"objectClass"});
  if (!base && base.error().code == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound,
                "The directory holds no admin naming context there; check --admin-suffix",
                {{"admin_suffix", admin}, {"uri", session.uri()}});
  }
  if (!base) {
    return fail(base.error());
  }
  return ok();
}

Result<Definitions> readDefinitions(Session& session, const std::string& admin) {
  if (auto r = checkAdminSuffix(session, admin); !r) {
    return fail(r.error());
  }
  Definitions out;
  auto entries = session.search(directory::definitionsContainer(admin), directory::Scope::kOneLevel,
                                "(objectClass=anchorageScopeDefinition)");
  if (!entries) {
    if (entries.error().code == ErrorCode::kNotFound) {
      return out;
    }
    return fail(entries.error());
  }
  for (const auto& e : *entries) {
    auto d = directory::definitionFromEntry(e);
    if (d) {
      out.valid.push_back(std::move(*d));
    } else {
      out.invalid.emplace_back(e.dn, d.error().toString());
    }
  }
  std::sort(out.valid.begin(), out.valid.end(),
            [](const ScopeDefinition& a, const ScopeDefinition& b) { return a.name < b.name; });
  return out;
}

Result<ScopeDefinition> findDefinition(const Definitions& defs, const std::string& name) {
  std::vector<std::string> known;
  for (const auto& d : defs.valid) {
    if (d.name == name) {
      return d;
    }
    known.push_back(d.name);
  }
  return fail(ErrorCode::kNotFound, "No scope of that name is defined; see anchorctl scope list",
              {{"scope", name}, {"known", joined(known)}});
}

nlohmann::json serverJson(const ScopeServer& s) {
  nlohmann::json j{
      {"name", s.name}, {"role", directory::serverRoleName(s.role)}, {"admin_uri", s.admin_uri}};
  if (s.role == ServerRole::kProvider) {
    j["replication_uri"] = s.replication_uri;
  }
  return j;
}

nlohmann::json definitionJson(const ScopeDefinition& d, const std::string& admin) {
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : d.servers) {
    servers.push_back(serverJson(s));
  }
  return {{"name", d.name},
          {"suffix", d.suffix},
          {"dn", directory::definitionDn(admin, d.name)},
          {"servers", servers}};
}

// ---- list ------------------------------------------------------------------------------------

int runList(const Context& ctx, const ScopeCommandOptions& o) {
  auto admin = adminSuffix(o);
  if (!admin) {
    return ctx.report(admin.error());
  }
  auto opened = openDirectory(ctx);
  if (!opened) {
    return ctx.report(opened.error());
  }
  auto defs = readDefinitions(*opened->second, *admin);
  if (!defs) {
    return ctx.report(defs.error());
  }
  if (ctx.output == OutputMode::kJson) {
    nlohmann::json scopes = nlohmann::json::array();
    for (const auto& d : defs->valid) {
      scopes.push_back(definitionJson(d, *admin));
    }
    nlohmann::json invalid = nlohmann::json::array();
    for (const auto& [dn, reason] : defs->invalid) {
      invalid.push_back({{"dn", dn}, {"reason", reason}});
    }
    ctx.out << nlohmann::json{{"admin_suffix", *admin}, {"scopes", scopes}, {"invalid", invalid}}
                   .dump(2)
            << "\n";
    return EX_OK;
  }
  if (defs->valid.empty()) {
    ctx.out << "no scope is defined under " << directory::definitionsContainer(*admin) << "\n";
  } else {
    ctx.out << std::left << std::setw(18) << "SCOPE" << std::setw(42) << "SUFFIX" << std::setw(26)
            << "PROVIDERS"
            << "CONSUMERS\n";
    for (const auto& d : defs->valid) {
      ctx.out << std::setw(18) << d.name << std::setw(42) << d.suffix << std::setw(26)
              << joined(serverNames(d, ServerRole::kProvider))
              << joined(serverNames(d, ServerRole::kConsumer)) << "\n";
    }
  }
  if (!defs->invalid.empty()) {
    ctx.out << defs->invalid.size() << " entries are not valid and were ignored:\n";
    for (const auto& [dn, reason] : defs->invalid) {
      ctx.out << "  " << dn << ": " << reason << "\n";
    }
  }
  return EX_OK;
}

// ---- create ----------------------------------------------------------------------------------

// Refuses a definition that clashes with an existing one. Returns true when the same definition
// already exists.
Result<bool> checkAgainst(const Definitions& defs, const ScopeDefinition& d) {
  for (const auto& e : defs.valid) {
    if (e.name == d.name) {
      if (directory::sameDefinition(e, d)) {
        return true;
      }
      return fail(ErrorCode::kConflict,
                  "A scope of that name is defined with another suffix or other servers; "
                  "nothing changed",
                  {{"scope", d.name}, {"defined_suffix", e.suffix}});
    }
    if (lower(e.suffix) == lower(d.suffix) || directory::isBelow(e.suffix, d.suffix) ||
        directory::isBelow(d.suffix, e.suffix)) {
      return fail(ErrorCode::kConflict,
                  "The suffix is, contains or lies in the suffix of another scope; nothing "
                  "changed",
                  {{"suffix", d.suffix}, {"other_scope", e.name}, {"other_suffix", e.suffix}});
    }
  }
  return false;
}

void printCreated(const Context& ctx, const ScopeDefinition& d, const std::string& admin,
                  bool created) {
  if (ctx.output == OutputMode::kJson) {
    auto j = definitionJson(d, admin);
    j["change"] = created ? "created" : "unchanged";
    ctx.out << j.dump(2) << "\n";
    return;
  }
  ctx.out << (created ? "created" : "unchanged") << " scope " << d.name << " (" << d.suffix
          << "): providers " << joined(serverNames(d, ServerRole::kProvider)) << "; consumers "
          << joined(serverNames(d, ServerRole::kConsumer)) << "\n";
  if (created) {
    ctx.out << "next: anchorctl scope plan " << d.name << ", then anchorctl scope apply " << d.name
            << "\n";
  }
}

int runCreate(const Context& ctx, const ScopeCommandOptions& o) {
  auto admin = adminSuffix(o);
  if (!admin) {
    return ctx.report(admin.error());
  }
  auto d = directory::makeDefinition(o.name, o.suffix, o.servers, o.providers, *admin);
  if (!d) {
    return ctx.report(std::move(d.error()).with("note", "nothing changed"));
  }
  auto opened = openDirectory(ctx);
  if (!opened) {
    return ctx.report(opened.error());
  }
  Session& session = *opened->second;
  auto defs = readDefinitions(session, *admin);
  if (!defs) {
    return ctx.report(defs.error());
  }
  auto same = checkAgainst(*defs, *d);
  if (!same) {
    return ctx.report(same.error());
  }
  if (*same) {
    printCreated(ctx, *d, *admin, false);
    return EX_OK;
  }
  for (const auto& entry : {directory::entryForDefinitionsContainer(*admin),
                            directory::entryForDefinition(*admin, *d)}) {
    auto r = session.add(entry);
    const bool container = entry.dn == directory::definitionsContainer(*admin);
    if (!r && !container && r.error().code == ErrorCode::kConflict) {
      // readDefinitions() set it aside: the entry exists but is not a valid definition.
      return ctx.report(Error(ErrorCode::kConflict,
                              "An entry of that name that is not a valid scope definition is in "
                              "the way; nothing changed",
                              {{"dn", entry.dn}}));
    }
    if (!r && !(container && r.error().code == ErrorCode::kConflict)) {
      return ctx.report(Error(r.error().code,
                              "The directory did not store the scope definition; bind as an "
                              "identity that may write the admin naming context",
                              {{"dn", entry.dn}, {"reason", r.error().toString()}}));
    }
  }
  printCreated(ctx, *d, *admin, true);
  return EX_OK;
}

// ---- plan and apply: reading the servers -------------------------------------------------------

directory::SessionSettings adminSettings(const config::Config& c, const ScopeServer& server,
                                         const ScopeCommandOptions& o) {
  auto s = agent::sessionSettings(c.directory, c.directory.read);
  s.uris = {server.admin_uri};
  if (o.admin_dn.empty()) {
    s.bind_method = directory::BindMethod::kExternal;
    s.bind_dn.clear();
    s.password_file.clear();
  } else {
    s.bind_method = directory::BindMethod::kSimple;
    s.bind_dn = o.admin_dn;
    s.password_file = o.admin_password_file;
  }
  return s;
}

// The cn=config entries readServerConfig() needs; a session that may not see them fails with
// kPermission.
Result<std::vector<directory::Entry>> readCnConfig(Session& session, const ScopeServer& server) {
  auto entries =
      session.search("cn=config", directory::Scope::kSubtree, directory::kServerConfigFilter);
  const bool hidden = (!entries && (entries.error().code == ErrorCode::kNotFound ||
                                    entries.error().code == ErrorCode::kPermission)) ||
                      (entries && std::none_of(entries->begin(), entries->end(),
                                               [](auto& e) { return e.hasClass("olcGlobal"); }));
  if (hidden) {
    return fail(ErrorCode::kPermission,
                "The admin identity may not read the server's cn=config; bind as its manager "
                "(SASL EXTERNAL as root over ldapi://, or --admin-dn)",
                {{"server", server.name}, {"admin_uri", server.admin_uri}});
  }
  if (!entries) {
    return fail(serverError(entries.error(), "Reading the server's cn=config failed", server));
  }
  return entries;
}

// Over ldapi:// the server runs on this host and apply creates the new database's directory;
// refuse now what would make that fail or mix two databases.
Result<void> checkLocalDirectory(const ServerState& s) {
  const fs::path dir = s.plan.spec.directory;
  std::error_code ec;
  std::string problem;
  if (!fs::is_directory(dir.parent_path(), ec)) {
    problem = "The parent of the new database's directory does not exist on this host";
  } else if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    problem = "The new database's directory exists and is not a directory";
  } else if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    problem = "The new database's directory exists and is not empty; move it away first";
  }
  if (!problem.empty()) {
    return fail(ErrorCode::kInvalidInput, problem,
                {{"server", s.server.name}, {"directory", dir.string()}});
  }
  return ok();
}

Result<ServerState> prepareServer(const config::Config& c, const ScopeDefinition& d,
                                  const ScopeServer& server, const ScopeCommandOptions& o,
                                  const std::string& admin) {
  auto session = Session::open(adminSettings(c, server, o));
  if (!session) {
    return fail(serverError(session.error(),
                            "Cannot open an admin session on a server of the scope; nothing "
                            "changed",
                            server));
  }
  auto entries = readCnConfig(**session, server);
  if (!entries) {
    return fail(entries.error());
  }
  ServerState s{server, std::move(*session), directory::readServerConfig(*entries, admin), {}};
  auto plan = directory::planServer(d, server, s.config);
  if (!plan) {
    return fail(plan.error());
  }
  s.plan = std::move(*plan);
  if (s.plan.action == ServerAction::kAddDatabase && isLdapi(server.admin_uri)) {
    if (auto r = checkLocalDirectory(s); !r) {
      return fail(r.error());
    }
  }
  return s;
}

// The scope's first entries that the seed server lacks (all of them when its database is new).
Result<std::vector<directory::Entry>> missingEntries(ServerState& seed, const ScopeDefinition& d) {
  auto wanted = directory::scopeEntries(d.suffix);
  if (!wanted) {
    return fail(wanted.error());
  }
  if (seed.plan.action == ServerAction::kAddDatabase) {
    return wanted;
  }
  auto found =
      seed.session->search(d.suffix, directory::Scope::kSubtree, "(objectClass=*)", {"1.1"});
  if (!found && found.error().code != ErrorCode::kNotFound) {
    return fail(serverError(found.error(), "Reading the scope's entries failed", seed.server));
  }
  std::vector<directory::Entry> out;
  for (auto& e : *wanted) {
    const bool present = found && std::any_of(found->begin(), found->end(),
                                              [&](auto& f) { return lower(f.dn) == lower(e.dn); });
    if (!present) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<Prepared> prepare(const Context& ctx, const ScopeCommandOptions& o) {
  auto admin = adminSuffix(o);
  if (!admin) {
    return fail(admin.error());
  }
  if (o.admin_dn.empty() != o.admin_password_file.empty()) {
    return fail(ErrorCode::kUsage, "Give --admin-dn and --admin-password-file together");
  }
  auto opened = openDirectory(ctx);
  if (!opened) {
    return fail(opened.error());
  }
  auto defs = readDefinitions(*opened->second, *admin);
  if (!defs) {
    return fail(defs.error());
  }
  auto d = findDefinition(*defs, o.name);
  if (!d) {
    return fail(d.error());
  }
  const auto& servers = d->servers;
  if (!o.server.empty() &&
      std::none_of(servers.begin(), servers.end(), [&](auto& s) { return s.name == o.server; })) {
    std::vector<std::string> names;
    for (const auto& s : servers) {
      names.push_back(s.name);
    }
    return fail(ErrorCode::kUsage, "The scope has no server of that name",
                {{"scope", d->name}, {"server", o.server}, {"servers", joined(names)}});
  }
  Prepared p{*d, {}, 0, {}};
  for (const ServerRole role : {ServerRole::kProvider, ServerRole::kConsumer}) {
    for (const auto& server : servers) {
      if (server.role != role) {
        continue;
      }
      auto s = prepareServer(opened->first, *d, server, o, *admin);
      if (!s) {
        return fail(s.error());
      }
      p.servers.push_back(std::move(*s));
    }
  }
  std::vector<ServerPlan> plans;
  for (const auto& s : p.servers) {
    plans.push_back(s.plan);
  }
  p.seed = directory::seedServer(plans);
  auto missing = missingEntries(p.servers[p.seed], *d);
  if (!missing) {
    return fail(missing.error());
  }
  p.entries = std::move(*missing);
  return p;
}

// ---- plan ------------------------------------------------------------------------------------

std::string actionText(const ServerState& s) {
  switch (s.plan.action) {
    case ServerAction::kNone:
      return "nothing to do: " + s.plan.database_dn + " holds the scope";
    case ServerAction::kAddOverlay:
      return "add the syncprov overlay to " + s.plan.database_dn;
    case ServerAction::kAddDatabase:
      return "add a database (it will be " + s.plan.database_dn + ") with its syncprov overlay";
  }
  return "";
}

std::string directoryNote(const ServerState& s) {
  if (isLdapi(s.server.admin_uri)) {
    return "apply creates its directory " + s.plan.spec.directory;
  }
  return "create its directory " + s.plan.spec.directory +
         " on that host first, owned by the user slapd runs as";
}

std::vector<directory::ConfigRecord> entryRecords(const std::vector<directory::Entry>& entries) {
  std::vector<directory::ConfigRecord> out;
  for (const auto& e : entries) {
    out.push_back(directory::recordForEntry(e));
  }
  return out;
}

void printPlanJson(const Context& ctx, const Prepared& p, const ScopeCommandOptions& o) {
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : p.servers) {
    if (!o.server.empty() && s.server.name != o.server) {
      continue;
    }
    auto j = serverJson(s.server);
    j["action"] = directory::serverActionName(s.plan.action);
    j["database"] = s.plan.database_dn;
    if (s.plan.action == ServerAction::kAddDatabase) {
      j["directory"] = s.plan.spec.directory;
      j["apply_creates_directory"] = isLdapi(s.server.admin_uri);
    }
    j["ldif"] = directory::renderLdif(s.plan.records, o.show_credentials);
    servers.push_back(std::move(j));
  }
  nlohmann::json entries = {{"server", p.servers[p.seed].server.name},
                            {"dns", nlohmann::json::array()},
                            {"ldif", directory::renderLdif(entryRecords(p.entries), false)}};
  for (const auto& e : p.entries) {
    entries["dns"].push_back(e.dn);
  }
  ctx.out << nlohmann::json{{"scope", p.definition.name},
                            {"suffix", p.definition.suffix},
                            {"servers", servers},
                            {"entries", entries}}
                 .dump(2)
          << "\n";
}

int runPlan(const Context& ctx, const ScopeCommandOptions& o) {
  auto p = prepare(ctx, o);
  if (!p) {
    return ctx.report(p.error());
  }
  if (ctx.output == OutputMode::kJson) {
    printPlanJson(ctx, *p, o);
    return EX_OK;
  }
  ctx.out << "# Scope " << p->definition.name << ": " << p->definition.suffix << "\n"
          << "# Each part is LDIF for one server (ldapmodify -Y EXTERNAL -H <its admin URI>).\n";
  size_t changes = 0;
  for (const auto& s : p->servers) {
    changes += s.plan.action != ServerAction::kNone ? 1 : 0;
    if (!o.server.empty() && s.server.name != o.server) {
      continue;
    }
    ctx.out << "\n# " << s.server.name << " (" << directory::serverRoleName(s.server.role) << ", "
            << s.server.admin_uri << "): " << actionText(s) << "\n";
    if (s.plan.action == ServerAction::kAddDatabase) {
      ctx.out << "# " << directoryNote(s) << "\n";
    }
    ctx.out << directory::renderLdif(s.plan.records, o.show_credentials);
    const auto& seed = p->servers[p->seed];
    if (&s == &seed && !p->entries.empty()) {
      ctx.out << "\n# " << s.server.name
              << ": the scope's first entries; replication copies them to the other servers\n"
              << directory::renderLdif(entryRecords(p->entries), false);
    }
  }
  if (changes == 0 && p->entries.empty()) {
    ctx.out << "\n# Nothing to do: every server holds the scope.\n";
  }
  return EX_OK;
}

// ---- apply -----------------------------------------------------------------------------------

// Creates the new database's directory on this host with the owner of the admin database's
// directory (the user slapd runs as). Returns true when it made the directory.
Result<bool> makeLocalDirectory(const ServerState& s) {
  const std::string dir = s.plan.spec.directory;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return false;
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return fail(ErrorCode::kIo, "Cannot create the new database's directory",
                {{"server", s.server.name}, {"directory", dir}});
  }
  struct stat owner {};
  if (s.config.admin_directory && ::stat(s.config.admin_directory->c_str(), &owner) == 0 &&
      ::chown(dir.c_str(), owner.st_uid, owner.st_gid) != 0) {
    fs::remove(dir, ec);
    return fail(ErrorCode::kIo, "Cannot give the new database's directory to the slapd user",
                {{"server", s.server.name}, {"directory", dir}});
  }
  return true;
}

// The DN the server gave the database of `suffix`.
Result<std::string> databaseDn(ServerState& s, const std::string& suffix,
                               const std::string& admin) {
  auto entries = readCnConfig(*s.session, s.server);
  if (!entries) {
    return fail(entries.error());
  }
  for (const auto& db : directory::readServerConfig(*entries, admin).databases) {
    if (lower(directory::cleanDn(db.suffix).value_or(db.suffix)) == lower(suffix)) {
      return db.dn;
    }
  }
  return fail(ErrorCode::kInternal, "The server accepted the database but does not show it",
              {{"server", s.server.name}, {"suffix", suffix}});
}

// Adds what the plan of one server says; returns the database's DN.
Result<std::string> applyServer(ServerState& s, const std::string& suffix,
                                const std::string& admin) {
  if (s.plan.action == ServerAction::kNone) {
    return s.plan.database_dn;
  }
  std::string dn = s.plan.database_dn;
  if (s.plan.action == ServerAction::kAddDatabase) {
    bool created = false;
    if (isLdapi(s.server.admin_uri)) {
      auto made = makeLocalDirectory(s);
      if (!made) {
        return fail(made.error());
      }
      created = *made;
    }
    if (auto r = s.session->add(s.plan.records.front().toEntry()); !r) {
      std::error_code ec;
      if (created) {
        fs::remove(s.plan.spec.directory, ec);
      }
      return fail(std::move(serverError(r.error(), "The server refused the new database", s.server))
                      .with("directory", s.plan.spec.directory));
    }
    auto actual = databaseDn(s, suffix, admin);
    if (!actual) {
      return fail(actual.error());
    }
    dn = *actual;
  }
  if (auto r = s.session->add(directory::overlayRecord(s.plan.spec, dn).toEntry()); !r) {
    return fail(serverError(r.error(), "The server refused the syncprov overlay", s.server));
  }
  return dn;
}

// Adds the scope's first entries on the seed server; returns how many it added.
Result<size_t> addEntries(ServerState& seed, const std::vector<directory::Entry>& entries) {
  size_t added = 0;
  for (const auto& e : entries) {
    auto r = seed.session->add(e);
    if (!r && r.error().code != ErrorCode::kConflict) {
      return fail(
          std::move(serverError(r.error(), "The server refused an entry of the scope", seed.server))
              .with("dn", e.dn));
    }
    added += r ? 1 : 0;
  }
  return added;
}

void printApplied(const Context& ctx, const Prepared& p, const std::vector<std::string>& dns,
                  size_t added) {
  if (ctx.output == OutputMode::kJson) {
    nlohmann::json servers = nlohmann::json::array();
    for (size_t i = 0; i < p.servers.size(); ++i) {
      auto j = serverJson(p.servers[i].server);
      j["action"] = directory::serverActionName(p.servers[i].plan.action);
      j["changed"] = p.servers[i].plan.action != ServerAction::kNone;
      j["database"] = dns[i];
      servers.push_back(std::move(j));
    }
    ctx.out << nlohmann::json{{"scope", p.definition.name},
                              {"suffix", p.definition.suffix},
                              {"servers", servers},
                              {"entries_server", p.servers[p.seed].server.name},
                              {"entries_added", added}}
                   .dump(2)
            << "\n";
    return;
  }
  ctx.out << "scope " << p.definition.name << " (" << p.definition.suffix << ")\n";
  ctx.out << std::left << std::setw(20) << "SERVER" << std::setw(10) << "ROLE"
          << "RESULT\n";
  for (size_t i = 0; i < p.servers.size(); ++i) {
    const auto& s = p.servers[i];
    const char* what = s.plan.action == ServerAction::kAddDatabase  ? "added database "
                       : s.plan.action == ServerAction::kAddOverlay ? "added syncprov to "
                                                                    : "unchanged: ";
    ctx.out << std::setw(20) << s.server.name << std::setw(10)
            << directory::serverRoleName(s.server.role) << what << dns[i] << "\n";
  }
  if (added > 0) {
    ctx.out << "added " << added << " entries of the scope on " << p.servers[p.seed].server.name
            << "; replication copies them to the other servers\n";
  }
}

int runApply(const Context& ctx, const ScopeCommandOptions& o) {
  auto p = prepare(ctx, o);
  if (!p) {
    return ctx.report(p.error());
  }
  const auto admin = adminSuffix(o).value();
  std::vector<std::string> dns;
  std::vector<std::string> changed;
  auto partial = [&](Error e) {
    if (!changed.empty()) {
      e.with("already_changed", joined(changed)).with("note", "run apply again to finish");
    }
    return ctx.report(e);
  };
  for (auto& s : p->servers) {
    auto dn = applyServer(s, p->definition.suffix, admin);
    if (!dn) {
      return partial(dn.error());
    }
    dns.push_back(*dn);
    if (s.plan.action != ServerAction::kNone) {
      changed.push_back(s.server.name);
    }
  }
  auto added = addEntries(p->servers[p->seed], p->entries);
  if (!added) {
    return partial(added.error());
  }
  printApplied(ctx, *p, dns, *added);
  return EX_OK;
}

// ---- command line ----------------------------------------------------------------------------

void addAdminSuffix(CLI::App* cmd, ScopeCommandOptions& o) {
  cmd->add_option("--admin-suffix", o.admin_suffix,
                  "Admin naming context; the definitions are under ou=scopes in it")
      ->capture_default_str();
}

void addAdminBind(CLI::App* cmd, ScopeCommandOptions& o) {
  cmd->add_option("--admin-dn", o.admin_dn,
                  "Simple bind DN for the servers' cn=config (default: SASL EXTERNAL)");
  cmd->add_option("--admin-password-file", o.admin_password_file, "Password of --admin-dn");
}

constexpr const char* kScopeFooter =
    "A scope is a naming context of its own, held by a set of servers: its providers replicate\n"
    "it among themselves (multi-provider) and its consumers replicate it from every provider.\n"
    "Definitions live under ou=scopes of the admin naming context (--admin-suffix). The usual\n"
    "sequence: scope create, scope plan (review), scope apply.";

constexpr const char* kCreateFooter =
    "Stores the definition only; no server changes until scope apply. --servers lists every\n"
    "server as NAME=ADMIN_URI, the URI where its cn=config is managed (ldapi:// on its host,\n"
    "or ldap(s)://). --providers names the writable ones as NAME=REPLICATION_URI, the URI the\n"
    "other servers replicate from; the rest are read-only consumers, which refer writes to the\n"
    "first provider. Both take comma-separated items or repeat. Creating the same definition\n"
    "again changes nothing; a different one under the same name or suffix is refused (75).\n"
    "Writing the admin naming context needs its manager, e.g. SASL EXTERNAL as root over\n"
    "ldapi:// in the configuration. Example:\n"
    "  anchorctl scope create branch --suffix dc=BranchDnsZones,dc=example,dc=com \\\n"
    "    --servers ldap1=ldapi:///,ldap2=ldaps://ldap2.example.com/ \\\n"
    "    --providers ldap1=ldap://ldap1.example.com/,ldap2=ldap://ldap2.example.com/";

constexpr const char* kPlanFooter =
    "Reads every server's cn=config (admin session: SASL EXTERNAL, or --admin-dn with\n"
    "--admin-password-file; TLS settings from the configuration) and prints, per server, the\n"
    "LDIF it still needs: an mdb database for the suffix with the Anchorage access rules and\n"
    "limits, syncrepl to every other provider (StartTLS and the CA as the server's admin\n"
    "database replicates), olcMultiProvider or olcUpdateRef, and the syncprov overlay; then the\n"
    "scope's first entries for one provider. The replication password shows as *** unless\n"
    "--show-credentials. Nothing is changed. Every server must be reachable.";

constexpr const char* kApplyFooter =
    "Does what scope plan prints: first every server is reached and planned (a failure there\n"
    "changes nothing), then the providers and the consumers are changed one at a time over\n"
    "LDAP, and the scope's first entries are added on one provider, from where replication\n"
    "copies them. Over ldapi:// anchorctl creates the database directory (owned like the admin\n"
    "database's); for servers managed over ldap(s)://, create it first as scope plan says.\n"
    "Applying again changes nothing. If a server refuses a change part-way, the error names\n"
    "the servers already changed; apply again to finish.";

}  // namespace

void addScopeCommands(CLI::App& app, ScopeCommandOptions& o) {
  auto* scope = app.add_subcommand("scope", "Replication scopes: define them, configure servers");
  scope->footer(kScopeFooter);
  scope->require_subcommand(1);

  auto* list = scope->add_subcommand("list", "List the scope definitions");
  list->footer("Shows each scope's suffix, providers and consumers; needs read access only.");
  addAdminSuffix(list, o);

  auto* create = scope->add_subcommand("create", "Define a scope: suffix, servers, providers");
  create->footer(kCreateFooter);
  create->add_option("name", o.name, "Scope name: a-z, 0-9, '_' and '-'")->required();
  create->add_option("--suffix", o.suffix, "Naming context, e.g. dc=BranchDnsZones,dc=example")
      ->required();
  create->add_option("--servers", o.servers, "Every server: NAME=ADMIN_URI, ...")
      ->required()
      ->delimiter(',');
  create->add_option("--providers", o.providers, "The providers: NAME=REPLICATION_URI, ...")
      ->required()
      ->delimiter(',');
  addAdminSuffix(create, o);

  auto* plan = scope->add_subcommand("plan", "Print the cn=config LDIF each server needs");
  plan->footer(kPlanFooter);
  plan->add_option("name", o.name, "Scope name")->required();
  plan->add_option("--server", o.server, "Print only this server's part");
  plan->add_flag("--show-credentials", o.show_credentials,
                 "Print the replication password (for loading the LDIF by hand)");
  addAdminSuffix(plan, o);
  addAdminBind(plan, o);

  auto* apply = scope->add_subcommand("apply", "Configure every server of a scope over LDAP");
  apply->footer(kApplyFooter);
  apply->add_option("name", o.name, "Scope name")->required();
  addAdminSuffix(apply, o);
  addAdminBind(apply, o);
}

int runScopeCommand(const Context& ctx, const ScopeCommandOptions& options, const CLI::App& scope) {
  const std::string name = scope.get_subcommands().front()->get_name();
  if (name == "list") {
    return runList(ctx, options);
  }
  if (name == "create") {
    return runCreate(ctx, options);
  }
  if (name == "plan") {
    return runPlan(ctx, options);
  }
  if (name == "apply") {
    return runApply(ctx, options);
  }
  return EX_SOFTWARE;
}

}  // namespace anchorage::cli
