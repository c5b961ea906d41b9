// SPDX-License-Identifier: Apache-2.0
//
// The RFC 5011 tracker, in the order one refresh runs: revocations (§2.1), the trust of the
// DNSKEY set (§2.1, a trusted key must sign it), the §4.1 events of each anchor, new keys (§2.2),
// and the next refresh (§2.3). The header's design note states the readings of the RFC.

#include "rfc5011/tracker.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace anchorage::rfc5011 {
namespace {

using model::KeyState;
using model::TrustAnchor;

model::DnskeyRdata withoutRevoke(model::DnskeyRdata key) {
  key.flags = static_cast<uint16_t>(key.flags & ~model::kFlagRevoke);
  return key;
}

// True when `anchor` stands for `key` (given with the REVOKE bit cleared): the same DNSKEY RDATA
// apart from that bit, or a DS that is the digest of it.
bool standsFor(const TrustAnchor& anchor, const model::DnskeyRdata& key) {
  if (anchor.record.isDs()) {
    return model::dsMatchesDnskey(anchor.record.owner, anchor.record.ds(), key);
  }
  return withoutRevoke(anchor.record.dnskey()) == key;
}

// True when the set holds the anchor's key, with or without the REVOKE bit. A REVOKE bit that
// counts has already moved the anchor to Revoked, so here the bit is ignored.
bool isPresent(const TrustAnchor& anchor, const dns::DnskeySet& set) {
  return std::any_of(set.keys.begin(), set.keys.end(), [&](const model::DnskeyRdata& k) {
    return standsFor(anchor, withoutRevoke(k));
  });
}

seconds percentOf(seconds duration, int percent) {
  return seconds(std::max<int64_t>(0, duration.count()) * percent / 100);
}

// MAX(lowest, MIN(highest, share of OrigTTL, share of the expiration interval)).
seconds boundedInterval(seconds lowest, seconds highest, int percent, seconds original_ttl,
                        std::optional<seconds> expiration_interval) {
  seconds interval = std::min(highest, percentOf(original_ttl, percent));
  if (expiration_interval) {
    interval = std::min(interval, percentOf(*expiration_interval, percent));
  }
  return std::max(lowest, interval);
}

// The deadline of a running hold-down: the stored one, but never earlier than state_changed plus
// the configured hold-down; `fallback` when the anchor records neither.
model::Time holdDownDeadline(const TrustAnchor& anchor, seconds hold_down, model::Time fallback) {
  std::optional<model::Time> deadline = anchor.hold_down_until;
  if (anchor.state_changed) {
    const model::Time floor = *anchor.state_changed + hold_down;
    deadline = deadline ? std::max(*deadline, floor) : floor;
  }
  return deadline.value_or(fallback);
}

// One refresh in progress.
class Step {
 public:
  Step(const RefreshInput& input, const Timers& timers) : in_(input), timers_(timers) {
    // Stamps never go back before the latest change the trust point recorded (clock jumps).
    clock_ = input.now;
    for (const auto& a : input.anchors) {
      if (belongs(a) && a.state_changed) {
        clock_ = std::max(clock_, *a.state_changed);
      }
    }
    out_.anchors = input.anchors;
  }

  RefreshResult run();

 private:
  bool belongs(const TrustAnchor& a) const { return a.record.owner == in_.trust_point; }
  seconds originalTtl() const { return seconds(in_.original_ttl); }

  void change(TrustAnchor& anchor, KeyState to, Event event, std::string reason);
  RefreshResult retry(Outcome outcome, std::string result);
  void applyRevocations(const dns::DnskeySet& set);
  std::optional<model::Time> trustedSignatureExpiry(const dns::DnskeySet& set) const;
  bool admitStartEntry(TrustAnchor& anchor, const dns::DnskeySet& set);
  bool applyAddPend(TrustAnchor& anchor, bool present);
  void applyRevoked(TrustAnchor& anchor);
  bool applyEvent(TrustAnchor& anchor, const dns::DnskeySet& set);
  void applyEvents(const dns::DnskeySet& set);
  bool isKnown(const model::DnskeyRdata& key) const;
  void addNewKeys(const dns::DnskeySet& set);

  const RefreshInput& in_;
  const Timers& timers_;
  model::Time clock_;
  RefreshResult out_;
};

void Step::change(TrustAnchor& anchor, KeyState to, Event event, std::string reason) {
  out_.transitions.push_back({anchor.id(), anchor.state, to, event, std::move(reason)});
  anchor.state = to;
  anchor.state_changed = clock_;
  anchor.hold_down_until.reset();
}

RefreshResult Step::retry(Outcome outcome, std::string result) {
  out_.outcome = outcome;
  out_.result = std::move(result);
  out_.next_refresh = in_.now + retryInterval(timers_, originalTtl(), std::nullopt);
  return std::move(out_);
}

// RFC 5011 §2.1 and §4.1 RevBit: the key is in the set with the REVOKE bit, and that revoked key
// validly signs the set.
void Step::applyRevocations(const dns::DnskeySet& set) {
  for (auto& anchor : out_.anchors) {
    const bool revocable = anchor.state == KeyState::kAddPend || anchor.state == KeyState::kValid ||
                           anchor.state == KeyState::kMissing;
    if (!belongs(anchor) || !revocable) {
      continue;
    }
    for (const auto& key : set.keys) {
      if (key.isRevoked() && set.signsTheSet(key) && standsFor(anchor, withoutRevoke(key))) {
        change(anchor, KeyState::kRevoked, Event::kRevBit,
               "published with the REVOKE bit and signing the DNSKEY set itself");
        anchor.hold_down_until = clock_ + timers_.remove_hold_down;
        break;
      }
    }
  }
}

// The earliest expiration among the valid signatures that a trusted key (Valid or Missing, not
// revoked) made over the set; nullopt when there is none, i.e. the set is not validated.
std::optional<model::Time> Step::trustedSignatureExpiry(const dns::DnskeySet& set) const {
  std::optional<model::Time> earliest;
  for (const auto& sig : set.signatures) {
    if (!sig.valid || sig.signer < 0 || static_cast<size_t>(sig.signer) >= set.keys.size()) {
      continue;
    }
    const auto& key = set.keys[static_cast<size_t>(sig.signer)];
    const bool trusted =
        !key.isRevoked() && std::any_of(out_.anchors.begin(), out_.anchors.end(), [&](auto& a) {
          return belongs(a) && model::isTrusted(a.state) && standsFor(a, key);
        });
    if (trusted) {
      earliest = earliest ? std::min(*earliest, sig.expiration) : sig.expiration;
    }
  }
  return earliest;
}

// A Start entry handed in is a key not yet tracked: NewKey when the set holds it unrevoked with
// the SEP flag; false (drop it) otherwise.
bool Step::admitStartEntry(TrustAnchor& anchor, const dns::DnskeySet& set) {
  const bool published = std::any_of(set.keys.begin(), set.keys.end(), [&](auto& k) {
    return !k.isRevoked() && k.isSep() && standsFor(anchor, k);
  });
  if (!published) {
    return false;
  }
  change(anchor, KeyState::kAddPend, Event::kNewKey, "new SEP key in a validated DNSKEY set");
  anchor.hold_down_until = clock_ + addHoldDown(timers_, originalTtl());
  return true;
}

// AddPend: KeyRem back to Start (false: drop it), or AddTime once the hold-down has passed.
bool Step::applyAddPend(TrustAnchor& anchor, bool present) {
  if (!present) {
    change(anchor, KeyState::kStart, Event::kKeyRem,
           "absent from a validated DNSKEY set during the add hold-down");
    return false;
  }
  const auto deadline =
      holdDownDeadline(anchor, timers_.add_hold_down, clock_ + addHoldDown(timers_, originalTtl()));
  anchor.hold_down_until = deadline;
  if (in_.now >= deadline) {
    change(anchor, KeyState::kValid, Event::kAddTime,
           "in every validated DNSKEY set for the add hold-down");
  }
  return true;
}

// Revoked: RemTime once the remove hold-down has passed.
void Step::applyRevoked(TrustAnchor& anchor) {
  const auto deadline =
      holdDownDeadline(anchor, timers_.remove_hold_down, clock_ + timers_.remove_hold_down);
  anchor.hold_down_until = deadline;
  if (in_.now >= deadline) {
    change(anchor, KeyState::kRemoved, Event::kRemTime, "the remove hold-down has passed");
  }
}

// Applies the §4.1 event that the accepted set means for `anchor`; false when the anchor leaves
// the list (an AddPend key that vanished, a Start entry not in the set).
bool Step::applyEvent(TrustAnchor& anchor, const dns::DnskeySet& set) {
  const bool present = isPresent(anchor, set);
  switch (anchor.state) {
    case KeyState::kStart:
      return admitStartEntry(anchor, set);
    case KeyState::kAddPend:
      return applyAddPend(anchor, present);
    case KeyState::kValid:
      if (!present) {
        change(anchor, KeyState::kMissing, Event::kKeyRem, "absent from a validated DNSKEY set");
      }
      return true;
    case KeyState::kMissing:
      if (present) {
        change(anchor, KeyState::kValid, Event::kKeyPres, "back in a validated DNSKEY set");
      }
      return true;
    case KeyState::kRevoked:
      applyRevoked(anchor);
      return true;
    case KeyState::kRemoved:
      return true;
  }
  return true;
}

void Step::applyEvents(const dns::DnskeySet& set) {
  std::vector<TrustAnchor> kept;
  kept.reserve(out_.anchors.size());
  for (auto& anchor : out_.anchors) {
    if (!belongs(anchor) || applyEvent(anchor, set)) {
      kept.push_back(std::move(anchor));
    }
  }
  out_.anchors = std::move(kept);
}

// True when an anchor of the trust point, in any state, stands for `key`.
bool Step::isKnown(const model::DnskeyRdata& key) const {
  return std::any_of(out_.anchors.begin(), out_.anchors.end(),
                     [&](const TrustAnchor& a) { return belongs(a) && standsFor(a, key); });
}

// RFC 5011 §2.2 and §4.1 NewKey: a zone key with the SEP flag and without the REVOKE bit that no
// anchor stands for. It need not sign the set yet (a stand-by key does not).
void Step::addNewKeys(const dns::DnskeySet& set) {
  for (const auto& key : set.keys) {
    if (!key.isZoneKey() || !key.isSep() || key.isRevoked() || isKnown(key)) {
      continue;
    }
    TrustAnchor anchor;
    anchor.record = {in_.trust_point, in_.original_ttl != 0 ? in_.original_ttl : set.ttl, key};
    if (!model::isUsable(model::validate(anchor.record))) {
      continue;  // A key no resolver could use (unknown algorithm, bad protocol) is not tracked.
    }
    anchor.state = KeyState::kStart;
    anchor.origin = model::Origin::kRfc5011;
    change(anchor, KeyState::kAddPend, Event::kNewKey, "new SEP key in a validated DNSKEY set");
    anchor.hold_down_until = clock_ + addHoldDown(timers_, originalTtl());
    out_.anchors.push_back(std::move(anchor));
  }
}

RefreshResult Step::run() {
  if (const auto* failure = std::get_if<ProbeFailure>(&in_.probe)) {
    return retry(Outcome::kProbeFailed, "probe failed: " + failure->reason);
  }
  const auto& set = std::get<dns::DnskeySet>(in_.probe);
  if (!(set.zone == in_.trust_point)) {
    return retry(Outcome::kProbeFailed, "probe failed: the DNSKEY set is of another zone");
  }

  applyRevocations(set);
  const auto expiry = trustedSignatureExpiry(set);
  if (!expiry) {
    return retry(Outcome::kNotValidated, "no trusted key signs the DNSKEY set");
  }

  applyEvents(set);
  addNewKeys(set);
  out_.outcome = Outcome::kOk;
  out_.result = "ok";
  const seconds expiration_interval = std::max(seconds(0), *expiry - in_.now);
  out_.next_refresh = in_.now + activeRefreshInterval(timers_, originalTtl(), expiration_interval);
  return std::move(out_);
}

}  // namespace

Result<void> checkTimers(const Timers& timers) {
  const auto bad = [](std::string field) {
    return fail(ErrorCode::kConfig, "RFC 5011 timer is out of range", {{"field", field}});
  };
  if (timers.add_hold_down < seconds(0)) {
    return bad("add_hold_down");
  }
  if (timers.remove_hold_down < seconds(0)) {
    return bad("remove_hold_down");
  }
  if (timers.refresh_min <= seconds(0) || timers.refresh_max < timers.refresh_min) {
    return bad(timers.refresh_min <= seconds(0) ? "refresh_min" : "refresh_max");
  }
  if (timers.retry_min <= seconds(0) || timers.retry_max < timers.retry_min) {
    return bad(timers.retry_min <= seconds(0) ? "retry_min" : "retry_max");
  }
  if (timers.refresh_percent < 1 || timers.refresh_percent > 100) {
    return bad("refresh_percent");
  }
  if (timers.retry_percent < 1 || timers.retry_percent > 100) {
    return bad("retry_percent");
  }
  return ok();
}

seconds activeRefreshInterval(const Timers& timers, seconds original_ttl,
                              std::optional<seconds> expiration_interval) {
  return boundedInterval(timers.refresh_min, timers.refresh_max, timers.refresh_percent,
                         original_ttl, expiration_interval);
}

seconds retryInterval(const Timers& timers, seconds original_ttl,
                      std::optional<seconds> expiration_interval) {
  return boundedInterval(timers.retry_min, timers.retry_max, timers.retry_percent, original_ttl,
                         expiration_interval);
}

seconds addHoldDown(const Timers& timers, seconds original_ttl) {
  return std::max(timers.add_hold_down, original_ttl);
}

std::string_view eventName(Event event) {
  switch (event) {
    case Event::kNewKey:
      return "NewKey";
    case Event::kAddTime:
      return "AddTime";
    case Event::kKeyRem:
      return "KeyRem";
    case Event::kKeyPres:
      return "KeyPres";
    case Event::kRevBit:
      return "RevBit";
    case Event::kRemTime:
      return "RemTime";
  }
  return "NewKey";
}

std::string_view outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kProbeFailed:
      return "probe_failed";
    case Outcome::kNotValidated:
      return "not_validated";
  }
  return "ok";
}

RefreshResult Tracker::refresh(const RefreshInput& input) const {
  return Step(input, timers_).run();
}

}  // namespace anchorage::rfc5011
