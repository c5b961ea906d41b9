// SPDX-License-Identifier: Apache-2.0
//
// Test harness: signed zones, nsd, and the four resolvers on loopback.

#include "resolvers/harness.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/wait.h"
#include "util/encoding.h"
#include "util/file.h"
#include "writers/knot_writer.h"

namespace anchorage::resolvertest {
namespace {

using std::chrono::milliseconds;
using testsupport::Process;
using testsupport::reserveFreePort;

constexpr milliseconds kToolTimeout{30000};
constexpr milliseconds kStartTimeout{15000};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<void> writeText(const std::string& path, const std::string& text) {
  return util::writeFileAtomic(path, text);
}

/// Runs a tool in `dir`; returns its output, or an error with the output when it fails.
Result<std::string> runIn(const std::string& dir, const std::vector<std::string>& argv) {
  const std::string log = dir + "/tool-" + std::to_string(::getpid()) + ".log";
  std::filesystem::remove(log);
  auto p = Process::spawn({.argv = argv, .output_path = log, .working_dir = dir});
  if (!p) {
    return fail(p.error());
  }
  auto status = p->wait(kToolTimeout);
  const std::string output = slurp(log);
  std::filesystem::remove(log);
  if (!status) {
    return fail(std::move(status.error()).with("output", output));
  }
  if (!status->success()) {
    return fail(
        ErrorCode::kUnavailable, "Tool failed",
        {{"tool", argv[0]}, {"exit_code", std::to_string(status->code)}, {"output", output}});
  }
  return output;
}

std::string lastLine(const std::string& text) {
  const auto trimmed = util::trim(text);
  const auto nl = trimmed.rfind('\n');
  return std::string(nl == std::string_view::npos ? trimmed : trimmed.substr(nl + 1));
}

std::string utcStamp(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
  return buf;
}

/// Reads the DNSKEY of an ldns .key file ("owner IN DNSKEY 257 3 13 <b64> ;{...}").
Result<model::DnskeyRdata> readKeyFile(const std::string& path) {
  std::string text = slurp(path);
  text = text.substr(0, text.find(';'));
  const auto fields = util::splitFields(text);
  std::string rdata;
  bool after_type = false;
  for (const auto f : fields) {
    if (after_type) {
      rdata += std::string(f) + " ";
    } else if (f == "DNSKEY") {
      after_type = true;
    }
  }
  return model::parseDnskeyRdata(rdata);
}

std::string zoneText(std::string_view zone, int host_base, uint32_t ttl = 3600,
                     uint32_t serial = 1) {
  const std::string z(zone);
  return "$ORIGIN " + z + "\n$TTL " + std::to_string(ttl) + "\n@ IN SOA ns1 hostmaster " +
         std::to_string(serial) + " 3600 900 604800 " + std::to_string(std::min(ttl, 300u)) + "\n" +
         "@ IN NS ns1\nns1 IN A 127.0.0.2\nwww IN A 192.0.2." + std::to_string(host_base) +
         "\nwww.lab IN A 192.0.2." + std::to_string(host_base + 1) + "\n";
}

/// Waits until `address`:`port` answers a query for `name` SOA with any response.
bool waitAnswering(const std::string& address, uint16_t port, const std::string& name,
                   const Process& process) {
  return testsupport::waitUntil(
      [&] {
        if (!process.running()) {
          return true;  // Reported by the caller.
        }
        dns::QueryOptions q;
        q.address = address;
        q.port = port;
        q.timeout = milliseconds(300);
        return static_cast<bool>(dns::query(name, dns::kTypeSoa, q));
      },
      kStartTimeout, milliseconds(20));
}

}  // namespace

bool haveProgram(std::string_view program) {
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + std::string(program)).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<TestNetwork>> TestNetwork::create() {
  std::unique_ptr<TestNetwork> net(new TestNetwork());
  auto dir = testsupport::TempDir::create("anchorage-zones");
  if (!dir) {
    return fail(dir.error());
  }
  net->dir_.emplace(std::move(*dir));
  auto corp = net->signZone("corp.example.", false);
  if (!corp) {
    return fail(corp.error());
  }
  net->corp_ = std::move(*corp);
  auto rsa = net->signZone("rsa.example.", true);
  if (!rsa) {
    return fail(rsa.error());
  }
  net->rsa_ = std::move(*rsa);
  if (auto s = net->startNsd(); !s) {
    return fail(s.error());
  }
  return net;
}

Result<SignedZone> TestNetwork::signZone(std::string_view zone, bool rsa_nsec3) {
  const std::string& dir = dir_->path();
  const std::string z(zone);
  if (auto w = writeText(dir + "/" + z + "zone", zoneText(zone, rsa_nsec3 ? 30 : 10)); !w) {
    return fail(w.error());
  }
  // notes §4: ECDSA P-256 for corp, RSA/SHA-256 2048/1024 for rsa; /dev/urandom (P19).
  std::vector<std::string> ksk_argv = {"ldns-keygen", "-r", "/dev/urandom", "-k"};
  std::vector<std::string> zsk_argv = {"ldns-keygen", "-r", "/dev/urandom"};
  if (rsa_nsec3) {
    ksk_argv.insert(ksk_argv.end(), {"-a", "RSASHA256", "-b", "2048", z});
    zsk_argv.insert(zsk_argv.end(), {"-a", "RSASHA256", "-b", "1024", z});
  } else {
    ksk_argv.insert(ksk_argv.end(), {"-a", "ECDSAP256SHA256", z});
    zsk_argv.insert(zsk_argv.end(), {"-a", "ECDSAP256SHA256", z});
  }
  auto ksk = runIn(dir, ksk_argv);
  if (!ksk) {
    return fail(ksk.error());
  }
  auto zsk = runIn(dir, zsk_argv);
  if (!zsk) {
    return fail(zsk.error());
  }
  const std::string ksk_base = lastLine(*ksk);
  const std::string zsk_base = lastLine(*zsk);

  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> sign = {"ldns-signzone"};
  if (rsa_nsec3) {
    sign.insert(sign.end(), {"-n", "-t", "0"});  // NSEC3, no extra iterations, empty salt (P19)
  }
  sign.insert(sign.end(), {"-i", utcStamp(now - std::chrono::hours(1)), "-e",
                           utcStamp(now + std::chrono::hours(24 * 30)), "-f", z + "zone.signed",
                           z + "zone", zsk_base, ksk_base});
  if (auto s = runIn(dir, sign); !s) {
    return fail(s.error());
  }
  auto ds_line = runIn(dir, {"ldns-key2ds", "-n", "-2", ksk_base + ".key"});
  if (!ds_line) {
    return fail(ds_line.error());
  }

  auto key = readKeyFile(dir + "/" + ksk_base + ".key");
  if (!key) {
    return fail(key.error());
  }
  SignedZone out{.name = model::DomainName::parse(zone).value()};
  out.dnskey.record = {out.name, 3600, *key};
  auto ds = model::computeDs(out.name, *key, 2);
  if (!ds) {
    return fail(ds.error());
  }
  out.ds.record = {out.name, 3600, *ds};
  model::DsRdata wrong = *ds;
  wrong.digest.back() ^= 0x01;
  out.wrong_ds.record = {out.name, 3600, wrong};
  out.probe = "www." + z;
  out.lab_probe = "www.lab." + z;
  out.ds_line = std::string(util::trim(*ds_line));
  out.ksk_key = ksk_base;
  out.zsk_key = zsk_base;
  return out;
}

Result<std::string> TestNetwork::makeKey(std::string_view zone, bool ksk) {
  std::vector<std::string> argv = {"ldns-keygen", "-r", "/dev/urandom", "-a", "ECDSAP256SHA256"};
  if (ksk) {
    argv.push_back("-k");
  }
  argv.emplace_back(zone);
  auto made = runIn(dir_->path(), argv);
  if (!made) {
    return fail(made.error());
  }
  return lastLine(*made);
}

Result<void> TestNetwork::revokeKey(const std::string& base) {
  auto r = runIn(dir_->path(), {"ldns-revoke", base + ".key"});
  if (!r) {
    return fail(r.error());
  }
  return ok();
}

Result<model::DnskeyRdata> TestNetwork::keyOf(const std::string& base) const {
  return readKeyFile(dir_->path() + "/" + base + ".key");
}

Result<void> TestNetwork::resignZone(std::string_view zone, const std::vector<std::string>& keys,
                                     uint32_t ttl) {
  const std::string& dir = dir_->path();
  const std::string z(zone);
  // The zone files of create() carry serial 1.
  auto [it, inserted] = serials_.emplace(z, 1);
  const uint32_t serial = ++it->second;
  if (auto w = writeText(dir + "/" + z + "zone", zoneText(zone, 10, ttl, serial)); !w) {
    return fail(w.error());
  }
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> sign = {"ldns-signzone",
                                   "-i",
                                   utcStamp(now - std::chrono::hours(1)),
                                   "-e",
                                   utcStamp(now + std::chrono::hours(24 * 30)),
                                   "-f",
                                   z + "zone.signed.new",
                                   z + "zone"};
  sign.insert(sign.end(), keys.begin(), keys.end());
  if (auto s = runIn(dir, sign); !s) {
    return fail(s.error());
  }
  // nsd reads a zone file again when its mtime changed; a rename makes the change whole.
  if (std::rename((dir + "/" + z + "zone.signed.new").c_str(),
                  (dir + "/" + z + "zone.signed").c_str()) != 0) {
    return fail(ErrorCode::kIo, "Signed zone cannot be renamed", {{"zone", z}});
  }
  ::kill(nsd_->pid(), SIGHUP);
  const bool served = testsupport::waitUntil(
      [&] {
        dns::QueryOptions q;
        q.address = kNsdAddress;
        q.port = nsdPort();
        q.timeout = milliseconds(300);
        auto r = dns::query(z, dns::kTypeSoa, q);
        return r && !r->answer.empty() &&
               r->answer.front().rdata_text.find(" " + std::to_string(serial) + " ") !=
                   std::string::npos;
      },
      kStartTimeout, milliseconds(50));
  if (!served) {
    return fail(ErrorCode::kUnavailable, "nsd did not load the re-signed zone",
                {{"zone", z}, {"log", slurp(dir + "/nsd.log")}});
  }
  return ok();
}

Result<void> TestNetwork::startNsd() {
  auto port = reserveFreePort(kNsdAddress, kFirstPort, kLastPort);
  if (!port) {
    return fail(port.error());
  }
  nsd_port_.emplace(std::move(*port));
  auto dead = reserveFreePort(kDeadAddress, kFirstPort, kLastPort);
  if (!dead) {
    return fail(dead.error());
  }
  dead_port_.emplace(std::move(*dead));

  const std::string& dir = dir_->path();
  const std::string p = std::to_string(nsdPort());
  const std::string conf =
      "server:\n  ip-address: " + std::string(kNsdAddress) + "@" + p + "\n  port: " + p +
      "\n  do-ip6: no\n  username: \"\"\n" + "  database: \"\"\n  zonesdir: \"" + dir +
      "\"\n  pidfile: \"" + dir + "/nsd.pid\"\n  logfile: \"" + dir + "/nsd.log\"\n  xfrdfile: \"" +
      dir + "/xfrd.state\"\n  zonelistfile: \"" + dir + "/zone.list\"\n  xfrdir: \"" + dir +
      "\"\n  server-count: 1\n  verbosity: 1\n" + "remote-control:\n  control-enable: no\n" +
      "zone:\n  name: \"corp.example.\"\n  zonefile: \"corp.example.zone.signed\"\n" +
      "zone:\n  name: \"rsa.example.\"\n  zonefile: \"rsa.example.zone.signed\"\n";
  if (auto w = writeText(dir + "/nsd.conf", conf); !w) {
    return fail(w.error());
  }
  auto nsd = Process::spawn({.argv = {"nsd", "-d", "-c", dir + "/nsd.conf"},
                             .output_path = dir + "/nsd.out",
                             .working_dir = dir});
  if (!nsd) {
    return fail(nsd.error());
  }
  nsd_.emplace(std::move(*nsd));
  if (!waitAnswering(kNsdAddress, nsdPort(), "corp.example.", *nsd_) || !nsd_->running()) {
    return fail(ErrorCode::kUnavailable, "nsd did not start",
                {{"log", slurp(dir + "/nsd.out") + slurp(dir + "/nsd.log")}});
  }
  return ok();
}

Result<void> ResolverServer::start(const TestNetwork& network) {
  auto dir = testsupport::TempDir::create("anchorage-" + std::string(program()));
  if (!dir) {
    return fail(dir.error());
  }
  dir_.emplace(std::move(*dir));
  auto port = reserveFreePort(address(), kFirstPort, kLastPort);
  if (!port) {
    return fail(port.error());
  }
  port_.emplace(std::move(*port));
  corp_probe_ = network.corp().probe;
  rsa_probe_ = network.rsa().probe;
  auto argv = prepare(network);
  if (!argv) {
    return fail(argv.error());
  }
  // P22: a stale resolver on the same address and port would answer in this one's place.
  if (!testsupport::isPortFree(address(), port_->port())) {
    return fail(ErrorCode::kConflict, "Resolver port is already bound",
                {{"address", address()}, {"port", std::to_string(port_->port())}});
  }
  auto p = Process::spawn(
      {.argv = *argv, .output_path = dir_->file("stdout.log"), .working_dir = dir_->path()});
  if (!p) {
    return fail(p.error());
  }
  process_.emplace(std::move(*p));
  if (!waitAnswering(address(), port_->port(), "corp.example.", *process_) ||
      !process_->running()) {
    return fail(ErrorCode::kUnavailable, "Resolver did not start",
                {{"program", std::string(program())}, {"log", log()}});
  }
  return ok();
}

testsupport::ExitStatus ResolverServer::stop() {
  return process_ ? process_->stop() : testsupport::ExitStatus{};
}

Result<dns::Response> ResolverServer::query(std::string_view name, uint16_t type,
                                            std::chrono::milliseconds timeout) const {
  dns::QueryOptions q;
  q.address = address();
  q.port = port_->port();
  q.timeout = timeout;
  return dns::query(name, type, q);
}

std::string ResolverServer::log() const {
  if (!dir_) {
    return {};
  }
  std::string out = slurp(dir_->file("stdout.log"));
  if (const std::string f = logFile(); !f.empty()) {
    out += slurp(f);
  }
  constexpr size_t kTail = 6000;
  return out.size() > kTail ? out.substr(out.size() - kTail) : out;
}

writers::WriterSettings ResolverServer::baseSettings(const TestNetwork*) const {
  writers::WriterSettings s;
  s.query_address = address();
  s.query_port = port_->port();
  s.probes = {{"corp.example.", corp_probe_}, {"rsa.example.", rsa_probe_}};
  s.timeout = milliseconds(5000);
  s.verify_timeout = milliseconds(2000);
  s.checker_address = kCheckerAddress;
  return s;
}

// Unbound (notes §5): do-not-query-localhost: no (P2), absolute config path (a relative one is
// not found again on reload once Unbound has changed into its directory).
Result<std::vector<std::string>> UnboundServer::prepare(const TestNetwork& network) {
  const std::string& d = dir_->path();
  const std::string p = std::to_string(port());
  const std::string nsd = std::string(kNsdAddress) + "@" + std::to_string(network.nsdPort());
  const std::string conf =
      "server:\n  interface: " + address() + "@" + p + "\n  port: " + p +
      "\n  outgoing-interface: 127.0.0.3\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n" +
      "  directory: \"" + d + "\"\n  pidfile: \"" + d + "/unbound.pid\"\n  logfile: \"" + d +
      "/unbound.log\"\n  use-syslog: no\n  do-not-query-localhost: no\n  val-log-level: 2\n" +
      "  ede: yes\n  module-config: \"validator iterator\"\n  num-threads: 1\n" +
      "  trust-anchor-file: \"" + d + "/anchors.zone\"\n  include: \"" + d + "/ntas.conf\"\n" +
      "remote-control:\n  control-enable: yes\n  control-interface: \"" + d +
      "/unbound.ctl\"\n  control-use-cert: no\n" +
      "stub-zone:\n  name: \"corp.example.\"\n  stub-addr: " + nsd + "\n" +
      "stub-zone:\n  name: \"rsa.example.\"\n  stub-addr: " + nsd + "\n" +
      "stub-zone:\n  name: \".\"\n  stub-addr: " + kDeadAddress + "@" +
      std::to_string(network.deadPort()) + "\n";
  for (const auto& [path, text] :
       {std::pair{d + "/unbound.conf", conf}, std::pair{d + "/anchors.zone", std::string()},
        std::pair{d + "/ntas.conf", std::string("server:\n")}}) {
    if (auto w = writeText(path, text); !w) {
      return fail(w.error());
    }
  }
  return std::vector<std::string>{"unbound", "-d", "-c", d + "/unbound.conf"};
}

std::string UnboundServer::logFile() const {
  return dir_->file("unbound.log");
}

writers::WriterSettings UnboundServer::writerSettings() const {
  auto s = baseSettings();
  s.type = writers::ResolverType::kUnbound;
  s.anchor_file = dir_->file("anchors.zone");
  s.nta_file = dir_->file("ntas.conf");
  s.control_command = {"unbound-control", "-c", dir_->file("unbound.conf")};
  return s;
}

// BIND (notes §5): listens on 127.0.0.1 (P1), -4, static anchors only (dnssec-validation yes).
Result<std::vector<std::string>> BindServer::prepare(const TestNetwork& network) {
  const std::string& d = dir_->path();
  auto rndc = reserveFreePort("127.0.0.1", kFirstPort, kLastPort);
  if (!rndc) {
    return fail(rndc.error());
  }
  rndc_port_.emplace(std::move(*rndc));
  if (auto k = runIn(d, {"rndc-confgen", "-a", "-k", "rndc-key", "-c", d + "/rndc.key"}); !k) {
    return fail(k.error());
  }
  const std::string nsd =
      std::string(kNsdAddress) + " port " + std::to_string(network.nsdPort()) + ";";
  auto zone = [&](const char* name) {
    return "zone \"" + std::string(name) + "\" { type forward; forward only; forwarders { " + nsd +
           " }; };\n";
  };
  const std::string conf =
      "include \"" + d + "/rndc.key\";\ncontrols { inet 127.0.0.1 port " +
      std::to_string(rndc_port_->port()) +
      " allow { 127.0.0.0/8; } keys { \"rndc-key\"; }; };\noptions {\n  directory \"" + d +
      "\";\n  pid-file \"" + d + "/named.pid\";\n  session-keyfile \"" + d +
      "/session.key\";\n  managed-keys-directory \"" + d + "\";\n  listen-on port " +
      std::to_string(port()) + " { 127.0.0.1; };\n  listen-on-v6 { none; };\n" +
      "  query-source address 127.0.0.4;\n  dnssec-validation yes;\n  recursion yes;\n" +
      "  allow-query { 127.0.0.0/8; };\n  allow-recursion { 127.0.0.0/8; };\n" + "  forwarders { " +
      kDeadAddress + " port " + std::to_string(network.deadPort()) +
      "; };\n  forward only;\n};\nlogging {\n  channel main { file \"" + d +
      "/named.log\"; severity info; print-time yes; };\n  category default { main; };\n" +
      "  category lame-servers { null; };\n};\n" + zone("corp.example") + zone("rsa.example") +
      "include \"" + d + "/anchors.conf\";\n";
  for (const auto& [path, text] :
       {std::pair{d + "/named.conf", conf}, std::pair{d + "/anchors.conf", std::string()}}) {
    if (auto w = writeText(path, text); !w) {
      return fail(w.error());
    }
  }
  return std::vector<std::string>{"named", "-4", "-f", "-n", "1", "-c", d + "/named.conf"};
}

std::string BindServer::logFile() const {
  return dir_->file("named.log");
}

writers::WriterSettings BindServer::writerSettings() const {
  auto s = baseSettings();
  s.type = writers::ResolverType::kBind;
  s.anchor_file = dir_->file("anchors.conf");
  s.control_command = {"rndc",
                       "-k",
                       dir_->file("rndc.key"),
                       "-s",
                       "127.0.0.1",
                       "-p",
                       std::to_string(rndc_port_->port())};
  return s;
}

// kresd (notes §5): -n (no interactive prompt), root key dropped (P7), FORWARD not STUB (P8).
Result<std::vector<std::string>> KnotServer::prepare(const TestNetwork& network) {
  const std::string& d = dir_->path();
  const std::string nsd = std::string(kNsdAddress) + "@" + std::to_string(network.nsdPort());
  const std::string dead = std::string(kDeadAddress) + "@" + std::to_string(network.deadPort());
  const std::string conf = "net.ipv6 = false\nnet.listen('" + address() + "', " +
                           std::to_string(port()) + ", { kind = 'dns' })\nnet.outgoing_v4('" +
                           address() + "')\n" + "cache.open(20 * MB, 'lmdb://" + d +
                           "/cache')\ntrust_anchors.remove('.')\n" +
                           writers::KnotWriter::configSnippet() + "print(anchorage_apply('" + d +
                           "/anchors.lua'))\n" + "policy.add(policy.suffix(policy.FORWARD({'" +
                           nsd + "'}), {todname('corp.example.'), todname('rsa.example.')}))\n" +
                           "policy.add(policy.all(policy.FORWARD({'" + dead + "'})))\n";
  std::filesystem::create_directories(d + "/run");
  for (const auto& [path, text] :
       {std::pair{d + "/kresd.conf", conf},
        std::pair{d + "/anchors.lua", std::string("return { anchors = {}, insecure = {} }\n")}}) {
    if (auto w = writeText(path, text); !w) {
      return fail(w.error());
    }
  }
  return std::vector<std::string>{"kresd", "-n", "-c", d + "/kresd.conf", d + "/run"};
}

writers::WriterSettings KnotServer::writerSettings() const {
  auto s = baseSettings();
  s.type = writers::ResolverType::kKnot;
  s.anchor_file = dir_->file("anchors.lua");
  s.control_socket = dir_->file("run/control");
  return s;
}

// PowerDNS (notes §5): dnssec=validate (P11), forward-zones with ',' between zones (P12),
// compiled-in root anchor cleared, no secpoll.
Result<std::vector<std::string>> PowerDnsServer::prepare(const TestNetwork& network) {
  const std::string& d = dir_->path();
  const std::string nsd = std::string(kNsdAddress) + ":" + std::to_string(network.nsdPort());
  const std::string conf =
      "daemon=no\nsocket-dir=" + d + "\nlocal-address=" + address() +
      "\nlocal-port=" + std::to_string(port()) + "\ndnssec=validate\ndnssec-log-bogus=yes\n" +
      "extended-resolution-errors=yes\nlua-config-file=" + d + "/main.lua\n" +
      "query-local-address=" + address() + "\nsecurity-poll-suffix=\nthreads=1\n" +
      "forward-zones=corp.example.=" + nsd + ", rsa.example.=" + nsd + ", .=" + kDeadAddress + ":" +
      std::to_string(network.deadPort()) + "\n";
  const std::string lua = "clearTA('.')\ndofile('" + d + "/anchors.lua')\n";
  for (const auto& [path, text] :
       {std::pair{d + "/recursor.conf", conf}, std::pair{d + "/main.lua", lua},
        std::pair{d + "/anchors.lua", std::string()}}) {
    if (auto w = writeText(path, text); !w) {
      return fail(w.error());
    }
  }
  return std::vector<std::string>{"pdns_recursor", "--config-dir=" + d};
}

writers::WriterSettings PowerDnsServer::writerSettings() const {
  auto s = baseSettings();
  s.type = writers::ResolverType::kPowerDns;
  s.anchor_file = dir_->file("anchors.lua");
  s.control_command = {"rec_control", "--socket-dir=" + dir_->path()};
  return s;
}

}  // namespace anchorage::resolvertest
