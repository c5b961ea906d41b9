// SPDX-License-Identifier: Apache-2.0
//
// Temporary directories for tests that run real servers: created fresh under $TMPDIR (or /tmp)
// and removed with everything in them when the owning object goes away, also when a test fails.
// Set ANCHORAGE_KEEP_TEST_DIRS=1 to keep them for a post-mortem.

#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace anchorage::testsupport {

/// A directory that exists for the lifetime of this object. Move-only.
class TempDir {
 public:
  /// Creates "<tmp>/<prefix>-<random>" with mode 0700. Errors: the directory cannot be created
  /// (kIo).
  static Result<TempDir> create(std::string_view prefix = "anchorage-test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Removes the directory tree unless keep() was called or ANCHORAGE_KEEP_TEST_DIRS is set.
  ~TempDir();

  /// Absolute path of the directory, without a trailing slash.
  const std::string& path() const { return path_; }

  /// Path of `name` inside the directory (nothing is created).
  std::string file(std::string_view name) const;

  /// Creates the subdirectory `name` (and its parents) and returns its path. Errors: kIo.
  Result<std::string> makeSubdir(std::string_view name) const;

  /// Leaves the directory in place when this object is destroyed.
  void keep() { keep_ = true; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void removeNow() noexcept;

  std::string path_;
  bool keep_ = false;
};

}  // namespace anchorage::testsupport
