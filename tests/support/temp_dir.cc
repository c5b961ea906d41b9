// SPDX-License-Identifier: Apache-2.0
//
// Temporary directories for tests.

#include "support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace anchorage::testsupport {
namespace {

std::string tempRoot() {
  const char* env = std::getenv("TMPDIR");
  if (env != nullptr && env[0] == '/') {
    return env;
  }
  return "/tmp";
}

bool keepRequested() {
  const char* env = std::getenv("ANCHORAGE_KEEP_TEST_DIRS");
  return env != nullptr && env[0] != '\0' && std::string_view(env) != "0";
}

}  // namespace

Result<TempDir> TempDir::create(std::string_view prefix) {
  // mkdtemp() replaces the six trailing X.
  std::string pattern = tempRoot() + "/" + std::string(prefix) + "-" + std::string(6, 'X');
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIo, "Temporary directory cannot be created",
                {{"path", pattern}, {"reason", std::strerror(errno)}});
  }
  return TempDir(std::move(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    removeNow();
    path_ = std::move(other.path_);
    keep_ = other.keep_;
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  removeNow();
}

void TempDir::removeNow() noexcept {
  if (path_.empty() || keep_ || keepRequested()) {
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

std::string TempDir::file(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

Result<std::string> TempDir::makeSubdir(std::string_view name) const {
  const std::string sub = file(name);
  std::error_code error;
  std::filesystem::create_directories(sub, error);
  if (error) {
    return fail(ErrorCode::kIo, "Directory cannot be created",
                {{"path", sub}, {"reason", error.message()}});
  }
  return sub;
}

}  // namespace anchorage::testsupport
