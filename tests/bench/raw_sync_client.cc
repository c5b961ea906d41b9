// SPDX-License-Identifier: Apache-2.0
//
// A plain libldap RFC 4533 client for the directory benchmark (tests/bench/directory_bench.cc),
// the baseline that Anchorage's own ScopeSync is compared with. It uses only the ldap_sync_* helper
// API: ldap_sync_initialize, ldap_sync_init(LDAP_SYNC_REFRESH_AND_PERSIST), which blocks through
// the refresh phase, then ldap_sync_poll with callbacks (RFC 4533 §3.3 refresh, §3.4 persist). It
// keeps no mirror and no cookie across runs: it only counts and timestamps what it receives.
// Plain C-style code compiled as C++, against libldap alone (no Anchorage code).
//
//   raw_sync_client --uri U [--bind simple|external] --bind-dn DN --password-file F --ca-file CA
//                   --base B --mode refresh|persist
//
// ldap:// URIs use StartTLS (certificate verified against CA); ldapi:// URIs no TLS. The bind is
// a simple bind as DN (default), or SASL EXTERNAL (on ldapi as root: the rootdn, to which no
// access rule applies; the credential options are then ignored, though still required).
//
// Mode "refresh": prints one line "refresh connect_ms=.. refresh_ms=.. entries=.. rss_kib=.."
// when the refresh phase is done, and exits. Mode "persist": prints "ready ..." after the refresh
// phase, then one line "event recv_us=<CLOCK_REALTIME us> description=<first value>" per entry
// added or modified in the persist phase, until SIGTERM or SIGINT. Exit 0 on success, 1 on a
// directory error (reason on stderr), 64 on bad usage.

#include <getopt.h>
#include <lber.h>
#include <ldap.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

enum { kExitUsage = 64 };

// Set by the signal handler; the one piece of process state a handler can reach.
static volatile sig_atomic_t stop_requested = 0;

// What the callbacks update, reached through ls_private.
struct ClientState {
  int persisting;         // Set once ldap_sync_init returned: later entries are persist events.
  unsigned long entries;  // Entries received (any state) during the refresh phase.
  unsigned long events;   // Entries added or modified during the persist phase.
};

static void onSignal(int signo) {
  (void)signo;
  stop_requested = 1;
}

static long long realtimeUs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
}

static double monotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// VmRSS of this process in KiB, or -1.
static long rssKib() {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) {
    return -1;
  }
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kib = strtol(line + 6, nullptr, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

// Reads the first line of `path` (without its newline) into `out`; returns 0 on success.
static int readPassword(const char* path, char* out, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == nullptr) {
    fprintf(stderr, "raw_sync_client: cannot read password file %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (fgets(out, static_cast<int>(size), f) == nullptr) {
    out[0] = '\0';
  }
  fclose(f);
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

static int onEntry(ldap_sync_t* ls, LDAPMessage* msg, struct berval* uuid,
                   ldap_sync_refresh_t phase) {
  (void)uuid;
  auto* st = static_cast<ClientState*>(ls->ls_private);
  if (!st->persisting) {
    ++st->entries;
    return 0;
  }
  if (phase != LDAP_SYNC_CAPI_ADD && phase != LDAP_SYNC_CAPI_MODIFY) {
    return 0;
  }
  // The receive time is taken before any decoding, as soon as the callback runs.
  const long long recv_us = realtimeUs();
  ++st->events;
  struct berval** values = ldap_get_values_len(ls->ls_ld, msg, "description");
  char text[512] = "";
  if (values != nullptr && values[0] != nullptr) {
    const size_t n = values[0]->bv_len < sizeof text - 1 ? values[0]->bv_len : sizeof text - 1;
    memcpy(text, values[0]->bv_val, n);
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
  }
  ldap_value_free_len(values);
  printf("event recv_us=%lld description=%s\n", recv_us, text);
  return 0;
}

static int onReference(ldap_sync_t* ls, LDAPMessage* msg) {
  (void)ls;
  (void)msg;
  return 0;
}

static int onIntermediate(ldap_sync_t* ls, LDAPMessage* msg, BerVarray uuids,
                          ldap_sync_refresh_t phase) {
  (void)ls;
  (void)msg;
  (void)uuids;
  (void)phase;
  return 0;
}

static int onResult(ldap_sync_t* ls, LDAPMessage* msg, int refresh_deletes) {
  (void)ls;
  (void)msg;
  (void)refresh_deletes;
  return 0;
}

// Opens, secures (StartTLS on ldap:// URIs) and binds a connection; returns nullptr after
// printing the reason.
static LDAP* connectAndBind(const char* uri, const char* dn, const char* password,
                            const char* ca_file, int external) {
  LDAP* ld = nullptr;
  int rc = ldap_initialize(&ld, uri);
  if (rc != LDAP_SUCCESS) {
    fprintf(stderr, "raw_sync_client: ldap_initialize %s: %s\n", uri, ldap_err2string(rc));
    return nullptr;
  }
  const int version = LDAP_VERSION3;
  struct timeval network = {5, 0};
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network);
  if (strncmp(uri, "ldap://", 7) == 0) {
    const int demand = LDAP_OPT_X_TLS_DEMAND;
    const int is_server = 0;
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca_file);
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
  }
  if (rc == LDAP_SUCCESS && external) {
    // An empty authorization identity: act as the identity the peer credentials give.
    struct berval empty;
    empty.bv_val = const_cast<char*>("");
    empty.bv_len = 0;
    rc = ldap_sasl_bind_s(ld, nullptr, "EXTERNAL", &empty, nullptr, nullptr, nullptr);
  } else if (rc == LDAP_SUCCESS) {
    struct berval cred;
    cred.bv_val = const_cast<char*>(password);
    cred.bv_len = strlen(password);
    rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  }
  if (rc != LDAP_SUCCESS) {
    fprintf(stderr, "raw_sync_client: StartTLS or bind on %s: %s\n", uri, ldap_err2string(rc));
    ldap_unbind_ext_s(ld, nullptr, nullptr);
    return nullptr;
  }
  return ld;
}

static void usage() {
  fprintf(stderr,
          "usage: raw_sync_client --uri URI [--bind simple|external] --bind-dn DN "
          "--password-file FILE --ca-file CA --base BASE --mode refresh|persist\n");
}

// The command line.
struct Options {
  const char* uri = nullptr;
  const char* dn = nullptr;
  const char* password_file = nullptr;
  const char* ca_file = nullptr;
  const char* base = nullptr;
  const char* mode = nullptr;
  const char* bind = "simple";
};

// Parses the command line into `o`; returns 0, or -1 after printing the usage.
static int parseOptions(int argc, char** argv, Options* o) {
  static const struct option kOptions[] = {{"uri", required_argument, nullptr, 'u'},
                                           {"bind", required_argument, nullptr, 'B'},
                                           {"bind-dn", required_argument, nullptr, 'd'},
                                           {"password-file", required_argument, nullptr, 'p'},
                                           {"ca-file", required_argument, nullptr, 'c'},
                                           {"base", required_argument, nullptr, 'b'},
                                           {"mode", required_argument, nullptr, 'm'},
                                           {nullptr, 0, nullptr, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
    const char** target = opt == 'u'   ? &o->uri
                          : opt == 'B' ? &o->bind
                          : opt == 'd' ? &o->dn
                          : opt == 'p' ? &o->password_file
                          : opt == 'c' ? &o->ca_file
                          : opt == 'b' ? &o->base
                          : opt == 'm' ? &o->mode
                                       : nullptr;
    if (target == nullptr) {
      usage();
      return -1;
    }
    *target = optarg;
  }
  if (o->uri == nullptr || o->dn == nullptr || o->password_file == nullptr ||
      o->ca_file == nullptr || o->base == nullptr || o->mode == nullptr ||
      (strcmp(o->mode, "refresh") != 0 && strcmp(o->mode, "persist") != 0) ||
      (strcmp(o->bind, "simple") != 0 && strcmp(o->bind, "external") != 0)) {
    usage();
    return -1;
  }
  return 0;
}

// The persist phase: ldap_sync_poll until a stop signal or a failure; returns the exit status.
static int persistUntilStopped(ldap_sync_t* ls) {
  int status = 0;
  while (!stop_requested) {
    const int rc = ldap_sync_poll(ls);
    if (rc == -1 && errno == EINTR) {
      continue;
    }
    if (rc != LDAP_SUCCESS) {
      fprintf(stderr, "raw_sync_client: ldap_sync_poll: %s (%d)\n", ldap_err2string(rc), rc);
      status = 1;
      break;
    }
  }
  return status;
}

int main(int argc, char** argv) {
  Options o;
  if (parseOptions(argc, argv, &o) != 0) {
    return kExitUsage;
  }
  // Hermetic: no /etc/ldap/ldap.conf or ~/.ldaprc. No SA_RESTART, so a signal interrupts the
  // wait inside ldap_sync_poll.
  setenv("LDAPNOINIT", "1", 1);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  char password[256];
  if (readPassword(o.password_file, password, sizeof password) != 0) {
    return 1;
  }
  const double start_ms = monotonicMs();
  LDAP* ld = connectAndBind(o.uri, o.dn, password, o.ca_file, strcmp(o.bind, "external") == 0);
  if (ld == nullptr) {
    return 1;
  }
  const double connected_ms = monotonicMs();

  ClientState state = {0, 0, 0};
  ldap_sync_t ls;
  ldap_sync_initialize(&ls);
  // ldap_sync_destroy frees these with ber_memfree: allocate them with ber_strdup.
  ls.ls_base = ber_strdup(o.base);
  ls.ls_scope = LDAP_SCOPE_SUBTREE;
  ls.ls_filter = ber_strdup("(objectClass=*)");
  ls.ls_attrs = nullptr;
  ls.ls_timeout = 1;  // ldap_sync_poll returns 0 after 1 s of silence: lets us see a stop request
  ls.ls_search_entry = onEntry;
  ls.ls_search_reference = onReference;
  ls.ls_intermediate = onIntermediate;
  ls.ls_search_result = onResult;
  ls.ls_private = &state;
  ls.ls_ld = ld;

  const int rc = ldap_sync_init(&ls, LDAP_SYNC_REFRESH_AND_PERSIST);
  const double refreshed_ms = monotonicMs();
  int status = 0;
  if (rc != LDAP_SUCCESS) {
    fprintf(stderr, "raw_sync_client: ldap_sync_init: %s (%d)\n", ldap_err2string(rc), rc);
    status = 1;
  } else if (strcmp(o.mode, "refresh") == 0) {
    printf("refresh connect_ms=%.1f refresh_ms=%.1f entries=%lu rss_kib=%ld\n",
           connected_ms - start_ms, refreshed_ms - start_ms, state.entries, rssKib());
  } else {
    state.persisting = 1;
    printf("ready refresh_ms=%.1f entries=%lu\n", refreshed_ms - start_ms, state.entries);
    status = persistUntilStopped(&ls);
    fprintf(stderr, "raw_sync_client: stopping after %lu persist events\n", state.events);
  }
  ldap_sync_destroy(&ls, 0);
  return status;
}
