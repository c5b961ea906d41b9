// SPDX-License-Identifier: Apache-2.0
//
// Bounded reads and atomic replacement of files.

#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

namespace anchorage::util {
namespace {

Error ioError(std::string message, const std::string& path) {
  return Error(ErrorCode::kIo, std::move(message),
               {{"path", path}, {"reason", std::strerror(errno)}});
}

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<std::string> readFile(const std::string& path, size_t max_bytes) {
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return fail(code, errno == ENOENT ? "File does not exist" : "File cannot be opened",
                {{"path", path}, {"reason", std::strerror(errno)}});
  }
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      Error e = ioError("File cannot be read", path);
      if (!is_stdin) {
        ::close(fd);
      }
      return fail(std::move(e));
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      if (!is_stdin) {
        ::close(fd);
      }
      return fail(ErrorCode::kInvalidInput, "File is larger than the limit",
                  {{"path", path}, {"limit_bytes", std::to_string(max_bytes)}});
    }
    out.append(buf, static_cast<size_t>(n));
  }
  if (!is_stdin) {
    ::close(fd);
  }
  return out;
}

Result<void> writeFileAtomic(const std::string& path, std::string_view content,
                             const FileAttributes& attributes) {
  FileAttributes effective = attributes;
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    effective.mode = effective.mode.value_or(existing.st_mode & 07777);
    effective.owner = effective.owner.value_or(existing.st_uid);
    effective.group = effective.group.value_or(existing.st_gid);
  }
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return fail(ioError("Temporary file cannot be created", path));
  }
  auto abandon = [&](Error e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  };
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return abandon(ioError("File cannot be written", tmp));
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, effective.mode.value_or(0644)) != 0) {
    return abandon(ioError("File mode cannot be set", tmp));
  }
  if ((effective.owner || effective.group) &&
      ::fchown(fd, effective.owner.value_or(static_cast<uid_t>(-1)),
               effective.group.value_or(static_cast<gid_t>(-1))) != 0) {
    return abandon(ioError("File owner cannot be set", tmp));
  }
  if (::fsync(fd) != 0) {
    return abandon(ioError("File cannot be synced", tmp));
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(ioError("File cannot be closed", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = ioError("File cannot be renamed into place", path);
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  }
  const int dir = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return ok();
}

}  // namespace anchorage::util
