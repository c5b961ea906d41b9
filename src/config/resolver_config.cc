// SPDX-License-Identifier: Apache-2.0
//
// The `resolvers` section (see resolver_config.h) and the per-type default paths. Commands are
// the writers' business: a list left out here means the writer's built-in command.

#include "config/resolver_config.h"

#include <algorithm>
#include <set>

#include "model/name.h"

namespace anchorage::config {
namespace {

constexpr std::string_view kResolverKeys[] = {
    "type",          "name",           "anchor_file",    "nta_file",       "control_command",
    "check_command", "reload_command", "flush_command",  "control_socket", "address",
    "probes",        "timeout",        "verify_timeout", "file_mode",      "file_owner",
    "file_group"};

constexpr const char* kZonePlaceholder = "{zone}";

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

Result<ResolverType> readType(const Value& value) {
  return readEnum<ResolverType>(value,
                                {{"unbound", ResolverType::kUnbound},
                                 {"bind", ResolverType::kBind},
                                 {"knot", ResolverType::kKnot},
                                 {"pdns", ResolverType::kPdns},
                                 {"resolved", ResolverType::kResolved}},
                                "Expected one of unbound, bind, knot, pdns, resolved");
}

Result<std::string> readResolverName(const Value& value) {
  auto name = readString(value);
  ANCHORAGE_CONFIG_TRY(name);
  if (name->size() > 64 || !std::all_of(name->begin(), name->end(), isNameChar)) {
    return fail(valueError(value, "Expected a name of letters, digits, _, - and ."));
  }
  return name;
}

// A user or group: a POSIX portable name (not starting with '-'), or a numeric id.
Result<std::string> readAccount(const Value& value) {
  auto name = readString(value);
  ANCHORAGE_CONFIG_TRY(name);
  const bool good = name->size() <= 32 && name->front() != '-' && name->front() != '.' &&
                    std::all_of(name->begin(), name->end(), isNameChar);
  if (!good) {
    return fail(valueError(value, "Expected a user or group name, or a numeric id"));
  }
  return name;
}

Result<uint32_t> readFileMode(const Value& value) {
  if (value.node->kind == YamlNode::Kind::kScalar) {
    const std::string& text = value.node->scalar;
    const bool octal =
        (text.size() == 3 || text.size() == 4) &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (octal) {
      const uint32_t mode = static_cast<uint32_t>(std::stoul(text, nullptr, 8));
      if (mode <= 0777) {
        return mode;
      }
    }
  }
  return fail(valueError(value,
                         "Expected an octal file mode from \"0000\" to \"0777\", like "
                         "\"0644\""));
}

Result<std::vector<std::string>> readFlushCommand(const Value& value) {
  auto argv = readArgv(value);
  ANCHORAGE_CONFIG_TRY(argv);
  for (size_t i = 0; i < argv->size(); ++i) {
    const std::string& arg = (*argv)[i];
    for (size_t brace = arg.find('{'); brace != std::string::npos;
         brace = arg.find('{', brace + 1)) {
      if (arg.compare(brace, std::string_view(kZonePlaceholder).size(), kZonePlaceholder) != 0) {
        return fail(valueError(Value{value.node->items[i].get(), itemPath(value.path, i)},
                               "The only placeholder is {zone}"));
      }
    }
  }
  return argv;
}

Result<model::DomainName> readDomainName(const Value& value) {
  auto text = readString(value);
  ANCHORAGE_CONFIG_TRY(text);
  auto name = model::DomainName::parse(*text);
  if (!name) {
    return fail(valueError(value, "Expected a domain name like corp.example.")
                    .with("detail", name.error().message));
  }
  return name;
}

// probes: {trust point: name to query}. Probes are checked once the trust point is applied.
Result<std::vector<ProbeConfig>> readProbes(const Value& value) {
  std::vector<ProbeConfig> probes;
  if (value.node->kind == YamlNode::Kind::kNull) {
    return probes;
  }
  if (value.node->kind != YamlNode::Kind::kMap) {
    return fail(valueError(value, "Expected a map of trust point: name to query"));
  }
  std::set<std::string> seen;
  for (const auto& entry : value.node->entries) {
    const std::string path = childPath(value.path, entry.key);
    auto trust_point = model::DomainName::parse(entry.key);
    if (entry.key.empty() || !trust_point) {
      return fail(configError(entry.key_mark, path,
                              "Expected a trust point name like "
                              "corp.example."));
    }
    if (!seen.insert(trust_point->text()).second) {
      return fail(configError(entry.key_mark, path, "Duplicate trust point"));
    }
    const Value query_value{entry.value.get(), path};
    auto query = readDomainName(query_value);
    ANCHORAGE_CONFIG_TRY(query);
    if (!query->isSubdomainOf(*trust_point)) {
      return fail(valueError(query_value, "Probe name must be at or below its trust point"));
    }
    probes.push_back({trust_point->text(), query->text()});
  }
  return probes;
}

Result<void> readCommands(const MapReader& map, ResolverConfig& out) {
  if (auto control = map.get("control_command")) {
    auto argv = readArgv(*control);
    ANCHORAGE_CONFIG_TRY(argv);
    out.control_command = std::move(*argv);
  }
  if (auto check = map.get("check_command")) {
    auto argv = readArgv(*check);
    ANCHORAGE_CONFIG_TRY(argv);
    out.check_command = std::move(*argv);
  }
  if (auto reload = map.get("reload_command")) {
    auto argv = readArgv(*reload);
    ANCHORAGE_CONFIG_TRY(argv);
    out.reload_command = std::move(*argv);
  }
  if (auto flush = map.get("flush_command")) {
    auto argv = readFlushCommand(*flush);
    ANCHORAGE_CONFIG_TRY(argv);
    out.flush_command = std::move(*argv);
  }
  if (auto socket = map.get("control_socket")) {
    if (out.type != ResolverType::kKnot) {
      return fail(valueError(*socket, "Only used with type knot"));
    }
    auto path = readAbsolutePath(*socket);
    ANCHORAGE_CONFIG_TRY(path);
    out.control_socket = std::move(*path);
  }
  return ok();
}

Result<ResolverConfig> readResolver(const Value& value) {
  auto map = MapReader::open(value, kResolverKeys);
  ANCHORAGE_CONFIG_TRY(map);
  const auto type = map->get("type");
  if (!type) {
    return fail(map->missing("type"));
  }
  ResolverConfig out;
  auto parsed_type = readType(*type);
  ANCHORAGE_CONFIG_TRY(parsed_type);
  out.type = *parsed_type;
  ResolverDefaults defaults = resolverDefaults(out.type);
  out.name = resolverTypeName(out.type);
  out.anchor_file = std::move(defaults.anchor_file);
  out.nta_file = std::move(defaults.nta_file);
  out.control_socket = std::move(defaults.control_socket);

  if (auto name = map->get("name")) {
    auto parsed = readResolverName(*name);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.name = std::move(*parsed);
  }
  if (auto file = map->get("anchor_file")) {
    auto parsed = readAbsolutePath(*file);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.anchor_file = std::move(*parsed);
  }
  if (auto file = map->get("nta_file")) {
    if (out.type != ResolverType::kUnbound && out.type != ResolverType::kResolved) {
      return fail(valueError(*file, "Only used with type unbound or resolved"));
    }
    auto parsed = readAbsolutePath(*file);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.nta_file = std::move(*parsed);
  }
  ANCHORAGE_CONFIG_TRY(readCommands(*map, out));
  if (auto address = map->get("address")) {
    auto parsed = readHostPort(*address);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.address = std::move(*parsed);
  }
  if (auto probes = map->get("probes")) {
    auto parsed = readProbes(*probes);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.probes = std::move(*parsed);
  }
  if (auto timeout = map->get("timeout")) {
    auto parsed = readDuration(*timeout, std::chrono::milliseconds(1), std::chrono::minutes(10));
    ANCHORAGE_CONFIG_TRY(parsed);
    out.timeout = *parsed;
  }
  if (auto timeout = map->get("verify_timeout")) {
    auto parsed = readDuration(*timeout, std::chrono::milliseconds(1), std::chrono::minutes(10));
    ANCHORAGE_CONFIG_TRY(parsed);
    out.verify_timeout = *parsed;
  }
  if (auto mode = map->get("file_mode")) {
    auto parsed = readFileMode(*mode);
    ANCHORAGE_CONFIG_TRY(parsed);
    out.file_mode = *parsed;
  }
  for (const std::string_view key : {"file_owner", "file_group"}) {
    if (auto account = map->get(key)) {
      auto parsed = readAccount(*account);
      ANCHORAGE_CONFIG_TRY(parsed);
      (key == "file_owner" ? out.file_owner : out.file_group) = std::move(*parsed);
    }
  }
  return out;
}

// The error for a clash with an earlier resolver, at `key` when written, else at the entry.
Error clashError(const Value& item, std::string_view key, const char* message) {
  auto map = MapReader::open(item, kResolverKeys);
  if (map) {
    if (auto given = map->get(key)) {
      return valueError(*given, message);
    }
  }
  return configError(item.node->mark, childPath(item.path, key), message);
}

}  // namespace

ResolverDefaults resolverDefaults(ResolverType type) {
  switch (type) {
    case ResolverType::kUnbound:
      return {"/etc/unbound/anchorage.anchors", "/etc/unbound/anchorage-insecure.conf", ""};
    case ResolverType::kBind:
      return {"/etc/bind/anchorage.conf", "", ""};
    case ResolverType::kKnot:
      return {"/etc/knot-resolver/anchorage.anchors", "", "/run/knot-resolver/control/1"};
    case ResolverType::kPdns:
      return {"/etc/powerdns/anchorage.lua", "", ""};
    case ResolverType::kResolved:
      return {"/etc/dnssec-trust-anchors.d/anchorage.positive",
              "/etc/dnssec-trust-anchors.d/anchorage.negative", ""};
  }
  return {};
}

Result<void> readResolvers(const Value& value, std::vector<ResolverConfig>& out) {
  auto items = readSequence(value);
  ANCHORAGE_CONFIG_TRY(items);
  for (const auto& item : *items) {
    auto resolver = readResolver(item);
    ANCHORAGE_CONFIG_TRY(resolver);
    for (const auto& earlier : out) {
      if (earlier.name == resolver->name) {
        return fail(clashError(item, "name", "Another resolver has the same name"));
      }
      if (earlier.anchor_file == resolver->anchor_file) {
        return fail(
            clashError(item, "anchor_file", "Another resolver writes the same anchor_file"));
      }
    }
    out.push_back(std::move(*resolver));
  }
  return ok();
}

}  // namespace anchorage::config
