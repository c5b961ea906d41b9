// SPDX-License-Identifier: Apache-2.0
//
// RFC 4533 refreshAndPersist client (see sync.h for the design and failure posture). Message
// layouts: Sync Request Control §2.2, Sync State Control §2.3, Sync Done Control §2.4, Sync Info
// Message §2.5; client behaviour in the refresh phase §3.3.1 and §3.3.2, persist phase §3.4.

#include "directory/sync.h"

#include <lber.h>
#include <ldap.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "directory/mapping.h"
#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::directory {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

LDAP* ldOf(const std::unique_ptr<Session>& s) {
  return static_cast<LDAP*>(s->nativeHandle());
}

std::string uuidText(const berval& bv) {
  if (bv.bv_len != 16) {
    return util::encodeHex({bv.bv_val, bv.bv_val + bv.bv_len}, false);
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bv.bv_val);
  const std::string hex = util::encodeHex({p, p + 16}, false);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string bvText(const berval& bv) {
  return {bv.bv_val, bv.bv_len};
}

// Owns a BER decoder over a copy of `value`; values scanned with "m" point into it, so copy them
// out before the reader goes away.
class BerReader {
 public:
  explicit BerReader(berval* value) : ber_(ber_init(value)) {}
  ~BerReader() {
    if (ber_ != nullptr) {
      ber_free(ber_, 1);
    }
  }
  BerReader(const BerReader&) = delete;
  BerReader& operator=(const BerReader&) = delete;
  BerElement* get() const { return ber_; }
  bool valid() const { return ber_ != nullptr; }

 private:
  BerElement* ber_;
};

// Encodes the Sync Request Control value: SEQUENCE { mode, cookie OPTIONAL }.
Result<berval*> syncRequestValue(const std::string& cookie) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  if (ber == nullptr) {
    return fail(ErrorCode::kInternal, "BER encoder cannot be allocated");
  }
  int rc = ber_printf(ber, "{e", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_AND_PERSIST));
  if (rc != -1 && !cookie.empty()) {
    berval c{static_cast<ber_len_t>(cookie.size()), const_cast<char*>(cookie.data())};
    rc = ber_printf(ber, "O", &c);
  }
  if (rc != -1) {
    rc = ber_printf(ber, "N}");
  }
  berval* out = nullptr;
  if (rc == -1 || ber_flatten(ber, &out) == -1) {
    ber_free(ber, 1);
    return fail(ErrorCode::kInternal, "Sync request control cannot be encoded");
  }
  ber_free(ber, 1);
  return out;
}

// True when `s` is well-formed UTF-8 (JSON can carry it as a string).
bool isUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t follow = 0;
    if (c < 0x80) {
      follow = 0;
    } else if ((c >> 5) == 0x6) {
      follow = 1;
    } else if ((c >> 4) == 0xe) {
      follow = 2;
    } else if ((c >> 3) == 0x1e) {
      follow = 3;
    } else {
      return false;
    }
    if (i + follow >= s.size() && follow > 0) {
      return false;
    }
    for (size_t k = 1; k <= follow; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) {
        return false;
      }
    }
    i += follow + 1;
  }
  return true;
}

}  // namespace

const char* syncPhaseName(SyncPhase phase) {
  switch (phase) {
    case SyncPhase::kDisconnected:
      return "disconnected";
    case SyncPhase::kRefreshing:
      return "refreshing";
    case SyncPhase::kPersisting:
      return "persisting";
  }
  return "disconnected";
}

Result<void> saveSyncState(const std::string& path, const SyncState& state) {
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [uuid, e] : state.entries) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [name, values] : e.attributes) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& v : values) {
        if (isUtf8(v)) {
          list.push_back(v);
        } else {
          list.push_back({{"b64", util::encodeBase64({v.begin(), v.end()})}});
        }
      }
      attrs[name] = std::move(list);
    }
    entries[uuid] = {{"dn", isUtf8(e.dn) ? e.dn : std::string()}, {"attributes", attrs}};
  }
  const nlohmann::json doc = {{"version", 1}, {"cookie", state.cookie}, {"entries", entries}};
  return util::writeFileAtomic(path, doc.dump() + "\n", {0600, {}, {}});
}

Result<SyncState> loadSyncState(const std::string& path) {
  auto text = util::readFile(path, 1ULL << 32);
  if (!text) {
    return fail(text.error());
  }
  const auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != 1 ||
      !doc.contains("entries") || !doc["entries"].is_object()) {
    return fail(ErrorCode::kInvalidInput, "Sync state file is not valid", {{"path", path}});
  }
  SyncState state;
  state.cookie = doc.value("cookie", "");
  for (const auto& [uuid, e] : doc["entries"].items()) {
    Entry entry;
    entry.dn = e.value("dn", "");
    if (!e.contains("attributes") || !e["attributes"].is_object()) {
      return fail(ErrorCode::kInvalidInput, "Sync state entry has no attributes",
                  {{"path", path}, {"uuid", uuid}});
    }
    for (const auto& [name, values] : e["attributes"].items()) {
      auto& out = entry.attributes[name];
      for (const auto& v : values) {
        if (v.is_string()) {
          out.push_back(v.get<std::string>());
        } else if (v.is_object() && v.contains("b64")) {
          auto raw = util::decodeBase64(v["b64"].get<std::string>());
          if (!raw) {
            return fail(ErrorCode::kInvalidInput, "Sync state value is not valid base64",
                        {{"path", path}, {"uuid", uuid}});
          }
          out.emplace_back(raw->begin(), raw->end());
        }
      }
    }
    state.entries.emplace(uuid, std::move(entry));
  }
  return state;
}

ScopeSync::ScopeSync(SessionSettings session, SyncSettings sync, SyncState state, util::Logger log)
    : session_settings_(std::move(session)),
      sync_(std::move(sync)),
      state_(std::move(state)),
      log_(std::move(log)),
      cookie_(CookieVector::parse(state_.cookie)),
      rng_(std::random_device{}()) {}

ScopeSync::~ScopeSync() {
  disconnect();
}

void ScopeSync::disconnect() {
  session_.reset();
  msgid_ = -1;
  heartbeat_msgid_ = -1;
  status_.phase = SyncPhase::kDisconnected;
  status_.uri.clear();
}

void ScopeSync::drop(Error reason, bool quick_retry) {
  log_.warning("Directory sync dropped",
               {{"scope", sync_.base}, {"uri", status_.uri}, {"error", reason.toString()}});
  disconnect();
  ++status_.failures;
  status_.last_error = std::move(reason);
  // Exponential backoff with full jitter; a lost connection is retried at the minimum delay.
  backoff_ = quick_retry ? sync_.reconnect_min
                         : std::clamp(backoff_ * 2, sync_.reconnect_min, sync_.reconnect_max);
  std::uniform_int_distribution<int64_t> jitter(backoff_.count() / 2, backoff_.count());
  next_attempt_ = Clock::now() + milliseconds(jitter(rng_));
}

bool ScopeSync::connect() {
  auto session = Session::open(session_settings_);
  if (!session) {
    drop(session.error(), false);
    return false;
  }
  session_ = std::move(*session);
  status_.uri = session_->uri();
  ++status_.connects;
  startSearch();
  return session_ != nullptr;
}

void ScopeSync::startSearch() {
  LDAP* ld = ldOf(session_);
  // A cookie stamped in the future (beyond a day of clock skew) cannot be ours: with it the server
  // would hold back entries it thinks we have. Start over without it.
  const auto tomorrow = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() + std::chrono::hours(24));
  const std::string limit = formatGeneralizedTime(tomorrow).substr(0, 14);
  if (cookie_.hasCsnAfter(limit)) {
    log_.warning("Saved sync cookie is from the future; refreshing from scratch",
                 {{"scope", sync_.base}, {"cookie", state_.cookie}});
    cookie_ = CookieVector();
    state_.cookie.clear();
  }
  const std::string cookie = cookie_.toCookie();
  full_refresh_ = cookie.empty();
  missing_present_ = false;
  seen_.clear();
  auto value = syncRequestValue(cookie);
  if (!value) {
    drop(value.error(), false);
    return;
  }
  LDAPControl* control = nullptr;
  int rc = ldap_control_create(LDAP_CONTROL_SYNC, 1, *value, 1, &control);
  ber_bvfree(*value);
  if (rc != LDAP_SUCCESS) {
    drop(Error(ErrorCode::kInternal, "Sync request control cannot be built"), false);
    return;
  }
  std::vector<char*> attrs;
  for (const auto& a : sync_.attributes) {
    attrs.push_back(const_cast<char*>(a.c_str()));
  }
  attrs.push_back(nullptr);
  LDAPControl* controls[] = {control, nullptr};
  rc = ldap_search_ext(ld, sync_.base.c_str(), LDAP_SCOPE_SUBTREE, sync_.filter.c_str(),
                       attrs.data(), 0, controls, nullptr, nullptr, LDAP_NO_LIMIT, &msgid_);
  ldap_control_free(control);
  if (rc != LDAP_SUCCESS) {
    drop(Error(errorCodeForLdap(rc), "Sync search cannot be started",
               {{"base", sync_.base}, {"reason", ldap_err2string(rc)}}),
         false);
    return;
  }
  status_.phase = SyncPhase::kRefreshing;
  last_heard_ = Clock::now();
  log_.info(
      "Directory sync started",
      {{"scope", sync_.base}, {"uri", status_.uri}, {"resume", cookie.empty() ? "no" : "yes"}});
}

SyncChanges ScopeSync::poll(milliseconds wait) {
  SyncChanges changes;
  const auto deadline = Clock::now() + wait;
  if (!session_) {
    if (Clock::now() < next_attempt_) {
      std::this_thread::sleep_for(
          std::min(wait, duration_cast<milliseconds>(next_attempt_ - Clock::now())));
      return changes;
    }
    if (!connect()) {
      return changes;
    }
  }
  while (session_) {
    const auto now = Clock::now();
    const auto remaining = std::max(milliseconds(0), duration_cast<milliseconds>(deadline - now));
    // Wake at least as often as the heartbeat needs checking; once something arrived, only drain
    // what is already there, so the caller sees changes without waiting out `wait`.
    const auto slice = changes.received > 0
                           ? milliseconds(0)
                           : std::min(remaining, std::max(milliseconds(10), sync_.liveness / 4));
    timeval tv{static_cast<time_t>(slice.count() / 1000),
               static_cast<suseconds_t>((slice.count() % 1000) * 1000)};
    LDAPMessage* msg = nullptr;
    const int rc = ldap_result(ldOf(session_), LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &msg);
    if (rc == -1) {
      int err = LDAP_SERVER_DOWN;
      ldap_get_option(ldOf(session_), LDAP_OPT_RESULT_CODE, &err);
      drop(Error(ErrorCode::kUnavailable, "Directory connection lost",
                 {{"reason", ldap_err2string(err)}}),
           true);
      break;
    }
    if (rc == 0) {
      checkLiveness();
      if (changes.received > 0 || Clock::now() >= deadline) {
        break;
      }
      continue;
    }
    last_heard_ = Clock::now();
    handleMessage(msg, changes);
    ldap_msgfree(msg);
  }
  if (changes.received > 0) {
    status_.entries_received += changes.received;
  }
  return changes;
}

void ScopeSync::checkLiveness() {
  if (!session_) {
    return;
  }
  const auto now = Clock::now();
  if (heartbeat_msgid_ >= 0) {
    if (now - heartbeat_sent_ > sync_.liveness / 2) {
      drop(Error(ErrorCode::kTimeout, "Directory server stopped answering",
                 {{"liveness_ms", std::to_string(sync_.liveness.count())}}),
           true);
    }
    return;
  }
  if (now - last_heard_ < sync_.liveness / 2) {
    return;
  }
  // Heartbeat: a base search of the root DSE on the same connection.
  char* attrs[] = {const_cast<char*>("1.1"), nullptr};
  int msgid = -1;
  const int rc = ldap_search_ext(ldOf(session_), "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
                                 nullptr, nullptr, nullptr, 1, &msgid);
  if (rc != LDAP_SUCCESS) {
    drop(Error(ErrorCode::kUnavailable, "Heartbeat cannot be sent",
               {{"reason", ldap_err2string(rc)}}),
         true);
    return;
  }
  heartbeat_msgid_ = msgid;
  heartbeat_sent_ = now;
}

void ScopeSync::handleMessage(void* raw, SyncChanges& changes) {
  auto* msg = static_cast<LDAPMessage*>(raw);
  const int id = ldap_msgid(msg);
  if (id == heartbeat_msgid_) {
    if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT) {
      heartbeat_msgid_ = -1;
    }
    return;
  }
  if (id != msgid_) {
    return;
  }
  ++changes.received;
  switch (ldap_msgtype(msg)) {
    case LDAP_RES_SEARCH_ENTRY:
      handleEntry(msg, changes);
      break;
    case LDAP_RES_INTERMEDIATE:
      handleIntermediate(msg, changes);
      break;
    case LDAP_RES_SEARCH_RESULT:
      handleSearchDone(msg, changes);
      break;
    default:
      break;
  }
}

void ScopeSync::handleEntry(void* raw, SyncChanges& changes) {
  auto* msg = static_cast<LDAPMessage*>(raw);
  LDAP* ld = ldOf(session_);
  LDAPControl** controls = nullptr;
  if (ldap_get_entry_controls(ld, msg, &controls) != LDAP_SUCCESS || controls == nullptr) {
    drop(Error(ErrorCode::kInvalidInput, "Sync entry without a sync state control"), false);
    return;
  }
  LDAPControl* ctrl = ldap_control_find(LDAP_CONTROL_SYNC_STATE, controls, nullptr);
  if (ctrl == nullptr) {
    ldap_controls_free(controls);
    drop(Error(ErrorCode::kInvalidInput, "Sync entry without a sync state control"), false);
    return;
  }
  BerReader reader(&ctrl->ldctl_value);
  BerElement* ber = reader.get();
  ber_int_t state = -1;
  berval uuid{};
  berval cookie{};
  ber_len_t len = 0;
  bool ok = reader.valid() && ber_scanf(ber, "{em", &state, &uuid) != LBER_ERROR;
  if (ok && ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
    ok = ber_scanf(ber, "m", &cookie) != LBER_ERROR;
  }
  const std::string id = uuidText(uuid);
  const std::string cookie_text = bvText(cookie);
  ldap_controls_free(controls);
  if (!ok) {
    drop(Error(ErrorCode::kInvalidInput, "Sync state control cannot be decoded"), false);
    return;
  }
  switch (state) {
    case LDAP_SYNC_PRESENT:
      seen_.insert(id);
      missing_present_ = missing_present_ || state_.entries.count(id) == 0;
      break;
    case LDAP_SYNC_ADD:
    case LDAP_SYNC_MODIFY: {
      Entry e;
      char* dn = ldap_get_dn(ld, msg);
      e.dn = dn != nullptr ? dn : "";
      ldap_memfree(dn);
      BerElement* attr_ber = nullptr;
      for (char* a = ldap_first_attribute(ld, msg, &attr_ber); a != nullptr;
           a = ldap_next_attribute(ld, msg, attr_ber)) {
        auto& values = e.attributes[a];
        if (berval** vals = ldap_get_values_len(ld, msg, a); vals != nullptr) {
          for (berval** v = vals; *v != nullptr; ++v) {
            values.emplace_back((*v)->bv_val, (*v)->bv_len);
          }
          ldap_value_free_len(vals);
        }
        ldap_memfree(a);
      }
      if (attr_ber != nullptr) {
        ber_free(attr_ber, 0);
      }
      seen_.insert(id);
      state_.entries[id] = std::move(e);
      ++changes.upserted;
      changes.upserted_uuids.push_back(id);
      break;
    }
    case LDAP_SYNC_DELETE:
      if (state_.entries.erase(id) > 0) {
        ++changes.deleted;
      }
      break;
    default:
      drop(Error(ErrorCode::kInvalidInput, "Sync state control has an unknown state",
                 {{"state", std::to_string(state)}}),
           false);
      return;
  }
  if (!cookie_text.empty()) {
    mergeCookie(cookie_text, changes);
  }
}

void ScopeSync::handleIntermediate(void* raw, SyncChanges& changes) {
  auto* msg = static_cast<LDAPMessage*>(raw);
  LDAP* ld = ldOf(session_);
  char* oid = nullptr;
  berval* data = nullptr;
  if (ldap_parse_intermediate(ld, msg, &oid, &data, nullptr, 0) != LDAP_SUCCESS) {
    drop(Error(ErrorCode::kInvalidInput, "Intermediate response cannot be parsed"), false);
    return;
  }
  const bool sync_info = oid != nullptr && std::string(oid) == LDAP_SYNC_INFO && data != nullptr;
  ldap_memfree(oid);
  if (!sync_info) {
    ber_bvfree(data);
    return;
  }
  BerReader reader(data);
  BerElement* ber = reader.get();
  ber_len_t len = 0;
  const ber_tag_t tag = reader.valid() ? ber_peek_tag(ber, &len) : LBER_ERROR;
  berval cookie{};
  bool ok = true;
  bool refresh_done = true;
  bool refresh_deletes = false;
  BerVarray uuids = nullptr;
  switch (tag) {
    case LDAP_TAG_SYNC_NEW_COOKIE:
      ok = ber_scanf(ber, "m", &cookie) != LBER_ERROR;
      break;
    case LDAP_TAG_SYNC_REFRESH_DELETE:
    case LDAP_TAG_SYNC_REFRESH_PRESENT: {
      ok = ber_scanf(ber, "{") != LBER_ERROR;
      if (ok && ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
        ok = ber_scanf(ber, "m", &cookie) != LBER_ERROR;
      }
      if (ok && ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDONE) {
        ber_int_t done = 1;
        ok = ber_scanf(ber, "b", &done) != LBER_ERROR;
        refresh_done = done != 0;
      }
      break;
    }
    case LDAP_TAG_SYNC_ID_SET: {
      ok = ber_scanf(ber, "{") != LBER_ERROR;
      if (ok && ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
        ok = ber_scanf(ber, "m", &cookie) != LBER_ERROR;
      }
      if (ok && ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES) {
        ber_int_t deletes = 0;
        ok = ber_scanf(ber, "b", &deletes) != LBER_ERROR;
        refresh_deletes = deletes != 0;
      }
      if (ok) {
        ok = ber_scanf(ber, "[W]", &uuids) != LBER_ERROR;
      }
      break;
    }
    default:
      ok = false;
  }
  const std::string cookie_text = bvText(cookie);
  if (ok && tag == LDAP_TAG_SYNC_ID_SET && uuids != nullptr) {
    for (BerVarray u = uuids; u->bv_val != nullptr; ++u) {
      const std::string id = uuidText(*u);
      if (refresh_deletes) {
        if (state_.entries.erase(id) > 0) {
          ++changes.deleted;
        }
      } else {
        seen_.insert(id);
        missing_present_ = missing_present_ || state_.entries.count(id) == 0;
      }
    }
  }
  ber_bvarray_free(uuids);
  ber_bvfree(data);
  if (!ok) {
    drop(Error(ErrorCode::kInvalidInput, "Sync info message cannot be decoded"), false);
    return;
  }
  const bool ends_refresh =
      (tag == LDAP_TAG_SYNC_REFRESH_PRESENT || tag == LDAP_TAG_SYNC_REFRESH_DELETE) && refresh_done;
  if (ends_refresh && !cookie_text.empty()) {
    // The cookie that ends a refresh is the server's whole CSN vector: it replaces ours, so a CSN
    // the server never had (a cookie from another directory, or from the future) cannot linger.
    replaceCookie(cookie_text, changes);
  } else if (!cookie_text.empty()) {
    mergeCookie(cookie_text, changes);
  }
  if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT) {
    endPresentPhase(changes);
  }
  if ((tag == LDAP_TAG_SYNC_REFRESH_PRESENT || tag == LDAP_TAG_SYNC_REFRESH_DELETE) &&
      refresh_done) {
    finishRefresh(changes);
  }
}

void ScopeSync::endPresentPhase(SyncChanges& changes) {
  // RFC 4533 §3.3.1: after a present phase, every entry neither sent nor listed present is gone.
  for (auto it = state_.entries.begin(); it != state_.entries.end();) {
    if (seen_.count(it->first) == 0) {
      it = state_.entries.erase(it);
      ++changes.deleted;
    } else {
      ++it;
    }
  }
  full_refresh_ = false;
}

void ScopeSync::finishRefresh(SyncChanges& changes) {
  if (missing_present_) {
    // The server listed as present entries this client never received: the saved cookie and
    // mirror are out of step (a cookie from another directory, a lost state file). Only a
    // refresh without a cookie can repair that.
    log_.warning("Sync state out of step with the directory; refreshing from scratch",
                 {{"scope", sync_.base}, {"uri", status_.uri}});
    missing_present_ = false;
    cookie_ = CookieVector();
    state_.cookie.clear();
    changes.cookie_moved = true;
    ldap_abandon_ext(ldOf(session_), msgid_, nullptr, nullptr);
    startSearch();
    return;
  }
  if (full_refresh_) {
    // Without a cookie the server sent the whole content: anything else in the mirror is stale.
    endPresentPhase(changes);
  }
  seen_.clear();
  status_.phase = SyncPhase::kPersisting;
  ++status_.refreshes;
  backoff_ = milliseconds(0);
  changes.refresh_done = true;
  // "messages": sync messages received since this client started, this refresh included.
  log_.info("Directory sync refreshed",
            {{"scope", sync_.base},
             {"uri", status_.uri},
             {"entries", std::to_string(state_.entries.size())},
             {"messages", std::to_string(status_.entries_received + changes.received)}});
}

void ScopeSync::handleSearchDone(void* raw, SyncChanges& changes) {
  auto* msg = static_cast<LDAPMessage*>(raw);
  LDAP* ld = ldOf(session_);
  int err = LDAP_SUCCESS;
  char* diag = nullptr;
  LDAPControl** controls = nullptr;
  ldap_parse_result(ld, msg, &err, nullptr, &diag, nullptr, &controls, 0);
  const std::string diagnostic = diag != nullptr ? diag : "";
  ldap_memfree(diag);
  std::string cookie_text;
  if (controls != nullptr) {
    if (LDAPControl* done = ldap_control_find(LDAP_CONTROL_SYNC_DONE, controls, nullptr)) {
      BerReader reader(&done->ldctl_value);
      BerElement* ber = reader.get();
      ber_len_t len = 0;
      berval cookie{};
      if (reader.valid() && ber_scanf(ber, "{") != LBER_ERROR &&
          ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
          ber_scanf(ber, "m", &cookie) != LBER_ERROR) {
        cookie_text = bvText(cookie);
      }
    }
    ldap_controls_free(controls);
  }
  if (err == LDAP_SYNC_REFRESH_REQUIRED) {
    // RFC 4533 §3.2: the server cannot resume from our cookie. Start over without one; the full
    // refresh that follows reconciles the mirror.
    log_.notice("Directory asked for a full refresh", {{"scope", sync_.base}});
    ++status_.refresh_required;
    cookie_ = CookieVector();
    state_.cookie.clear();
    changes.cookie_moved = true;
    startSearch();
    return;
  }
  if (!cookie_text.empty()) {
    mergeCookie(cookie_text, changes);
  }
  drop(Error(errorCodeForLdap(err), "Directory ended the sync search",
             {{"ldap_result", std::to_string(err)}, {"reason", diagnostic}}),
       err == LDAP_SUCCESS || err == LDAP_UNAVAILABLE || err == LDAP_BUSY);
}

void ScopeSync::replaceCookie(const std::string& cookie, SyncChanges& changes) {
  auto fresh = CookieVector::parse(cookie);
  if (fresh.empty()) {
    mergeCookie(cookie, changes);
    return;
  }
  if (fresh.toCookie() != cookie_.toCookie()) {
    cookie_ = std::move(fresh);
    state_.cookie = cookie_.toCookie();
    changes.cookie_moved = true;
  }
}

void ScopeSync::mergeCookie(const std::string& cookie, SyncChanges& changes) {
  if (cookie_.merge(cookie)) {
    state_.cookie = cookie_.toCookie();
    changes.cookie_moved = true;
  }
}

}  // namespace anchorage::directory
