// SPDX-License-Identifier: Apache-2.0
//
// The `resolvers` section of the configuration: one entry per local resolver the agent feeds,
// with the per-type defaults of config.h's resolverDefaults(). Internal to the config module.

#pragma once

#include <vector>

#include "config/config.h"
#include "config/value_reader.h"
#include "util/result.h"

namespace anchorage::config {

/// Reads the `resolvers` list into `out`: each entry validated, defaults of its type filled in,
/// names and anchor files unique. A null value reads as no resolvers.
Result<void> readResolvers(const Value& value, std::vector<ResolverConfig>& out);

}  // namespace anchorage::config
