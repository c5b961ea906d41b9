// SPDX-License-Identifier: Apache-2.0
//
// A throwaway Kerberos realm and a GSSAPI-capable slapd on loopback (RFC 4752 binds, RFC 4120
// tickets), built from the installed MIT Kerberos, OpenLDAP and openssl tools.

#include "kerberos_directory.h"

#include <glob.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "support/wait.h"
#include "util/file.h"

namespace anchorage::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kToolTimeout{20000};
constexpr milliseconds kStartTimeout{15000};
constexpr size_t kLogTail = 3000;

// The service principal libldap asks for: "ldap" plus the host of the URI (SASL_NOCANON keeps
// libldap from replacing it with the name of the connected address).
constexpr const char* kServiceHost = "localhost";
constexpr const char* kServicePrincipal = "ldap/localhost";
constexpr const char* kClientName = "agent";

// Looks `name` up in PATH and then in the sbin directories a non-login root PATH may lack.
std::string findProgram(const std::string& name) {
  std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) {
      continue;
    }
    const std::string path = dir + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return {};
}

// The program path for argv: the one found, or the bare name (spawn then reports it missing).
std::string program(const std::string& name) {
  const std::string path = findProgram(name);
  return path.empty() ? name : path;
}

bool hasSaslGssapiPlugin() {
  for (const char* pattern : {"/usr/lib/*/sasl2/libgssapiv2.so*", "/usr/lib/sasl2/libgssapiv2.so*",
                              "/usr/lib64/sasl2/libgssapiv2.so*"}) {
    glob_t found{};
    const bool any = ::glob(pattern, 0, nullptr, &found) == 0 && found.gl_pathc > 0;
    ::globfree(&found);
    if (any) {
      return true;
    }
  }
  return false;
}

bool acceptsConnections(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return connected;
}

std::string tail(const std::string& text) {
  return text.size() <= kLogTail ? text : text.substr(text.size() - kLogTail);
}

std::string readLog(const std::string& path) {
  auto text = util::readFile(path, 1 << 20);
  return text ? tail(*text) : std::string();
}

// The names a server certificate must carry for a client that connects to "localhost": libldap
// checks such a certificate against the local host name (and its canonical form) instead of
// "localhost", so the throwaway certificate names all of them.
std::vector<std::string> localHostNames() {
  std::set<std::string> names{kServiceHost};
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    names.insert(host);
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* info = nullptr;
    if (::getaddrinfo(host, nullptr, &hints, &info) == 0) {
      if (info != nullptr && info->ai_canonname != nullptr) {
        names.insert(info->ai_canonname);
      }
      ::freeaddrinfo(info);
    }
  }
  return {names.begin(), names.end()};
}

Result<void> writeText(const std::string& path, const std::string& text) {
  return util::writeFileAtomic(path, text, {.mode = 0600});
}

void setEnv(const char* key, const std::string& value) {
  ::setenv(key, value.c_str(), 1);
}

// Waits until `process` accepts TCP connections on every port in `ports`; fails early when it
// ends.
Result<void> waitForServer(testsupport::Process& process, const std::vector<uint16_t>& ports,
                           const std::string& name, const std::string& log_path) {
  auto all_open = [&] {
    for (const uint16_t port : ports) {
      if (!acceptsConnections(port)) {
        return false;
      }
    }
    return true;
  };
  testsupport::waitUntil([&] { return !process.running() || all_open(); }, kStartTimeout,
                         milliseconds(20));
  if (!process.running()) {
    return fail(ErrorCode::kUnavailable, "Test server exited during startup",
                {{"server", name},
                 {"exit_code", std::to_string(process.stop().code)},
                 {"log", readLog(log_path)}});
  }
  if (!all_open()) {
    return fail(ErrorCode::kUnavailable, "Test server did not listen in time",
                {{"server", name}, {"log", readLog(log_path)}});
  }
  return ok();
}

}  // namespace

std::vector<std::string> missingKerberosTools() {
  std::vector<std::string> missing;
  for (const char* name :
       {"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist", "slapd", "slapadd", "openssl"}) {
    if (findProgram(name).empty()) {
      missing.emplace_back(name);
    }
  }
  if (!hasSaslGssapiPlugin()) {
    missing.emplace_back("Cyrus SASL GSSAPI module (libgssapiv2.so)");
  }
  return missing;
}

Result<std::unique_ptr<KerberosDirectory>> KerberosDirectory::start(uint16_t first_port,
                                                                    uint16_t last_port) {
  auto dir = testsupport::TempDir::create("anchorage-krb5");
  if (!dir) {
    return fail(dir.error());
  }
  std::unique_ptr<KerberosDirectory> kd(new KerberosDirectory(std::move(*dir)));
  for (uint16_t* port : {&kd->kdc_port_, &kd->ldap_port_, &kd->ldaps_port_}) {
    auto reserved = testsupport::reserveFreePort("127.0.0.1", first_port, last_port);
    if (!reserved) {
      return fail(reserved.error());
    }
    *port = reserved->port();
    kd->ports_.push_back(std::move(*reserved));
  }
  const std::vector<Result<void> (KerberosDirectory::*)()> steps = {
      &KerberosDirectory::writeKerberosConfig,
      &KerberosDirectory::createRealm,
      &KerberosDirectory::startKdc,
      &KerberosDirectory::makeCertificates,
      &KerberosDirectory::writeSlapdConfig,
      &KerberosDirectory::startSlapd,
  };
  for (const auto step : steps) {
    if (auto r = (kd.get()->*step)(); !r) {
      return fail(r.error());
    }
  }
  return kd;
}

KerberosDirectory::~KerberosDirectory() {
  // The directory first, then the KDC it may still be talking to; the temp dir goes last.
  if (slapd_) {
    slapd_->stop();
  }
  if (kdc_) {
    kdc_->stop();
  }
}

std::string KerberosDirectory::ldapUri() const {
  return "ldap://" + std::string(kServiceHost) + ":" + std::to_string(ldap_port_) + "/";
}

std::string KerberosDirectory::ldapsUri() const {
  return "ldaps://" + std::string(kServiceHost) + ":" + std::to_string(ldaps_port_) + "/";
}

void KerberosDirectory::useCcache(const std::string& ccache_path) {
  setEnv("KRB5CCNAME", "FILE:" + ccache_path);
}

Result<testsupport::CommandOutput> KerberosDirectory::run(const std::vector<std::string>& argv,
                                                          const std::string& log_name) const {
  auto out = testsupport::runCommand(argv, kToolTimeout, dir_.file(log_name));
  if (!out) {
    return fail(out.error());
  }
  if (!out->status.success()) {
    return fail(ErrorCode::kIo, "Test tool failed",
                {{"program", argv.front()},
                 {"exit_code", std::to_string(out->status.code)},
                 {"output", tail(out->output)}});
  }
  return out;
}

// krb5.conf for every Kerberos user here, kdc.conf for the KDC and kadmin.local, ldap.conf for
// libldap, and the process environment that points at them.
Result<void> KerberosDirectory::writeKerberosConfig() {
  const std::string realm = kRealm;
  const std::string kdc = "127.0.0.1:" + std::to_string(kdc_port_);
  // Lookups stay off DNS and the names stay as written; TCP only (udp_preference_limit = 1), so
  // the KDC can be waited for with a connect.
  const std::string krb5_conf = "[libdefaults]\n  default_realm = " + realm +
                                "\n"
                                "  dns_lookup_kdc = false\n  dns_lookup_realm = false\n"
                                "  dns_canonicalize_hostname = false\n  rdns = false\n"
                                "  udp_preference_limit = 1\n"
                                "  default_ccache_name = FILE:" +
                                dir_.file("default.ccache") +
                                "\n"
                                "  default_client_keytab_name = FILE:" +
                                dir_.file("no-client.keytab") + "\n[realms]\n  " + realm +
                                " = {\n    kdc = " + kdc + "\n  }\n[domain_realm]\n  " +
                                kServiceHost + " = " + realm + "\n";
  const std::string kdb = dir_.file("kdb");
  const std::string kdc_conf =
      "[kdcdefaults]\n  kdc_listen = " + kdc + "\n  kdc_tcp_listen = " + kdc + "\n[realms]\n  " +
      realm + " = {\n    database_name = " + kdb + "/principal\n    key_stash_file = " + kdb +
      "/stash\n    acl_file = " + kdb +
      "/kadm5.acl\n    max_life = 1h\n  }\n[logging]\n  kdc = FILE:" + dir_.file("kdc.log") +
      "\n  admin_server = FILE:" + dir_.file("kadmin.log") +
      "\n  default = FILE:" + dir_.file("krb5lib.log") + "\n";
  for (const auto& [name, text] : {std::pair{"krb5.conf", krb5_conf},
                                   {"kdc.conf", kdc_conf},
                                   {"ldap.conf", std::string("SASL_NOCANON on\n")}}) {
    if (auto r = writeText(dir_.file(name), text); !r) {
      return r;
    }
  }
  if (auto r = dir_.makeSubdir("kdb"); !r) {
    return fail(r.error());
  }
  setEnv("KRB5_CONFIG", dir_.file("krb5.conf"));
  setEnv("KRB5_KDC_PROFILE", dir_.file("kdc.conf"));
  setEnv("KRB5CCNAME", "FILE:" + dir_.file("default.ccache"));
  // No system client keytab may quietly supply credentials the test meant to withhold.
  setEnv("KRB5_CLIENT_KTNAME", "FILE:" + dir_.file("no-client.keytab"));
  // slapd's replay cache (as a GSSAPI acceptor) would otherwise go to /var/tmp.
  setEnv("KRB5RCACHEDIR", dir_.path());
  // LDAPCONF replaces /etc/ldap/ldap.conf; the variable also overrides any ~/.ldaprc.
  setEnv("LDAPCONF", dir_.file("ldap.conf"));
  setEnv("LDAPSASL_NOCANON", "on");
  return ok();
}

Result<void> KerberosDirectory::createRealm() {
  if (auto r = run({program("kdb5_util"), "create", "-r", kRealm, "-s", "-P",
                    "anchorage-test-master-key", "-W"},
                   "kdb5_util.out");
      !r) {
    return fail(r.error());
  }
  const std::vector<std::string> queries = {
      std::string("addprinc -randkey ") + kServicePrincipal,
      std::string("addprinc -randkey ") + kClientName,
      "ktadd -k " + dir_.file("ldap.keytab") + " " + kServicePrincipal,
      "ktadd -k " + dir_.file("agent.keytab") + " " + kClientName,
  };
  for (const auto& query : queries) {
    if (auto r = run({program("kadmin.local"), "-r", kRealm, "-q", query}, "kadmin.out"); !r) {
      return fail(std::move(r.error()).with("query", query));
    }
  }
  return ok();
}

Result<void> KerberosDirectory::startKdc() {
  const std::string log = dir_.file("kdc.out");
  auto kdc = testsupport::Process::spawn({.argv = {program("krb5kdc"), "-n"}, .output_path = log});
  if (!kdc) {
    return fail(kdc.error());
  }
  kdc_.emplace(std::move(*kdc));
  if (auto r = waitForServer(*kdc_, {kdc_port_}, "krb5kdc", log); !r) {
    return fail(std::move(r.error()).with("kdc_log", readLog(dir_.file("kdc.log"))));
  }
  return ok();
}

Result<void> KerberosDirectory::makeCertificates() {
  std::string names;
  for (const auto& name : localHostNames()) {
    names += "DNS:" + name + ", ";
  }
  const std::string cnf =
      "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = Anchorage Kerberos test CA\n"
      "[ca_ext]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
      "subjectKeyIdentifier = hash\n"
      "[server_ext]\nbasicConstraints = critical, CA:FALSE\n"
      "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n"
      "subjectAltName = " +
      names + "IP:127.0.0.1\n";
  if (auto r = writeText(dir_.file("tls.cnf"), cnf); !r) {
    return r;
  }
  const std::string openssl = program("openssl");
  const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                            "-nodes"};
  std::vector<std::string> ca = {openssl,       "req",    "-x509", "-config", dir_.file("tls.cnf"),
                                 "-extensions", "ca_ext", "-days", "2"};
  ca.insert(ca.end(), new_key.begin(), new_key.end());
  ca.insert(ca.end(), {"-keyout", dir_.file("ca.key"), "-out", dir_.file("ca.pem")});
  std::vector<std::string> csr = {openssl, "req",          "-new", "-config", dir_.file("tls.cnf"),
                                  "-subj", "/CN=localhost"};
  csr.insert(csr.end(), new_key.begin(), new_key.end());
  csr.insert(csr.end(), {"-keyout", dir_.file("server.key"), "-out", dir_.file("server.csr")});
  const std::vector<std::string> sign = {openssl,
                                         "x509",
                                         "-req",
                                         "-in",
                                         dir_.file("server.csr"),
                                         "-CA",
                                         dir_.file("ca.pem"),
                                         "-CAkey",
                                         dir_.file("ca.key"),
                                         "-set_serial",
                                         "2",
                                         "-days",
                                         "2",
                                         "-extfile",
                                         dir_.file("tls.cnf"),
                                         "-extensions",
                                         "server_ext",
                                         "-out",
                                         dir_.file("server.pem")};
  for (const auto& argv : {ca, csr, sign}) {
    if (auto r = run(argv, "openssl.out"); !r) {
      return fail(r.error());
    }
  }
  return ok();
}

// cn=config built offline: the SASL host and realm slapd hands to the GSSAPI mechanism, the
// identity mapping, TLS, and an mdb database only the mapped client may read, and only over a
// protected connection (ssf=56: TLS, or the GSSAPI security layer on plain LDAP).
Result<void> KerberosDirectory::writeSlapdConfig() {
  const std::string d = dir_.path();
  const std::string config =
      "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n"
      "olcPidFile: " +
      d + "/slapd.pid\nolcArgsFile: " + d + "/slapd.args\nolcTLSCACertificateFile: " + d +
      "/ca.pem\nolcTLSCertificateFile: " + d + "/server.pem\nolcTLSCertificateKeyFile: " + d +
      "/server.key\nolcSaslHost: " + kServiceHost + "\nolcSaslRealm: " + kRealm +
      "\n"
      // With olcSaslRealm set, slapd names a GSSAPI user uid=<name>,cn=<realm>,cn=gssapi,cn=auth.
      "olcAuthzRegexp: {0}\"^uid=([^,]+),cn=anchorage\\.test,cn=gssapi,cn=auth$\" "
      "\"cn=$1,ou=system," +
      kSuffix +
      "\"\n\n"
      "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
      "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n"
      "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
      "include: file:///etc/ldap/schema/core.ldif\n\n"
      "dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\n"
      "olcDatabase: {0}config\nolcAccess: {0}to * by * none\n\n"
      "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\n"
      "objectClass: olcMdbConfig\nolcDatabase: {1}mdb\nolcSuffix: " +
      kSuffix + "\nolcRootDN: cn=admin," + kSuffix + "\nolcDbDirectory: " + d +
      "/db\nolcDbMaxSize: 16777216\n"
      "olcAccess: {0}to * by dn.exact=\"" +
      kClientDn + "\" ssf=56 read by * none\n";
  const std::string base = std::string("dn: ") + kSuffix +
                           "\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
                           "o: Example\n\ndn: ou=system," +
                           kSuffix +
                           "\nobjectClass: organizationalUnit\nou: system\n\ndn: " + kClientDn +
                           "\nobjectClass: applicationProcess\ncn: agent\n"
                           "description: Anchorage agent authenticated by Kerberos\n";
  if (auto r = writeText(dir_.file("config.ldif"), config); !r) {
    return r;
  }
  if (auto r = writeText(dir_.file("base.ldif"), base); !r) {
    return r;
  }
  for (const char* sub : {"slapd.d", "db"}) {
    if (auto r = dir_.makeSubdir(sub); !r) {
      return fail(r.error());
    }
  }
  const std::string slapadd = program("slapadd");
  if (auto r = run({slapadd, "-n0", "-F", dir_.file("slapd.d"), "-l", dir_.file("config.ldif")},
                   "slapadd.out");
      !r) {
    return fail(r.error());
  }
  if (auto r = run(
          {slapadd, "-q", "-F", dir_.file("slapd.d"), "-b", kSuffix, "-l", dir_.file("base.ldif")},
          "slapadd.out");
      !r) {
    return fail(r.error());
  }
  return ok();
}

Result<void> KerberosDirectory::startSlapd() {
  const std::string log = dir_.file("slapd.out");
  const std::string listeners = "ldap://127.0.0.1:" + std::to_string(ldap_port_) +
                                "/ ldaps://127.0.0.1:" + std::to_string(ldaps_port_) + "/";
  // -d none keeps slapd in the foreground (so the PID is the server's) and prints fatal errors.
  auto slapd = testsupport::Process::spawn(
      {.argv = {program("slapd"), "-F", dir_.file("slapd.d"), "-d", "none", "-h", listeners},
       .output_path = log,
       .environment = {"KRB5_KTNAME=FILE:" + dir_.file("ldap.keytab")}});
  if (!slapd) {
    return fail(slapd.error());
  }
  slapd_.emplace(std::move(*slapd));
  return waitForServer(*slapd_, {ldap_port_, ldaps_port_}, "slapd", log);
}

Result<void> KerberosDirectory::kinitClient(const std::string& ccache_path,
                                            std::optional<std::chrono::seconds> lifetime) const {
  std::vector<std::string> argv = {program("kinit"), "-c", "FILE:" + ccache_path};
  if (lifetime) {
    argv.insert(argv.end(), {"-l", std::to_string(lifetime->count()) + "s"});
  }
  argv.insert(argv.end(), {"-k", "-t", dir_.file("agent.keytab"), kClientPrincipal});
  if (auto r = run(argv, "kinit.out"); !r) {
    return fail(r.error());
  }
  return ok();
}

bool KerberosDirectory::hasValidTicket(const std::string& ccache_path) const {
  auto out = testsupport::runCommand({program("klist"), "-s", "-c", "FILE:" + ccache_path},
                                     kToolTimeout, dir_.file("klist.out"));
  return out && out->status.success();
}

}  // namespace anchorage::testing
