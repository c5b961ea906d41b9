// SPDX-License-Identifier: Apache-2.0
//
// What every anchorctl command receives: output streams, the output mode, and the reporting of
// errors as sysexits codes (DESIGN §5).

#pragma once

#include <iosfwd>
#include <string>

#include "util/result.h"

namespace anchorage::cli {

/// Human text or JSON for scripts.
enum class OutputMode { kText, kJson };

/// Streams and global options of one anchorctl run.
struct Context {
  std::ostream& out;
  std::ostream& err;
  OutputMode output = OutputMode::kText;
  std::string config_path;  ///< Empty when no -c was given.

  /// Prints `error` on err as "anchorctl: message (fields)" and returns its exit code.
  int report(const Error& error) const;
};

}  // namespace anchorage::cli
