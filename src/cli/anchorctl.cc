// SPDX-License-Identifier: Apache-2.0
//
// anchorctl: command-line definitions (CLI11) and dispatch. Parse errors exit with 64 (usage);
// each command returns its own sysexits code (DESIGN §5).

#include "cli/anchorctl.h"

#include <sysexits.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "cli/context.h"
#include "cli/manage.h"
#include "cli/offline.h"
#include "cli/online.h"
#include "cli/scope.h"
#include "config/config.h"

namespace anchorage::cli {
namespace {

constexpr const char* kDescription =
    "anchorctl manages DNSSEC trust anchors distributed through the directory.\n"
    "Offline commands (verify, convert, ds) work on files; the others act on the directory\n"
    "named by the configuration file. Exit codes: 0 ok, 64 usage, 65 bad data, 66 missing\n"
    "input, 69 unavailable, 70 internal, 74 I/O, 75 not yet converged or in conflict,\n"
    "77 permission, 78 configuration.";

struct Options {
  std::string output = "text";
  std::string config;
  VerifyOptions verify;
  ConvertOptions convert;
  DsOptions ds;
  std::optional<std::string> convert_from;
  unsigned convert_digest = 2;
  AddOptions add;
  RemoveOptions remove;
  ScopeOption list;
  ScopeOption show;
  std::string show_zone;
  RootDeployOptions root;
  StatusOptions status;
  ImportOptions import;
  ExportOptions exporting;
  DistributeOptions distribute;
  AutoUpdateOptions autoupdate;
  NtaOptions nta;
  RefreshOptions refresh;
  ScopeCommandOptions scope;
};

constexpr const char* kScopeHelp =
    "Scope: a name from the configuration, a label such as forest for dc=ForestDnsZones, or the "
    "base DN (default: the only scope)";

void addOnline(CLI::App& app, Options& o) {
  auto* add = app.add_subcommand("add", "Publish a trust anchor, validated first");
  add->footer(
      "Exactly one of --ds, --dnskey, --from-file and --from-dns. The anchor is checked (digest\n"
      "length, algorithm, flags) before anything is written; warnings are printed. --from-dns\n"
      "asks --server for the zone's DNSKEY set, checks that its secure entry points sign it,\n"
      "lists the keys it would publish and asks before publishing (--yes does not ask). With\n"
      "--hold-down the anchor starts in AddPend and is trusted after the RFC 5011 add hold-down.");
  add->add_option("zone", o.add.zone, "Trust point, e.g. corp.example.")->required();
  add->add_option("--ds", o.add.ds, "DS RDATA: \"TAG ALG DIGESTTYPE HEX\"");
  add->add_option("--dnskey", o.add.dnskey, "DNSKEY RDATA: \"FLAGS PROTOCOL ALG BASE64\"");
  add->add_option("--from-file", o.add.from_file, "Anchors of the zone from a file");
  add->add_option("--format", o.add.format, "Format of --from-file (default: detected)");
  add->add_flag("--from-dns", o.add.from_dns, "The zone's signed DNSKEY set, asked over DNS");
  add->add_option("--server", o.add.server,
                  "Server --from-dns asks: ADDR, ADDR:PORT or [ADDR6]:PORT")
      ->capture_default_str();
  add->add_flag("-y,--yes", o.add.yes, "Publish what --from-dns found without asking");
  add->add_flag("--hold-down", o.add.hold_down, "Start in AddPend (RFC 5011 add hold-down)");
  add->add_option("--scope", o.add.where.scope, kScopeHelp);

  auto* remove = app.add_subcommand("remove", "Withdraw anchors of a trust point");
  remove->footer(
      "Removing the last anchor of a trust point needs --force. The trust point then stays,\n"
      "empty, with the withdrawal confirmed for the agents' mass-removal guard for 7 days;\n"
      "remove --force on the empty trust point deletes it.");
  remove->add_option("zone", o.remove.zone, "Trust point")->required();
  remove->add_option("--key-tag", o.remove.key_tag, "Only anchors with this key tag");
  remove->add_option("--type", o.remove.type, "Only ds or dnskey anchors");
  remove->add_flag("--force", o.remove.force, "Allow removing the last anchor");
  remove->add_option("--scope", o.remove.where.scope, kScopeHelp);

  auto* list = app.add_subcommand("list", "List the trust points of a scope");
  list->add_option("--scope", o.list.scope, kScopeHelp);
  auto* show = app.add_subcommand("show", "Show a trust point and its anchors");
  show->add_option("zone", o.show_zone, "Trust point")->required();
  show->add_option("--scope", o.show.scope, kScopeHelp);

  auto* root = app.add_subcommand("root", "Root trust point");
  root->require_subcommand(1);
  auto* deploy = root->add_subcommand("deploy", "Publish every root key of a source");
  deploy->footer(
      "Default source: /usr/share/dns/root.key (KSK-2017 and KSK-2024). With --xml the IANA\n"
      "root-anchors.xml is used after its detached CMS signature verifies against --ca;\n"
      "validity windows are kept and expired keys skipped.");
  deploy->add_option("--from", o.root.from, "Zone-file or keyset source")->capture_default_str();
  deploy->add_option("--xml", o.root.xml, "RFC 9718 root-anchors.xml");
  deploy->add_option("--signature", o.root.signature, "Its detached signature (.p7s)");
  deploy->add_option("--ca", o.root.ca, "CA file the signature must chain to");
  deploy->add_option("--scope", o.root.where.scope, kScopeHelp);

  auto* status = app.add_subcommand("status", "Show which servers applied the scope's anchors");
  status->footer(
      "Compares each agent's applied digest with what the scopes it holds contain. Exits 0\n"
      "when every server converged, 75 while one has not; --wait waits up to DURATION.");
  status->add_option("--wait", o.status.wait, "Wait for convergence, e.g. 30s");
  status->add_option("--scope", o.status.where.scope, kScopeHelp);
}

void addManage(CLI::App& app, Options& o) {
  auto* import = app.add_subcommand("import", "Publish every anchor of a file");
  import->footer(
      "The whole file is parsed and validated first; nothing is published when any record has\n"
      "a problem (shown as FILE:LINE: reason). Anchors may belong to several trust points.");
  import->add_option("file", o.import.file, "Anchor file: zone, keyset, dsset, bind, xml, json")
      ->required();
  import->add_option("--format", o.import.format, "Input format (default: detected)");
  import->add_option("--scope", o.import.where.scope, kScopeHelp);

  auto* exp = app.add_subcommand("export", "Write the anchors of a trust point");
  exp->footer("An output file is replaced atomically; without -o the anchors go to stdout.");
  exp->add_option("zone", o.exporting.zone, "Trust point")->required();
  exp->add_option("--format", o.exporting.format, "keyset, dsset, zone (default), xml or json")
      ->check(CLI::IsMember({"keyset", "dsset", "zone", "xml", "json"}));
  exp->add_option("-o,--output-file", o.exporting.output_file, "Write here instead of stdout");
  exp->add_option("--scope", o.exporting.where.scope, kScopeHelp);

  auto* dist = app.add_subcommand("distribute", "Put a trust point in a scope or take it out");
  dist->footer(
      "With --scope S the trust point is distributed in S: turned back on if S holds it,\n"
      "otherwise copied with its anchors from the one scope that holds it (or --from). With\n"
      "--off it stays in the directory but its anchors are withdrawn from every resolver of\n"
      "the scope; the withdrawal is confirmed for the agents' mass-removal guard.");
  dist->add_option("zone", o.distribute.zone, "Trust point")->required();
  dist->add_option("--scope", o.distribute.where.scope, kScopeHelp);
  dist->add_option("--from", o.distribute.from, "Scope to copy from (base DN)");
  dist->add_flag("--off", o.distribute.off, "Take the trust point out of distribution");

  auto* autoupdate = app.add_subcommand("autoupdate", "Turn RFC 5011 automatic update on or off");
  autoupdate->footer(
      "With on, the scope's refresher follows the zone's key rollovers (RFC 5011) and every\n"
      "server of the scope applies the same key states.");
  autoupdate->add_option("zone", o.autoupdate.zone, "Trust point")->required();
  autoupdate->add_option("setting", o.autoupdate.setting, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  autoupdate->add_option("--scope", o.autoupdate.where.scope, kScopeHelp);

  auto* refresh = app.add_subcommand("refresh", "Probe auto-update trust points now (RFC 5011)");
  refresh->footer(
      "Marks the trust point (without ZONE: every auto-update trust point of the scope) as due;\n"
      "the agent holding the scope's refresher lease probes its DNSKEY set within seconds and\n"
      "writes any key state change. `show ZONE` then has the last refresh and its result.");
  refresh->add_option("zone", o.refresh.zone, "Trust point (default: all with auto update)");
  refresh->add_option("--scope", o.refresh.where.scope, kScopeHelp);

  auto* nta = app.add_subcommand("nta", "Negative trust anchors (RFC 7646)");
  nta->require_subcommand(1);
  auto* nta_add = nta->add_subcommand("add", "Switch validation off below a name for a while");
  nta_add->footer(
      "Every resolver of the scope stops validating below NAME until the lifetime ends\n"
      "(1m to 7d; rndc caps BIND's NTAs at a week). --reason is required and kept.");
  nta_add->add_option("name", o.nta.name, "Domain name")->required();
  nta_add->add_option("--lifetime", o.nta.lifetime, "How long, e.g. 1h, 2d")->required();
  nta_add->add_option("--reason", o.nta.reason, "Why validation is off")->required();
  nta_add->add_option("--scope", o.nta.where.scope, kScopeHelp);
  auto* nta_remove = nta->add_subcommand("remove", "Switch validation back on below a name");
  nta_remove->add_option("name", o.nta.name, "Domain name")->required();
  nta_remove->add_option("--scope", o.nta.where.scope, kScopeHelp);
  auto* nta_list = nta->add_subcommand("list", "List the negative trust anchors of a scope");
  nta_list->add_option("--scope", o.nta.where.scope, kScopeHelp);
}

void addVerify(CLI::App& app, Options& o) {
  auto* cmd = app.add_subcommand("verify", "Parse and validate trust anchor files");
  cmd->footer(
      "Prints each anchor (owner, type, key tag, algorithm, digest type) and its warnings;\n"
      "problems go to stderr as FILE:LINE: reason. Exits 0 when every anchor is valid,\n"
      "65 when any input has a problem, 66 when a file is missing.");
  cmd->add_option("--format", o.verify.format,
                  "Input format: zone, keyset, dsset, bind, xml or json (default: detected)");
  cmd->add_option("files", o.verify.files, "Files to check; - reads standard input")->required();
}

void addConvert(CLI::App& app, Options& o) {
  auto* cmd = app.add_subcommand("convert", "Convert trust anchor files to another format");
  cmd->footer(
      "Reads every input first; nothing is written when any input has a problem.\n"
      "An output file is replaced atomically.");
  cmd->add_option("--to", o.convert.to,
                  "Output: zone, keyset, dsset, xml or json, or a resolver's own anchor file: "
                  "unbound, bind, knot, pdns or resolved (rendered as the agent writes it)")
      ->required();
  cmd->add_option("--from", o.convert_from, "Input format (default: detected per file)");
  cmd->add_option("-o,--output-file", o.convert.output_file, "Write here instead of stdout");
  cmd->add_option("--digest-type", o.convert_digest,
                  "DS digest type for DNSKEYs turned into DS: 1, 2 (default) or 4")
      ->check(CLI::IsMember({1u, 2u, 4u}));
  cmd->add_option("files", o.convert.files, "Input files; - reads standard input")->required();
}

void addDs(CLI::App& app, Options& o) {
  auto* cmd = app.add_subcommand("ds", "Print the DS records of DNSKEY records");
  cmd->footer(
      "One `owner [TTL] IN DS rdata` line per DNSKEY, as dnssec-dsfromkey prints them;\n"
      "`anchorctl ds /usr/share/dns/root.key` prints the records of /usr/share/dns/root.ds.");
  cmd->add_option("--digest", o.ds.digest, "sha256 (default), sha384 or sha1")
      ->check(CLI::IsMember({"sha1", "sha256", "sha384"}));
  cmd->add_option("--ttl", o.ds.ttl, "Print this TTL in each record");
  cmd->add_option("--format", o.ds.format, "Input format (default: detected)");
  cmd->add_option("files", o.ds.files, "DNSKEY files; - reads standard input")->required();
}

}  // namespace

int runAnchorctl(int argc, char** argv) {
  CLI::App app{kDescription, "anchorctl"};
  app.set_version_flag("--version", std::string("anchorctl ") + ANCHORAGE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Options o;
  app.add_option("--output", o.output, "Output: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("-c,--config", o.config, "Configuration file (YAML)");
  addVerify(app, o);
  addConvert(app, o);
  addDs(app, o);
  addOnline(app, o);
  addManage(app, o);
  addScopeCommands(app, o.scope);

  if (auto code = parseCommandLine(app, argc, argv)) {
    return *code;
  }

  // A configuration named with -c is validated even by the offline commands, so a broken file
  // is noticed before it is deployed.
  if (!o.config.empty()) {
    auto config = config::loadConfigFile(o.config);
    if (!config) {
      std::cerr << "anchorctl: " << config::describeConfigError(config.error()) << "\n";
      return EX_CONFIG;
    }
  }
  Context ctx{std::cout, std::cerr, o.output == "json" ? OutputMode::kJson : OutputMode::kText,
              o.config};
  const std::string name = app.get_subcommands().front()->get_name();
  if (name == "verify") {
    return runVerify(ctx, o.verify);
  }
  if (name == "convert") {
    o.convert.from = o.convert_from;
    o.convert.digest_type = static_cast<uint8_t>(o.convert_digest);
    return runConvert(ctx, o.convert);
  }
  if (name == "ds") {
    return runDs(ctx, o.ds);
  }
  if (name == "add") {
    return runAdd(ctx, o.add);
  }
  if (name == "remove") {
    return runRemove(ctx, o.remove);
  }
  if (name == "list") {
    return runList(ctx, o.list);
  }
  if (name == "show") {
    return runShow(ctx, o.show, o.show_zone);
  }
  if (name == "root") {
    return runRootDeploy(ctx, o.root);
  }
  if (name == "status") {
    return runStatus(ctx, o.status);
  }
  if (name == "import") {
    return runImport(ctx, o.import);
  }
  if (name == "export") {
    return runExport(ctx, o.exporting);
  }
  if (name == "distribute") {
    return runDistribute(ctx, o.distribute);
  }
  if (name == "autoupdate") {
    return runAutoUpdate(ctx, o.autoupdate);
  }
  if (name == "refresh") {
    return runRefresh(ctx, o.refresh);
  }
  if (name == "nta") {
    const std::string sub = app.get_subcommands().front()->get_subcommands().front()->get_name();
    return sub == "add"      ? runNtaAdd(ctx, o.nta)
           : sub == "remove" ? runNtaRemove(ctx, o.nta)
                             : runNtaList(ctx, o.nta);
  }
  if (name == "scope") {
    return runScopeCommand(ctx, o.scope, *app.get_subcommands().front());
  }
  return EX_SOFTWARE;
}

}  // namespace anchorage::cli
