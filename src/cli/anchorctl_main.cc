// SPDX-License-Identifier: Apache-2.0
//
// anchorctl entry point: hands the command line to the front end in src/cli.

#include "cli/anchorctl.h"

int main(int argc, char** argv) {
  return anchorage::cli::runAnchorctl(argc, argv);
}
