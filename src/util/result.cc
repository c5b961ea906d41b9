// SPDX-License-Identifier: Apache-2.0
//
// Error formatting, error-code names and their sysexits mapping (DESIGN §5).

#include "util/result.h"

#include <sysexits.h>

#include <cstdio>

namespace anchorage {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid_input";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kPermission:
      return "permission";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

int exitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return EX_DATAERR;
    case ErrorCode::kUnsupported:
      return EX_DATAERR;
    case ErrorCode::kUsage:
      return EX_USAGE;
    case ErrorCode::kConfig:
      return EX_CONFIG;
    case ErrorCode::kNotFound:
      return EX_NOINPUT;
    case ErrorCode::kIo:
      return EX_IOERR;
    case ErrorCode::kUnavailable:
      return EX_UNAVAILABLE;
    case ErrorCode::kPermission:
      return EX_NOPERM;
    case ErrorCode::kConflict:
      return EX_TEMPFAIL;
    case ErrorCode::kTimeout:
      return EX_TEMPFAIL;
    case ErrorCode::kInternal:
      return EX_SOFTWARE;
  }
  return EX_SOFTWARE;
}

std::string Error::field(const std::string& key) const {
  for (const auto& f : fields) {
    if (f.key == key) {
      return f.value;
    }
  }
  return {};
}

std::string Error::toString() const {
  std::string out = message;
  if (!fields.empty()) {
    out += " (";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) {
        out += ", ";
      }
      out += fields[i].key + "=" + fields[i].value;
    }
    out += ")";
  }
  return out;
}

void checkFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "anchorage: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace anchorage
