// SPDX-License-Identifier: Apache-2.0
//
// File access with the failure posture the project needs: bounded reads, and writes that replace
// a file atomically (temp file in the same directory, fsync, rename, fsync the directory), so a
// crash leaves either the old or the new content, never a mix.

#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace anchorage::util {

/// Reads a whole file, or standard input for "-". Errors: missing (kNotFound), unreadable (kIo),
/// larger than `max_bytes` (kInvalidInput).
Result<std::string> readFile(const std::string& path, size_t max_bytes);

/// Ownership and mode to give a replaced file; unset fields keep those of the existing file, or the
/// defaults (mode 0644, the caller's owner) for a new one.
struct FileAttributes {
  std::optional<mode_t> mode;
  std::optional<uid_t> owner;
  std::optional<gid_t> group;
};

/// Atomically replaces `path` with `content` (or creates it).
Result<void> writeFileAtomic(const std::string& path, std::string_view content,
                             const FileAttributes& attributes = {});

}  // namespace anchorage::util
