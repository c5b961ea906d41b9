// SPDX-License-Identifier: Apache-2.0
//
// Tests of the YAML configuration: every ok_ file under tests/data/config loads with the expected
// values, every err_ file fails at the expected line, column and key, durations parse and format,
// error descriptions read like a compiler's, and hostile input (deep nesting, alias bombs, junk,
// mutations of a valid file) ends in a precise error, never a crash or a hang.

#include "config/config.h"

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "config/duration.h"
#include "util/encoding.h"

namespace anchorage::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kDataDir = std::string(ANCHORAGE_TEST_DATA) + "/config/";

Config loadOk(const std::string& name) {
  auto config = loadConfigFile(kDataDir + name);
  EXPECT_TRUE(config) << (config ? "" : describeConfigError(config.error()));
  return config ? *config : Config{};
}

std::vector<std::string> uriTexts(const std::vector<LdapUri>& uris) {
  std::vector<std::string> out;
  for (const auto& uri : uris) {
    out.push_back(uri.text);
  }
  return out;
}

std::string localHostName() {
  char buffer[HOST_NAME_MAX + 1] = {};
  EXPECT_EQ(gethostname(buffer, sizeof(buffer) - 1), 0);
  return util::toLower(buffer);
}

TEST(ConfigTest, MinimalFileTakesEveryDefault) {
  const Config c = loadOk("ok_minimal.yaml");
  EXPECT_EQ(c.server, localHostName());
  ASSERT_EQ(c.directory.read.size(), 1u);
  EXPECT_EQ(c.directory.read[0].text, "ldapi:///");
  EXPECT_EQ(c.directory.read[0].scheme, LdapScheme::kLdapi);
  EXPECT_EQ(uriTexts(c.directory.write), uriTexts(c.directory.read));
  EXPECT_EQ(c.directory.bind.method, BindMethod::kExternal);
  EXPECT_EQ(c.directory.bind.dn, "");
  EXPECT_EQ(c.directory.tls.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(c.directory.tls.cert_file, "");
  EXPECT_TRUE(c.directory.tls.starttls);
  EXPECT_FALSE(c.directory.allow_plaintext);
  EXPECT_EQ(c.directory.timeouts.network, seconds(5));
  EXPECT_EQ(c.directory.timeouts.operation, seconds(10));
  EXPECT_EQ(c.directory.timeouts.liveness, seconds(30));
  EXPECT_EQ(c.directory.reconnect.min_delay, seconds(1));
  EXPECT_EQ(c.directory.reconnect.max_delay, seconds(60));
  EXPECT_TRUE(c.scopes.automatic);
  EXPECT_TRUE(c.scopes.listed.empty());
  EXPECT_EQ(c.state_dir, "/var/lib/anchorage");
  EXPECT_TRUE(c.resolvers.empty());
  EXPECT_DOUBLE_EQ(c.guard.max_removal_share, 0.5);
  EXPECT_FALSE(c.guard.allow_mass_removal);
  EXPECT_EQ(c.debounce, milliseconds(200));
  EXPECT_FALSE(c.metrics.enabled);
  EXPECT_EQ(c.log.format, LogFormat::kLogfmt);
  EXPECT_EQ(c.log.level, util::Level::kInfo);
  EXPECT_EQ(c.publisher.signing_key_file, "");
  EXPECT_TRUE(c.trusted_publishers.empty());
}

TEST(ConfigTest, FullFileSetsEveryField) {
  const Config c = loadOk("ok_full.yaml");
  EXPECT_EQ(c.server, "dns1.example.com");
  EXPECT_EQ(uriTexts(c.directory.read),
            (std::vector<std::string>{"ldapi://%2Frun%2Fslapd%2Fldapi", "ldaps://ldap1.example.com",
                                      "ldap://[::1]:3890/"}));
  EXPECT_EQ(c.directory.read[1].scheme, LdapScheme::kLdaps);
  EXPECT_EQ(c.directory.read[2].scheme, LdapScheme::kLdap);
  EXPECT_EQ(uriTexts(c.directory.write), (std::vector<std::string>{"ldaps://ldap1.example.com:636",
                                                                   "ldaps://ldap2.example.com"}));
  EXPECT_EQ(c.directory.bind.method, BindMethod::kSimple);
  EXPECT_EQ(c.directory.bind.dn, "cn=agent,ou=Services,dc=example,dc=com");
  EXPECT_EQ(c.directory.bind.password_file, "/etc/anchorage/agent.pw");
  EXPECT_EQ(c.directory.tls.ca_file, "/etc/anchorage/ca.pem");
  EXPECT_EQ(c.directory.tls.cert_file, "/etc/anchorage/agent.crt");
  EXPECT_EQ(c.directory.tls.key_file, "/etc/anchorage/agent.key");
  EXPECT_EQ(c.directory.timeouts.network, seconds(2));
  EXPECT_EQ(c.directory.timeouts.operation, seconds(90));
  EXPECT_EQ(c.directory.timeouts.liveness, seconds(45));
  EXPECT_EQ(c.directory.reconnect.min_delay, milliseconds(250));
  EXPECT_EQ(c.directory.reconnect.max_delay, minutes(90));
  ASSERT_FALSE(c.scopes.automatic);
  ASSERT_EQ(c.scopes.listed.size(), 2u);
  EXPECT_EQ(c.scopes.listed[0].name, "forest");
  EXPECT_EQ(c.scopes.listed[0].base, "dc=ForestDnsZones,dc=example,dc=com");
  EXPECT_EQ(c.scopes.listed[1].base, "ou=Lab\\,Zones,dc=example,dc=com");
  EXPECT_EQ(c.state_dir, "/srv/anchorage/state");
  ASSERT_EQ(c.resolvers.size(), 2u);
  const ResolverConfig& u = c.resolvers[0];
  EXPECT_EQ(u.type, ResolverType::kUnbound);
  EXPECT_EQ(u.name, "local-unbound");
  EXPECT_EQ(u.check_command,
            (std::vector<std::string>{"unbound-checkconf", "/etc/unbound/unbound.conf"}));
  EXPECT_EQ(u.reload_command, (std::vector<std::string>{"/usr/sbin/unbound-control", "reload"}));
  EXPECT_EQ(u.flush_command, (std::vector<std::string>{"unbound-control", "flush_zone", "{zone}"}));
  EXPECT_EQ(u.address.host, "127.0.0.1");
  EXPECT_EQ(u.address.port, 5353);
  ASSERT_EQ(u.probes.size(), 2u);
  EXPECT_EQ(u.probes[0].trust_point, "corp.example.");
  EXPECT_EQ(u.probes[0].query_name, "www.corp.example.");
  EXPECT_EQ(u.probes[1].trust_point, "lab.example.");
  EXPECT_EQ(u.probes[1].query_name, "lab.example.");
  EXPECT_EQ(u.timeout, seconds(3));
  EXPECT_EQ(u.file_mode, 0640u);
  EXPECT_EQ(u.file_owner, "unbound");
  EXPECT_EQ(u.file_group, "118");
  const ResolverConfig& k = c.resolvers[1];
  EXPECT_EQ(k.type, ResolverType::kKnot);
  EXPECT_EQ(k.name, "knot");
  EXPECT_EQ(k.control_socket, "/run/knot-resolver/control/2");
  EXPECT_TRUE(k.check_command.empty());
  EXPECT_FALSE(k.file_mode.has_value());
  EXPECT_DOUBLE_EQ(c.guard.max_removal_share, 0.25);
  EXPECT_TRUE(c.guard.allow_mass_removal);
  EXPECT_EQ(c.debounce, milliseconds(90500));
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.listen.host, "::1");
  EXPECT_EQ(c.metrics.listen.port, 9100);
  EXPECT_EQ(c.log.format, LogFormat::kJournald);
  EXPECT_EQ(c.log.level, util::Level::kDebug);
  EXPECT_EQ(c.publisher.signing_key_file, "/etc/anchorage/publisher.key");
  EXPECT_EQ(c.trusted_publishers, (std::vector<std::string>{"/etc/anchorage/publisher.pub",
                                                            "/etc/anchorage/backup.pub"}));
}

TEST(ConfigTest, ResolverTypesFillInTheirDefaults) {
  const Config c = loadOk("ok_resolver_defaults.yaml");
  const ResolverType types[] = {ResolverType::kUnbound, ResolverType::kBind, ResolverType::kKnot,
                                ResolverType::kPdns, ResolverType::kResolved};
  ASSERT_EQ(c.resolvers.size(), 5u);
  std::set<std::string> files;
  for (size_t i = 0; i < 5; ++i) {
    const ResolverConfig& r = c.resolvers[i];
    const ResolverDefaults d = resolverDefaults(types[i]);
    EXPECT_EQ(r.type, types[i]);
    EXPECT_EQ(r.name, resolverTypeName(types[i]));
    EXPECT_EQ(r.anchor_file, d.anchor_file);
    EXPECT_TRUE(r.anchor_file.starts_with('/'));
    EXPECT_EQ(r.nta_file, d.nta_file);
    EXPECT_EQ(r.control_socket, d.control_socket);
    EXPECT_TRUE(r.check_command.empty()) << "the writer's built-in commands apply";
    EXPECT_TRUE(r.reload_command.empty());
    EXPECT_TRUE(r.flush_command.empty());
    EXPECT_EQ(r.verify_timeout, seconds(10));
    EXPECT_EQ(r.address.host, "127.0.0.1");
    EXPECT_EQ(r.address.port, 53);
    EXPECT_EQ(r.timeout, seconds(5));
    EXPECT_TRUE(r.probes.empty());
    files.insert(r.anchor_file);
  }
  EXPECT_EQ(files.size(), 5u);
  EXPECT_EQ(c.resolvers[0].nta_file, "/etc/unbound/anchorage-insecure.conf");
  EXPECT_EQ(c.resolvers[2].control_socket, "/run/knot-resolver/control/1");
}

TEST(ConfigTest, AnchorsAliasesAndEmptySectionsWork) {
  const Config c = loadOk("ok_anchors_and_nulls.yaml");
  EXPECT_EQ(uriTexts(c.directory.write), uriTexts(c.directory.read));
  EXPECT_EQ(c.directory.read.size(), 2u);
  EXPECT_EQ(c.directory.tls.cert_file, "/etc/anchorage/agent.crt");
  EXPECT_DOUBLE_EQ(c.guard.max_removal_share, 0.5);
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.listen.host, "127.0.0.1");
  EXPECT_EQ(c.metrics.listen.port, 9753);
  EXPECT_TRUE(c.scopes.automatic);
  EXPECT_TRUE(c.trusted_publishers.empty());
  ASSERT_EQ(c.resolvers.size(), 2u);
  ASSERT_EQ(c.resolvers[1].probes.size(), 1u);
  EXPECT_EQ(c.resolvers[1].probes[0].query_name, "www.corp.example.");
  EXPECT_EQ(c.debounce, milliseconds(0));
}

TEST(ConfigTest, PlaintextNeedsAnExplicitAllowance) {
  const Config plain = loadOk("ok_plaintext_allowed.yaml");
  EXPECT_TRUE(plain.directory.allow_plaintext);
  EXPECT_FALSE(plain.directory.tls.starttls);
  EXPECT_EQ(plain.directory.bind.method, BindMethod::kSimple);
  const Config starttls = loadOk("ok_starttls_simple.yaml");
  EXPECT_TRUE(starttls.directory.tls.starttls);
  EXPECT_EQ(starttls.directory.read[0].scheme, LdapScheme::kLdap);
}

TEST(ConfigTest, AcceptsByteOrderMarkAndCrlf) {
  const Config c = loadOk("ok_bom_crlf.yaml");
  EXPECT_EQ(c.debounce, seconds(1));
  EXPECT_EQ(c.directory.read[0].text, "ldapi:///");
}

TEST(ConfigTest, ShippedExampleLoads) {
  auto c = loadConfigFile(std::string(ANCHORAGE_SOURCE_DIR) + "/deploy/anchorage.yaml.example");
  ASSERT_TRUE(c) << describeConfigError(c.error());
  EXPECT_EQ(c->server, "dns1.example.com");
  EXPECT_FALSE(c->resolvers.empty());
}

// The expected failure of one err_ file.
struct ErrCase {
  const char* file;
  int line;
  int column;  // 0: not checked
  const char* key;
  const char* message;     // a part of the message
  const char* suggestion;  // "" when none is expected
};

const ErrCase kErrCases[] = {
    {"err_alias_bomb.yaml", 8, 16, "bomb.l5[1]", "too many nodes", ""},
    {"err_bad_duration.yaml", 4, 14, "directory.timeouts.network", "Expected a duration", ""},
    {"err_bad_host_port.yaml", 3, 11, "metrics.listen", "host:port", ""},
    {"err_bad_log_level.yaml", 2, 29, "log.level", "Expected one of error", "info"},
    {"err_bad_resolver_type.yaml", 6, 11, "resolvers[1].type", "Expected one of unbound",
     "unbound"},
    {"err_bad_uri_scheme.yaml", 4, 7, "directory.read[1]", "scheme must be", "ldap"},
    {"err_command_as_string.yaml", 4, 21, "resolvers[0].reload_command", "argument list", ""},
    {"err_command_relative.yaml", 4, 21, "resolvers[0].check_command[0]", "absolute path", ""},
    {"err_comments_only.yaml", 1, 1, "directory", "Configuration is empty", ""},
    {"err_control_char.yaml", 2, 13, "", "Control characters", ""},
    {"err_control_socket_not_knot.yaml", 4, 21, "resolvers[0].control_socket", "type knot", ""},
    {"err_deep_nesting.yaml", 2, 24, "directory.read[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
     "nested deeper", ""},
    {"err_dn_with_external.yaml", 3, 33, "directory.bind.dn", "method simple", ""},
    {"err_duplicate_key.yaml", 4, 1, "debounce", "Duplicate key", ""},
    {"err_duplicate_nested_key.yaml", 5, 5, "directory.tls.starttls", "Duplicate key", ""},
    {"err_duplicate_resolver_name.yaml", 4, 25, "resolvers[1].name", "same name", ""},
    {"err_duration_order.yaml", 2, 11, "debounce", "largest to smallest", ""},
    {"err_duration_range.yaml", 2, 11, "debounce", "out of range", ""},
    {"err_empty.yaml", 1, 1, "directory", "Configuration is empty", ""},
    {"err_external_without_certificate.yaml", 2, 10, "directory.read[0]", "client certificate", ""},
    {"err_file_mode.yaml", 4, 16, "resolvers[0].file_mode", "octal file mode", ""},
    {"err_flush_placeholder.yaml", 4, 38, "resolvers[0].flush_command[2]", "{zone}", ""},
    {"err_junk.yaml", 3, 1, "", "YAML syntax error", ""},
    {"err_ldapi_path_not_encoded.yaml", 2, 10, "directory.read[0]", "percent-encoded", ""},
    {"err_max_delay_shorter.yaml", 3, 43, "directory.reconnect.max_delay", "min_delay", ""},
    {"err_missing_directory.yaml", 1, 1, "directory", "Required key is missing", ""},
    {"err_missing_read.yaml", 2, 3, "directory.read", "Required key is missing", ""},
    {"err_negative_share.yaml", 3, 22, "guard.max_removal_share", "from 0 to 1", ""},
    {"err_non_string_key.yaml", 2, 3, "", "keys must be strings", ""},
    {"err_non_utf8.yaml", 2, 20, "", "not valid UTF-8", ""},
    {"err_plaintext_simple_bind.yaml", 2, 21, "directory.read[1]", "in the clear", ""},
    {"err_probe_outside_trust_point.yaml", 5, 22, "resolvers[0].probes[\"corp.example.\"]",
     "at or below its trust point", ""},
    {"err_relative_path.yaml", 2, 12, "state_dir", "absolute path", ""},
    {"err_resolver_without_type.yaml", 3, 5, "resolvers[0].type", "Required key is missing", ""},
    {"err_scopes_word.yaml", 2, 9, "scopes", "Expected auto", "auto"},
    {"err_self_alias.yaml", 2, 28, "trusted_publishers[0]", "not complete", ""},
    {"err_server_name.yaml", 2, 9, "server", "host name", ""},
    {"err_share_above_one.yaml", 2, 29, "guard.max_removal_share", "from 0 to 1", ""},
    {"err_simple_bind_without_password.yaml", 4, 5, "directory.bind.password_file",
     "Required key is missing", ""},
    {"err_tab_indentation.yaml", 3, 1, "", "Tabs", ""},
    {"err_top_level_list.yaml", 1, 1, "", "top level", ""},
    {"err_two_documents.yaml", 2, 1, "", "one YAML document", ""},
    {"err_unknown_key.yaml", 2, 1, "resolver", "Unknown key", "resolvers"},
    {"err_unknown_nested_key.yaml", 3, 3, "directory.bnd", "Unknown key", "bind"},
    {"err_unterminated_quote.yaml", 2, 9, "server", "host name", ""},
    {"err_uri_with_dn.yaml", 3, 11, "directory.write[0]", "without a DN", ""},
    {"err_wrong_type_bool.yaml", 3, 20, "directory.allow_plaintext", "true or false", ""},
    {"err_wrong_type_list.yaml", 2, 9, "directory.read", "Expected a list", ""},
    {"err_yaml_syntax.yaml", 2, 26, "server[0]", "YAML syntax error", ""},
};

TEST(ConfigTest, EveryErrFileFailsAtTheExpectedPlace) {
  for (const auto& expected : kErrCases) {
    SCOPED_TRACE(expected.file);
    const std::string path = kDataDir + expected.file;
    auto config = loadConfigFile(path);
    ASSERT_FALSE(config);
    const Error& e = config.error();
    EXPECT_EQ(e.code, ErrorCode::kConfig);
    EXPECT_EQ(e.field("file"), path);
    EXPECT_EQ(e.field("line"), std::to_string(expected.line));
    if (expected.column != 0) {
      EXPECT_EQ(e.field("column"), std::to_string(expected.column));
    }
    EXPECT_EQ(e.field("key"), expected.key);
    EXPECT_NE(e.message.find(expected.message), std::string::npos) << e.message;
    EXPECT_EQ(e.field("suggestion"), expected.suggestion);
  }
}

TEST(ConfigTest, EveryDataFileIsCovered) {
  std::set<std::string> listed;
  for (const auto& expected : kErrCases) {
    listed.insert(expected.file);
  }
  const std::set<std::string> ok_files = {
      "ok_anchors_and_nulls.yaml", "ok_bom_crlf.yaml",          "ok_full.yaml",
      "ok_minimal.yaml",           "ok_plaintext_allowed.yaml", "ok_resolver_defaults.yaml",
      "ok_starttls_simple.yaml"};
  size_t err_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDataDir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("err_")) {
      ++err_files;
      EXPECT_TRUE(listed.count(name)) << name << " has no expectation";
    } else if (name.starts_with("ok_")) {
      EXPECT_TRUE(ok_files.count(name)) << name << " is not tested";
    }
  }
  EXPECT_EQ(err_files, listed.size());
  EXPECT_GE(err_files, 20u);
}

TEST(ConfigTest, DescribesErrorsLikeACompiler) {
  auto unknown = parseConfig("directory: { read: [ldapi:///] }\nresolver: []\n", "a.yaml");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(describeConfigError(unknown.error()),
            "a.yaml:2:1: resolver: Unknown key; did you mean 'resolvers'?");
  EXPECT_EQ(unknown.error().toString(),
            "Unknown key (file=a.yaml, line=2, column=1, key=resolver, suggestion=resolvers)");

  auto wrong = parseConfig("directory: { read: [ldapi:///] }\nguard: [1]\n", "b.yaml");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(describeConfigError(wrong.error()),
            "b.yaml:2:8: guard: Expected a map of settings (found a list)");

  auto tab = parseConfig("directory:\n\tread: []\n", "c.yaml");
  ASSERT_FALSE(tab);
  EXPECT_EQ(describeConfigError(tab.error()),
            "c.yaml:2:1: Tabs are not allowed in indentation; indent with spaces");
}

TEST(ConfigTest, ReportsAnUnreadableFile) {
  const std::string path = kDataDir + "does_not_exist.yaml";
  auto config = loadConfigFile(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kConfig);
  EXPECT_EQ(config.error().field("file"), path);
  EXPECT_EQ(describeConfigError(config.error()),
            path + ": Configuration file cannot be read (No such file or directory)");
}

TEST(ConfigTest, RefusesFilesOverOneMebibyte) {
  const std::string text = "directory: { read: [ldapi:///] }\n" + std::string(kMaxConfigBytes, '#');
  auto parsed = parseConfig(text, "big.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("larger than the limit"), std::string::npos);

  char path[] = "/tmp/anchorage-config-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  auto loaded = loadConfigFile(path);
  std::remove(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kConfig);
  EXPECT_EQ(loaded.error().field("file"), path);
}

TEST(ConfigTest, QuotesKeysThatAreNotIdentifiers) {
  auto config = parseConfig(
      "directory: { read: [ldapi:///] }\n"
      "resolvers:\n  - type: unbound\n    probes: { \"corp.example.\": [x] }\n",
      "p.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().field("key"), "resolvers[0].probes[\"corp.example.\"]");
}

TEST(DurationTest, ParsesSingleAndCombinedUnits) {
  EXPECT_EQ(parseDuration("250ms").value(), milliseconds(250));
  EXPECT_EQ(parseDuration("5s").value(), seconds(5));
  EXPECT_EQ(parseDuration("10m").value(), minutes(10));
  EXPECT_EQ(parseDuration("2h").value(), hours(2));
  EXPECT_EQ(parseDuration("30d").value(), hours(720));
  EXPECT_EQ(parseDuration("1h30m").value(), minutes(90));
  EXPECT_EQ(parseDuration("1d2h3m4s5ms").value(),
            hours(26) + minutes(3) + seconds(4) + milliseconds(5));
  EXPECT_EQ(parseDuration("0").value(), milliseconds(0));
  EXPECT_EQ(parseDuration("0s").value(), milliseconds(0));
  EXPECT_EQ(parseDuration("3650d").value(), kMaxDuration);
}

TEST(DurationTest, RejectsMalformedDurations) {
  for (const char* text : {"", "5", "s", "5 s", "1.5s", "-5s", "+5s", "5sec", "5S", "30m1h", "1m1m",
                           "5s250", "3651d", "99999999999999999999ms", "1h 30m", "ms5"}) {
    SCOPED_TRACE(text);
    auto parsed = parseDuration(text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kConfig);
  }
}

TEST(DurationTest, FormatsWhatItParses) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(formatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(formatDuration(hours(48)), "2d");
  for (const char* text : {"1d2h3m4s5ms", "250ms", "1h30m", "30d", "59s999ms"}) {
    EXPECT_EQ(formatDuration(parseDuration(text).value()), text);
  }
}

TEST(ConfigHostileInputTest, DeepBlockNestingIsRefused) {
  std::string text = "directory: { read: [ldapi:///] }\ntrusted_publishers:\n  ";
  for (int i = 0; i < 100000; ++i) {
    text += "- ";
  }
  text += "x\n";
  auto config = parseConfig(text, "deep.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().field("line"), "3");
  EXPECT_NE(config.error().message.find("nested deeper"), std::string::npos);
}

TEST(ConfigHostileInputTest, HugeListIsRefusedByTheNodeLimit) {
  std::string text = "directory: { read: [ldapi:///] }\ntrusted_publishers: [";
  while (text.size() < kMaxConfigBytes - 10) {
    text += "/a,";
  }
  text += "/b]\n";
  auto config = parseConfig(text, "wide.yaml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("too many nodes"), std::string::npos);
  EXPECT_EQ(config.error().field("line"), "2");
}

TEST(ConfigHostileInputTest, MutatedFilesNeverCrash) {
  std::ifstream in(kDataDir + "ok_full.yaml", std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  ASSERT_FALSE(original.empty());
  const std::string alphabet =
      "[]{}:-,&*!|>'\"#%@`?\t\n \\\x01\xc3\xff"
      "0a";
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  size_t failures = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = original;
    for (int edit = 0, edits = 1 + next() % 4; edit < edits; ++edit) {
      const size_t at = next() % text.size();
      const char c = alphabet[next() % alphabet.size()];
      switch (next() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<long>(at), c);
          break;
        default:
          text.erase(at, 1 + next() % 8);
          break;
      }
    }
    auto config = parseConfig(text, "mutant.yaml");
    if (!config) {
      ++failures;
      EXPECT_EQ(config.error().code, ErrorCode::kConfig);
      EXPECT_GE(std::stoi(config.error().field("line")), 1);
      EXPECT_FALSE(describeConfigError(config.error()).empty());
    }
  }
  EXPECT_GT(failures, 100u);
}

}  // namespace
}  // namespace anchorage::config

namespace anchorage::config {
namespace {

TEST(ConfigTest, Rfc5011SectionKeepsTheRfcDefaultsAndTakesShortTimers) {
  auto defaults = parseConfig("directory: { read: [ldapi:///] }\n", "d.yaml");
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->rfc5011.enabled);
  EXPECT_TRUE(defaults->rfc5011.servers.empty());
  EXPECT_EQ(defaults->rfc5011.add_hold_down, std::chrono::hours(24 * 30));
  EXPECT_EQ(defaults->rfc5011.remove_hold_down, std::chrono::hours(24 * 30));
  EXPECT_EQ(defaults->rfc5011.min_refresh, std::chrono::hours(1));
  EXPECT_EQ(defaults->rfc5011.max_refresh, std::chrono::hours(24 * 15));
  EXPECT_EQ(defaults->rfc5011.max_retry, std::chrono::hours(24));

  auto shortened = parseConfig(
      "directory: { read: [ldapi:///] }\n"
      "rfc5011:\n"
      "  servers: [\"127.0.0.2:5353\", \"[::1]:53\"]\n"
      "  lease: 5s\n"
      "  add_hold_down: 4s\n"
      "  remove_hold_down: 3s\n"
      "  min_refresh: 1s\n"
      "  max_refresh: 2s\n"
      "  max_retry: 1s\n",
      "s.yaml");
  ASSERT_TRUE(shortened) << describeConfigError(shortened.error());
  ASSERT_EQ(shortened->rfc5011.servers.size(), 2u);
  EXPECT_EQ(shortened->rfc5011.servers[0].host, "127.0.0.2");
  EXPECT_EQ(shortened->rfc5011.servers[0].port, 5353);
  EXPECT_EQ(shortened->rfc5011.servers[1].host, "::1");
  EXPECT_EQ(shortened->rfc5011.add_hold_down, std::chrono::seconds(4));
  EXPECT_EQ(shortened->rfc5011.max_refresh, std::chrono::seconds(2));

  auto inverted = parseConfig(
      "directory: { read: [ldapi:///] }\nrfc5011: { min_refresh: 2h, max_refresh: 1h }\n",
      "i.yaml");
  ASSERT_FALSE(inverted);
  EXPECT_NE(describeConfigError(inverted.error()).find("i.yaml:2:"), std::string::npos);
  EXPECT_NE(describeConfigError(inverted.error()).find("rfc5011.max_refresh"), std::string::npos);
  auto misspelt =
      parseConfig("directory: { read: [ldapi:///] }\nrfc5011: { add_holddown: 1s }\n", "m.yaml");
  ASSERT_FALSE(misspelt);
  EXPECT_NE(describeConfigError(misspelt.error()).find("did you mean 'add_hold_down'"),
            std::string::npos);
}

TEST(ConfigTest, AdScopesTakeTheirOwnKeysAndOnlyThey) {
  auto c = parseConfig(
      "directory: { read: [\"ldaps://dc2.corp.example.test\"], bind: { method: gssapi } }\n"
      "scopes:\n"
      "  - { name: lab, base: \"dc=lab,dc=example,dc=com\" }\n"
      "  - name: forest\n"
      "    type: ad\n"
      "    base: \"DC=ForestDnsZones,DC=corp,DC=example,DC=test\"\n"
      "    trusted_owners: [\"S-1-5-21-1004336348-1177238915-682003330-512\", \"s-1-5-9\"]\n"
      "    poll_interval: 500ms\n"
      "    reconcile_interval: 1m\n",
      "ad.yaml");
  ASSERT_TRUE(c) << describeConfigError(c.error());
  ASSERT_EQ(c->scopes.listed.size(), 2u);
  EXPECT_EQ(c->scopes.listed[0].type, ScopeType::kAnchorage);
  const auto& ad = c->scopes.listed[1];
  EXPECT_EQ(ad.type, ScopeType::kActiveDirectory);
  EXPECT_EQ(ad.trusted_owners,
            (std::vector<std::string>{"S-1-5-21-1004336348-1177238915-682003330-512", "S-1-5-9"}));
  EXPECT_EQ(ad.poll_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(ad.reconcile_interval, std::chrono::minutes(1));

  auto defaults = parseConfig(
      "directory: { read: [ldapi:///] }\nscopes: [{ name: f, type: ad, base: \"dc=x\" }]\n",
      "d.yaml");
  ASSERT_TRUE(defaults) << describeConfigError(defaults.error());
  EXPECT_TRUE(defaults->scopes.listed[0].trusted_owners.empty());
  EXPECT_EQ(defaults->scopes.listed[0].poll_interval, std::chrono::seconds(2));
  EXPECT_EQ(defaults->scopes.listed[0].reconcile_interval, std::chrono::minutes(5));

  const std::pair<const char*, const char*> bad[] = {
      {"scopes: [{ name: f, base: \"dc=x\", trusted_owners: [\"S-1-5-9\"] }]", "Only an AD scope"},
      {"scopes: [{ name: f, base: \"dc=x\", poll_interval: 1s }]", "Only an AD scope"},
      {"scopes: [{ name: f, type: ad, base: \"dc=x\", trusted_owners: [\"Domain Admins\"] }]",
       "Expected a SID"},
      {"scopes: [{ name: f, type: ad, base: \"dc=x\", trusted_owners: [\"S-1-5-\"] }]",
       "Expected a SID"},
      {"scopes: [{ name: f, type: ad, base: \"dc=x\", poll_interval: 10ms }]", "out of range"},
      {"scopes: [{ name: f, type: ads, base: \"dc=x\" }]", "Expected anchorage or ad"},
  };
  for (const auto& [text, message] : bad) {
    SCOPED_TRACE(text);
    auto r = parseConfig(std::string("directory: { read: [ldapi:///] }\n") + text + "\n", "b.yaml");
    ASSERT_FALSE(r);
    EXPECT_NE(describeConfigError(r.error()).find(message), std::string::npos)
        << describeConfigError(r.error());
  }
  auto misspelt = parseConfig(
      "directory: { read: [ldapi:///] }\nscopes: [{ name: f, type: ads, base: \"dc=x\" }]\n",
      "m.yaml");
  ASSERT_FALSE(misspelt);
  EXPECT_EQ(misspelt.error().field("suggestion"), "ad");
}

}  // namespace
}  // namespace anchorage::config
