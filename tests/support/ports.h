// SPDX-License-Identifier: Apache-2.0
//
// Free ports on loopback for test servers. A port is handed out only when both UDP and TCP can
// bind it on the given address, and it stays reserved (an flock on a file under
// /tmp/anchorage-test-ports) while the reservation object lives, so test processes running in
// parallel never pick the same port. Ranges let each test group keep to its own ports.

#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace anchorage::testsupport {

/// A port reserved for this process. Move-only; the reservation ends with the object (the server
/// that was given the port keeps its sockets, of course).
class PortReservation {
 public:
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  ~PortReservation();

  /// The reserved port number.
  uint16_t port() const { return port_; }

  /// The address the port was checked on.
  const std::string& address() const { return address_; }

 private:
  friend Result<PortReservation> reserveFreePort(const std::string&, uint16_t, uint16_t);
  PortReservation(std::string address, uint16_t port, int lock_fd)
      : address_(std::move(address)), port_(port), lock_fd_(lock_fd) {}

  std::string address_;
  uint16_t port_ = 0;
  int lock_fd_ = -1;
};

/// True when both a UDP and a TCP socket can bind `address`:`port` right now (IPv4 only).
/// False as well for an address that is not an IPv4 literal.
bool isPortFree(const std::string& address, uint16_t port);

/// Finds a port in [first, last] that is free for UDP and TCP on `address` and not reserved by
/// another test process, starting at a random point of the range. Errors: bad address or range
/// (kUsage), no port free (kUnavailable).
Result<PortReservation> reserveFreePort(const std::string& address, uint16_t first = 15300,
                                        uint16_t last = 15999);

}  // namespace anchorage::testsupport
