// SPDX-License-Identifier: Apache-2.0
//
// anchorctl: command definitions and dispatch.

#include "cli/anchorctl.h"

#include <iostream>

namespace anchorage::cli {

int runAnchorctl(int, char**) {
  std::cout << "anchorctl " << ANCHORAGE_VERSION << "\n";
  return 0;
}

}  // namespace anchorage::cli
