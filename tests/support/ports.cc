// SPDX-License-Identifier: Apache-2.0
//
// Free-port finder with cross-process reservations.

#include "support/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace anchorage::testsupport {
namespace {

constexpr const char* kLockDir = "/tmp/anchorage-test-ports";

bool canBind(const in_addr& addr, uint16_t port, int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr = addr;
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return bound;
}

/// Takes the lock file of `address`:`port`; returns its descriptor, or -1 when another process
/// holds it (or the lock directory is unusable).
int lockPort(const std::string& address, uint16_t port) {
  if (::mkdir(kLockDir, 01777) == 0) {
    ::chmod(kLockDir, 01777);  // Past the umask: every user's tests share the locks.
  }
  const std::string path = std::string(kLockDir) + "/" + address + "_" + std::to_string(port);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

PortReservation::PortReservation(PortReservation&& other) noexcept
    : address_(std::move(other.address_)), port_(other.port_), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) {
      ::close(lock_fd_);
    }
    address_ = std::move(other.address_);
    port_ = other.port_;
    lock_fd_ = other.lock_fd_;
    other.lock_fd_ = -1;
  }
  return *this;
}

PortReservation::~PortReservation() {
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
  }
}

bool isPortFree(const std::string& address, uint16_t port) {
  in_addr addr{};
  if (::inet_pton(AF_INET, address.c_str(), &addr) != 1) {
    return false;
  }
  return canBind(addr, port, SOCK_DGRAM) && canBind(addr, port, SOCK_STREAM);
}

Result<PortReservation> reserveFreePort(const std::string& address, uint16_t first, uint16_t last) {
  in_addr addr{};
  if (::inet_pton(AF_INET, address.c_str(), &addr) != 1) {
    return fail(ErrorCode::kUsage, "Address is not an IPv4 literal", {{"address", address}});
  }
  if (first == 0 || first > last) {
    return fail(ErrorCode::kUsage, "Port range is empty",
                {{"first", std::to_string(first)}, {"last", std::to_string(last)}});
  }
  const uint32_t span = static_cast<uint32_t>(last - first) + 1;
  std::random_device seed;
  const uint32_t start = std::uniform_int_distribution<uint32_t>(0, span - 1)(seed);
  for (uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<uint16_t>(first + (start + i) % span);
    const int lock = lockPort(address, port);
    if (lock < 0) {
      continue;
    }
    if (canBind(addr, port, SOCK_DGRAM) && canBind(addr, port, SOCK_STREAM)) {
      return PortReservation(address, port, lock);
    }
    ::close(lock);
  }
  return fail(
      ErrorCode::kUnavailable, "No free port in range",
      {{"address", address}, {"first", std::to_string(first)}, {"last", std::to_string(last)}});
}

}  // namespace anchorage::testsupport
