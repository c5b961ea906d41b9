// SPDX-License-Identifier: Apache-2.0
//
// The RFC 5011 trust anchor tracker: given a trust point's anchors, the outcome of one DNSKEY
// probe and the time, it computes the anchors' new states (RFC 5011 §4), the transitions, and
// when to probe next (§2.3 active refresh and retry). Revocation follows §2.1, the add hold-down
// §2.2 and §2.4.1, the remove hold-down §2.4.2. Pure: no I/O and no clock reads; the caller
// probes, stores the result and schedules the next refresh.
//
// Design note. The failure posture is "change nothing that is not proven": a probe failure, or a
// DNSKEY set that no trusted key signs, leaves every state as it was (except revocations, below)
// and asks for a retry. Departures from and readings of the RFC, stated once here:
// - Revocation is applied even when no other trusted key signs the set: the revoked key's own
//   signature over the set proves the revocation (§2.1 allows that key to validate exactly this
//   signature). A revoked key then no longer counts when the set's trust is judged.
// - A key in AddPend that is revoked goes to Revoked (the §4 table leaves RevBit in AddPend
//   open), so that a key its owner revoked is never added later.
// - A key is matched to an anchor by its RDATA with the REVOKE bit cleared (a DS anchor through
//   its digest of that RDATA). A key published with the REVOKE bit but without a valid signature
//   of its own over the set is not revoked: the bit is ignored and the key counts as present.
// - Timers (AddTime, RemTime) complete only at an accepted DNSKEY set, so that "seen in every
//   validated set" (§4.1 AddTime) is checked on the set that completes the hold-down.
// - An AddPend key absent from an accepted set goes back to Start and is dropped from the list;
//   it starts a new hold-down if it reappears. Removed anchors stay in the list, untrusted, so
//   that the same key published again is not taken as a new key (§4.2 calls re-introducing old
//   keys bad practice); the caller may delete them.
// - The clock may jump. Hold-downs are absolute deadlines compared with `now`, so a clock that
//   went back only delays them; a stored deadline is never moved earlier, and is never earlier
//   than state_changed plus the configured hold-down. New deadlines and state_changed stamps are
//   taken from the later of `now` and the trust point's latest state_changed, so that a clock
//   that went back and is set right again does not shorten a hold-down started in between.
//   The price: stamps written while a clock ran ahead delay later hold-downs (never hasten them).

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dns/dnskey_set.h"
#include "model/anchor.h"
#include "model/name.h"
#include "util/result.h"

namespace anchorage::rfc5011 {

using std::chrono::seconds;

/// Every duration of RFC 5011 §2.3 and §2.4, configurable so that tests run in seconds.
struct Timers {
  seconds add_hold_down{std::chrono::days(30)};     ///< §2.4.1 (at least OrigTTL, see below).
  seconds remove_hold_down{std::chrono::days(30)};  ///< §2.4.2.
  seconds refresh_min{std::chrono::hours(1)};       ///< §2.3: never more often than this.
  seconds refresh_max{std::chrono::days(15)};       ///< §2.3: never less often than this.
  seconds retry_min{std::chrono::hours(1)};         ///< §2.3, after a failed probe.
  seconds retry_max{std::chrono::days(1)};          ///< §2.3, after a failed probe.
  /// Share of OrigTTL and of the RRSIG expiration interval, in percent: §2.3 says ½ for the
  /// active refresh and 10% for the retry.
  int refresh_percent = 50;
  int retry_percent = 10;
};

/// Checks that `timers` make sense: no negative hold-down, positive minimums, each maximum at
/// least its minimum, shares from 1 to 100 percent. Errors: kConfig naming the field.
Result<void> checkTimers(const Timers& timers);

/// RFC 5011 §2.3 active refresh: MAX(refresh_min, MIN(refresh_max, ½ OrigTTL, ½ expiration
/// interval)). `expiration_interval` is the time from now to the RRSIG's expiration (negative
/// counts as zero); nullopt leaves that term out.
seconds activeRefreshInterval(const Timers& timers, seconds original_ttl,
                              std::optional<seconds> expiration_interval);

/// RFC 5011 §2.3 retry after a failed probe: MAX(retry_min, MIN(retry_max, 10% OrigTTL, 10%
/// expiration interval)), with the terms as for activeRefreshInterval().
seconds retryInterval(const Timers& timers, seconds original_ttl,
                      std::optional<seconds> expiration_interval);

/// RFC 5011 §2.4.1 add hold-down: the greater of add_hold_down and OrigTTL.
seconds addHoldDown(const Timers& timers, seconds original_ttl);

/// A probe that brought no DNSKEY set: timeout, SERVFAIL, no answer, ...
struct ProbeFailure {
  std::string reason;  ///< For people; appears in the result text.
};

/// What a probe brought: a failure, or the DNSKEY set as received and checked at `now`
/// (dns::checkDnskeySet or dns::fetchDnskeySet with the same time).
using ProbeOutcome = std::variant<ProbeFailure, dns::DnskeySet>;

/// The input of one refresh of one trust point.
struct RefreshInput {
  model::DomainName trust_point;
  /// The trust point's anchors, DS and DNSKEY, in any state. Anchors of another owner are
  /// passed through unchanged.
  std::vector<model::TrustAnchor> anchors;
  ProbeOutcome probe;
  /// Original TTL of the DNSKEY RRset (the RRSIG's field); on a failed probe the last one known,
  /// or 0 when none is (the retry is then retry_min).
  uint32_t original_ttl = 0;
  model::Time now{};
};

/// RFC 5011 §4.1 events.
enum class Event { kNewKey, kAddTime, kKeyRem, kKeyPres, kRevBit, kRemTime };

/// RFC spelling: "NewKey", "AddTime", "KeyRem", "KeyPres", "RevBit", "RemTime".
std::string_view eventName(Event event);

/// One state change of one anchor.
struct Transition {
  std::string anchor_id;  ///< model::TrustAnchor::id() (stable across states).
  model::KeyState from = model::KeyState::kStart;
  model::KeyState to = model::KeyState::kStart;
  Event event = Event::kNewKey;
  std::string reason;  ///< A sentence for people and logs.
};

/// How a refresh went, for metrics; result() gives the text.
enum class Outcome {
  kOk,            ///< A trusted key signs the DNSKEY set; the events were applied.
  kProbeFailed,   ///< No DNSKEY set (or one of another zone); nothing changed.
  kNotValidated,  ///< No trusted key signs the set; only revocations were applied.
};

/// "ok", "probe_failed", "not_validated".
std::string_view outcomeName(Outcome outcome);

/// The result of one refresh.
struct RefreshResult {
  /// The anchors with their new states, state_changed and hold_down_until: the input order,
  /// AddPend keys that vanished dropped, new keys (origin kRfc5011, DNSKEY, AddPend) appended.
  std::vector<model::TrustAnchor> anchors;
  std::vector<Transition> transitions;  ///< In the order applied.
  model::Time next_refresh{};           ///< now + active refresh (kOk) or now + retry.
  Outcome outcome = Outcome::kOk;
  /// "ok", "no trusted key signs the DNSKEY set", "probe failed: <reason>".
  std::string result;
};

/// The RFC 5011 state machine with its timers.
class Tracker {
 public:
  explicit Tracker(Timers timers = {}) : timers_(timers) {}

  const Timers& timers() const { return timers_; }

  /// Applies one probe to the trust point's anchors at `input.now` (see the design note above).
  RefreshResult refresh(const RefreshInput& input) const;

 private:
  Timers timers_;
};

}  // namespace anchorage::rfc5011
