// SPDX-License-Identifier: Apache-2.0
//
// The configuration loader: reads the YAML tree (yaml_tree.h) section by section into the
// structs of config.h with the typed readers of value_reader.h, fills in defaults, and checks
// the rules that span several keys (unique scope names and bases, at least a directory). The
// directory section lives in directory_config.cc, the resolvers in resolver_config.cc.

#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <set>

#include "config/directory_config.h"
#include "config/resolver_config.h"
#include "config/value_reader.h"
#include "config/yaml_tree.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kTopKeys[] = {
    "server",   "directory", "scopes", "state_dir", "resolvers",          "guard",
    "debounce", "metrics",   "log",    "publisher", "trusted_publishers", "rfc5011"};
constexpr std::string_view kScopeKeys[] = {"name",           "base",          "type",
                                           "trusted_owners", "poll_interval", "reconcile_interval"};
constexpr std::string_view kGuardKeys[] = {"max_removal_share", "allow_mass_removal"};
constexpr std::string_view kMetricsKeys[] = {"listen"};
constexpr std::string_view kLogKeys[] = {"format", "level"};
constexpr std::string_view kPublisherKeys[] = {"signing_key_file"};
constexpr std::string_view kRfc5011Keys[] = {"enabled",       "servers",          "lease",
                                             "add_hold_down", "remove_hold_down", "min_refresh",
                                             "max_refresh",   "max_retry"};

// Checks the shape of a distinguished name (RFC 4514 §3): comma-separated attribute=value
// pairs, commas inside values escaped with a backslash.
bool isDistinguishedName(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  std::string_view rest = text;
  while (true) {
    size_t end = 0;
    while (end < rest.size() && rest[end] != ',') {
      end += rest[end] == '\\' ? 2 : 1;
    }
    const std::string_view rdn = util::trim(rest.substr(0, std::min(end, rest.size())));
    const size_t equals = rdn.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return false;
    }
    for (const char c : util::trim(rdn.substr(0, equals))) {
      const bool ok_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '.';
      if (!ok_char) {
        return false;
      }
    }
    if (end >= rest.size()) {
      return true;
    }
    rest = rest.substr(end + 1);
  }
}

// "S-1-<authority>-<sub>..." with decimal numbers (MS-DTYP 2.4.2.1), 1 to 15 sub-authorities.
bool isSid(std::string_view text) {
  if (!text.starts_with("S-1-") && !text.starts_with("s-1-")) {
    return false;
  }
  size_t numbers = 0;
  size_t digits = 0;
  for (const char c : text.substr(4)) {
    if (c == '-') {
      if (digits == 0) {
        return false;
      }
      ++numbers;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 20) {
      ++digits;
    } else {
      return false;
    }
  }
  // The authority and every sub-authority.
  return digits > 0 && numbers + 1 >= 2 && numbers + 1 <= 16;
}

Result<ScopeConfig> readScope(const Value& value) {
  auto map = MapReader::open(value, kScopeKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ScopeConfig scope;
  for (const std::string_view key : {"name", "base"}) {
    if (!map->get(key)) {
      return fail(map->missing(key));
    }
  }
  const Value name = *map->get("name");
  ANCHORAGE_CONFIG_TRY(readField(*map, "name", scope.name, readString));
  const bool good_name =
      scope.name.size() <= 64 && std::all_of(scope.name.begin(), scope.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      });
  if (!good_name) {
    return fail(valueError(name, "Expected a scope name of lower-case letters, digits, _ and -"));
  }
  ANCHORAGE_CONFIG_TRY(readField(*map, "base", scope.base, readString));
  if (!isDistinguishedName(scope.base)) {
    return fail(
        valueError(*map->get("base"),
                   "Expected a distinguished name like dc=ForestDnsZones,dc=example,dc=com"));
  }
  ANCHORAGE_CONFIG_TRY(readField(*map, "type", scope.type, [](const Value& v) {
    return readEnum<ScopeType>(
        v, {{"anchorage", ScopeType::kAnchorage}, {"ad", ScopeType::kActiveDirectory}},
        "Expected anchorage or ad");
  }));
  const bool ad = scope.type == ScopeType::kActiveDirectory;
  for (const std::string_view key : {"trusted_owners", "poll_interval", "reconcile_interval"}) {
    if (!ad && map->get(key)) {
      return fail(valueError(*map->get(key), "Only an AD scope (type: ad) takes this key"));
    }
  }
  if (auto owners = map->get("trusted_owners")) {
    auto items = readSequence(*owners);
    ANCHORAGE_CONFIG_TRY(items);
    for (const auto& item : *items) {
      auto sid = readString(item);
      ANCHORAGE_CONFIG_TRY(sid);
      if (!isSid(*sid)) {
        return fail(
            valueError(item, "Expected a SID like S-1-5-21-1004336348-1177238915-682003330-512"));
      }
      sid->front() = 'S';
      scope.trusted_owners.push_back(*sid);
    }
  }
  ANCHORAGE_CONFIG_TRY(readField(*map, "poll_interval", scope.poll_interval,
                                 durationIn(std::chrono::milliseconds(100), hours(1))));
  ANCHORAGE_CONFIG_TRY(readField(*map, "reconcile_interval", scope.reconcile_interval,
                                 durationIn(seconds(1), hours(24))));
  return scope;
}

Result<void> readScopes(const Value& value, ScopesConfig& out) {
  constexpr const char* kExpected = "Expected auto or a list of {name, base} scopes";
  if (value.node->kind == YamlNode::Kind::kNull ||
      (value.node->kind == YamlNode::Kind::kScalar && value.node->scalar == "auto")) {
    return ok();
  }
  if (value.node->kind != YamlNode::Kind::kSequence || value.node->items.empty()) {
    Error error = valueError(value, kExpected);
    if (value.node->kind == YamlNode::Kind::kScalar &&
        !closestName(value.node->scalar, std::array<std::string_view, 1>{"auto"}).empty()) {
      error.with("suggestion", "auto");
    }
    return fail(std::move(error));
  }
  auto items = readSequence(value);
  ANCHORAGE_CONFIG_TRY(items);
  out.automatic = false;
  std::set<std::string> names;
  std::set<std::string> bases;
  for (const auto& item : *items) {
    auto scope = readScope(item);
    ANCHORAGE_CONFIG_TRY(scope);
    if (!names.insert(scope->name).second) {
      auto map = MapReader::open(item, kScopeKeys);
      ANCHORAGE_CONFIG_TRY(map);
      return fail(valueError(*map->get("name"), "Duplicate scope name"));
    }
    if (!bases.insert(util::toLower(scope->base)).second) {
      return fail(valueError(item, "Another scope has the same base"));
    }
    out.listed.push_back(std::move(*scope));
  }
  return ok();
}

Result<void> readGuard(const Value& value, GuardConfig& out) {
  auto map = MapReader::open(value, kGuardKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(readField(*map, "max_removal_share", out.max_removal_share, readShare));
  return readField(*map, "allow_mass_removal", out.allow_mass_removal, readBool);
}

Result<void> readMetrics(const Value& value, MetricsConfig& out) {
  auto map = MapReader::open(value, kMetricsKeys);
  ANCHORAGE_CONFIG_TRY(map);
  out.enabled = true;
  return readField(*map, "listen", out.listen, readHostPort);
}

Result<std::vector<HostPort>> readHostPortList(const Value& value) {
  auto items = readSequence(value);
  ANCHORAGE_CONFIG_TRY(items);
  std::vector<HostPort> out;
  for (const auto& item : *items) {
    auto hp = readHostPort(item);
    ANCHORAGE_CONFIG_TRY(hp);
    out.push_back(std::move(*hp));
  }
  return out;
}

Result<void> readRfc5011(const Value& value, Rfc5011Config& out) {
  auto map = MapReader::open(value, kRfc5011Keys);
  ANCHORAGE_CONFIG_TRY(map);
  const auto year = hours(24 * 365);
  ANCHORAGE_CONFIG_TRY(readField(*map, "enabled", out.enabled, readBool));
  ANCHORAGE_CONFIG_TRY(readField(*map, "servers", out.servers, readHostPortList));
  ANCHORAGE_CONFIG_TRY(readField(*map, "lease", out.lease, durationIn(seconds(1), hours(1))));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "add_hold_down", out.add_hold_down, durationIn(seconds(1), year)));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "remove_hold_down", out.remove_hold_down, durationIn(seconds(1), year)));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "min_refresh", out.min_refresh, durationIn(seconds(1), hours(24))));
  ANCHORAGE_CONFIG_TRY(
      readField(*map, "max_refresh", out.max_refresh, durationIn(out.min_refresh, year)));
  return readField(*map, "max_retry", out.max_retry, durationIn(out.min_refresh, year));
}

Result<void> readLog(const Value& value, LogConfig& out) {
  auto map = MapReader::open(value, kLogKeys);
  ANCHORAGE_CONFIG_TRY(map);
  ANCHORAGE_CONFIG_TRY(readField(*map, "format", out.format, [](const Value& v) {
    return readEnum<LogFormat>(v,
                               {{"logfmt", LogFormat::kLogfmt},
                                {"json", LogFormat::kJson},
                                {"journald", LogFormat::kJournald}},
                               "Expected one of logfmt, json, journald");
  }));
  return readField(*map, "level", out.level, [](const Value& v) {
    return readEnum<util::Level>(v,
                                 {{"error", util::Level::kError},
                                  {"warning", util::Level::kWarning},
                                  {"notice", util::Level::kNotice},
                                  {"info", util::Level::kInfo},
                                  {"debug", util::Level::kDebug}},
                                 "Expected one of error, warning, notice, info, debug");
  });
}

Result<std::vector<std::string>> readPathList(const Value& value) {
  auto items = readSequence(value);
  ANCHORAGE_CONFIG_TRY(items);
  std::vector<std::string> paths;
  for (const auto& item : *items) {
    auto path = readAbsolutePath(item);
    ANCHORAGE_CONFIG_TRY(path);
    if (std::find(paths.begin(), paths.end(), *path) != paths.end()) {
      return fail(valueError(item, "Duplicate path"));
    }
    paths.push_back(std::move(*path));
  }
  return paths;
}

Result<std::string> readServer(const Value& value) {
  auto name = readString(value);
  ANCHORAGE_CONFIG_TRY(name);
  if (!isHostName(*name)) {
    return fail(valueError(value, "Expected a host name like dns1.example.com"));
  }
  std::string lowered = util::toLower(*name);
  if (lowered.ends_with('.')) {
    lowered.pop_back();
  }
  return lowered;
}

std::string hostName() {
  char buffer[HOST_NAME_MAX + 1] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') {
    return "localhost";
  }
  return util::toLower(buffer);
}

Result<void> readSections(const MapReader& top, Config& config) {
  ANCHORAGE_CONFIG_TRY(readField(top, "server", config.server, readServer));
  const auto directory = top.get("directory");
  if (!directory) {
    return fail(top.missing("directory"));
  }
  ANCHORAGE_CONFIG_TRY(readDirectory(*directory, config.directory));
  if (auto scopes = top.get("scopes")) {
    ANCHORAGE_CONFIG_TRY(readScopes(*scopes, config.scopes));
  }
  ANCHORAGE_CONFIG_TRY(readField(top, "state_dir", config.state_dir, readAbsolutePath));
  if (auto resolvers = top.get("resolvers")) {
    ANCHORAGE_CONFIG_TRY(readResolvers(*resolvers, config.resolvers));
  }
  if (auto guard = top.get("guard")) {
    ANCHORAGE_CONFIG_TRY(readGuard(*guard, config.guard));
  }
  ANCHORAGE_CONFIG_TRY(
      readField(top, "debounce", config.debounce, durationIn(Duration::zero(), minutes(10))));
  if (auto metrics = top.get("metrics")) {
    ANCHORAGE_CONFIG_TRY(readMetrics(*metrics, config.metrics));
  }
  if (auto log = top.get("log")) {
    ANCHORAGE_CONFIG_TRY(readLog(*log, config.log));
  }
  if (auto rfc5011 = top.get("rfc5011")) {
    ANCHORAGE_CONFIG_TRY(readRfc5011(*rfc5011, config.rfc5011));
  }
  if (auto publisher = top.get("publisher")) {
    auto map = MapReader::open(*publisher, kPublisherKeys);
    ANCHORAGE_CONFIG_TRY(map);
    ANCHORAGE_CONFIG_TRY(
        readField(*map, "signing_key_file", config.publisher.signing_key_file, readAbsolutePath));
  }
  return readField(top, "trusted_publishers", config.trusted_publishers, readPathList);
}

Result<Config> buildConfig(const YamlNode& root) {
  if (root.kind == YamlNode::Kind::kNull) {
    return fail(configError(root.mark, "directory",
                            "Configuration is empty; it needs at least a directory section"));
  }
  const Value top_value{&root, ""};
  if (root.kind != YamlNode::Kind::kMap) {
    return fail(valueError(top_value, "Expected a map of settings at the top level"));
  }
  auto top = MapReader::open(top_value, kTopKeys);
  ANCHORAGE_CONFIG_TRY(top);
  Config config;
  ANCHORAGE_CONFIG_TRY(readSections(*top, config));
  if (config.server.empty()) {
    config.server = hostName();
  }
  return config;
}

// Puts the `file` field first, so that Error::toString() reads "... (file=…, line=…, …)".
Error withFile(Error error, std::string_view source) {
  error.fields.insert(error.fields.begin(), Field{"file", std::string(source)});
  return error;
}

}  // namespace

const char* resolverTypeName(ResolverType type) {
  switch (type) {
    case ResolverType::kUnbound:
      return "unbound";
    case ResolverType::kBind:
      return "bind";
    case ResolverType::kKnot:
      return "knot";
    case ResolverType::kPdns:
      return "pdns";
    case ResolverType::kResolved:
      return "resolved";
  }
  return "unbound";
}

const char* bindMethodName(BindMethod method) {
  switch (method) {
    case BindMethod::kExternal:
      return "external";
    case BindMethod::kSimple:
      return "simple";
    case BindMethod::kGssapi:
      return "gssapi";
  }
  return "external";
}

const char* logFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kLogfmt:
      return "logfmt";
    case LogFormat::kJson:
      return "json";
    case LogFormat::kJournald:
      return "journald";
  }
  return "logfmt";
}

Result<Config> parseConfig(std::string_view text, std::string_view source) {
  YamlLimits limits;
  limits.max_bytes = kMaxConfigBytes;
  auto root = readYamlDocument(text, limits);
  if (!root) {
    return fail(withFile(std::move(root.error()), source));
  }
  auto config = buildConfig(**root);
  if (!config) {
    return fail(withFile(std::move(config.error()), source));
  }
  return config;
}

Result<Config> loadConfigFile(const std::string& path) {
  auto text = util::readFile(path, kMaxConfigBytes);
  if (!text) {
    const Error& cause = text.error();
    Error error(ErrorCode::kConfig, "Configuration file cannot be read", {{"file", path}});
    const std::string reason = cause.field("reason");
    error.with("reason", reason.empty() ? cause.message : reason);
    return fail(std::move(error));
  }
  return parseConfig(*text, path);
}

std::string describeConfigError(const Error& error) {
  const std::string file = error.field("file");
  const std::string line = error.field("line");
  if (error.code != ErrorCode::kConfig || file.empty()) {
    return error.toString();
  }
  std::string out = file + ":";
  if (!line.empty()) {
    out += line + ":" + error.field("column") + ":";
  }
  if (const std::string key = error.field("key"); !key.empty()) {
    out += " " + key + ":";
  }
  out += " " + error.message;
  if (const std::string suggestion = error.field("suggestion"); !suggestion.empty()) {
    out += "; did you mean '" + suggestion + "'?";
  }
  if (const std::string detail = error.field("detail"); !detail.empty()) {
    out += " (" + detail + ")";
  } else if (const std::string reason = error.field("reason"); !reason.empty()) {
    out += " (" + reason + ")";
  }
  return out;
}

}  // namespace anchorage::config
