// SPDX-License-Identifier: Apache-2.0
//
// The anchorctl command-line front end (DESIGN §5).

#pragma once

namespace anchorage::cli {

/// Parses the command line, runs the command and returns the process exit code (sysexits).
int runAnchorctl(int argc, char** argv);

}  // namespace anchorage::cli
