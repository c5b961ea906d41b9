// SPDX-License-Identifier: Apache-2.0
//
// The `directory` section of the configuration (see directory_config.cc). Internal to the config
// module.

#pragma once

#include "config/config.h"
#include "config/value_reader.h"
#include "util/result.h"

namespace anchorage::config {

/// Reads the `directory` section into `out`: `read` required, `write` defaulting to it, bind,
/// TLS, timeouts and reconnect checked, and every URI checked against the transport rule.
Result<void> readDirectory(const Value& value, DirectoryConfig& out);

}  // namespace anchorage::config
