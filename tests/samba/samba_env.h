// SPDX-License-Identifier: Apache-2.0
//
// Two Samba AD domain controllers (tests/samba/samba-dc.sh: DC1 on 127.0.0.50, DC2 on 127.0.0.51,
// realm CORP.EXAMPLE.TEST) provisioned and started once per test binary as a GoogleTest
// environment, and stopped by PID when the binary ends: in TearDown, and otherwise by a guard
// process that outlives the binary and stops the DCs when it dies (a crash, a kill, a timeout).
// Without root or without the Samba packages every test is skipped, naming what is missing.

#pragma once

#include <chrono>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "directory/session.h"

namespace anchorage::testing {

/// The domain and the variables of its samba.env.
class SambaEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  /// The running instance, set while the environment is up.
  static SambaEnvironment* instance() { return instance_; }

  /// A samba.env variable without its SAMBA_ prefix, e.g. "DC1_LDAPS_URI" or "FOREST_DNS_ZONES_DN";
  /// empty when unknown.
  std::string var(const std::string& name) const;

  /// Session settings for the domain's Administrator on `uri`: simple bind over ldaps://, or
  /// over ldap:// with StartTLS, verifying the DCs' certificates against the harness CA.
  directory::SessionSettings admin(const std::string& uri) const;
  /// The same for the plain domain user (a member of Domain Users only).
  directory::SessionSettings user(const std::string& uri) const;

  /// The temporary directory holding the domain (STATE_DIR is its "samba" subdirectory) and the
  /// start, stop and guard logs. Kept after a failed run.
  const std::string& dir() const { return dir_; }

  /// How long provisioning and starting both DCs took.
  std::chrono::milliseconds startDuration() const { return start_duration_; }

 private:
  std::string stateDir() const { return dir_ + "/samba"; }
  bool startGuard();
  void releaseGuard();

  std::string dir_;
  std::map<std::string, std::string> vars_;
  std::chrono::milliseconds start_duration_{0};
  int guard_fd_ = -1;
  static SambaEnvironment* instance_;
};

}  // namespace anchorage::testing
