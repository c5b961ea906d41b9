// SPDX-License-Identifier: Apache-2.0
//
// The offline anchorctl commands, which work on files only: verify, convert and ds.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"

namespace anchorage::cli {

/// Options of `anchorctl verify`.
struct VerifyOptions {
  std::optional<std::string> format;  ///< Format name; detected per file when unset.
  std::vector<std::string> files;     ///< "-" reads standard input.
};

/// Parses and validates each file; prints every anchor and warning, and `FILE:LINE: reason` for
/// each problem. Returns 0 when every file is clean, 65 when any has a problem, 66 for a missing
/// file.
int runVerify(const Context& ctx, const VerifyOptions& options);

/// Options of `anchorctl convert`.
struct ConvertOptions {
  std::string to;                   ///< Target format name.
  std::optional<std::string> from;  ///< Input format; detected when unset.
  std::string output_file;          ///< Empty or "-" for standard output.
  uint8_t digest_type = 2;          ///< For DS derived from DNSKEYs.
  std::vector<std::string> files;
};

/// Reads every file, refuses to write anything if any has a problem, and renders the union of
/// their anchors in the target format (atomically when writing a file).
int runConvert(const Context& ctx, const ConvertOptions& options);

/// Options of `anchorctl ds`.
struct DsOptions {
  std::string digest = "sha256";  ///< sha1, sha256 or sha384.
  std::optional<uint32_t> ttl;    ///< Printed when set, as dnssec-dsfromkey -T does.
  std::optional<std::string> format;
  std::vector<std::string> files;  ///< "-" reads standard input.
};

/// Prints the DS of every DNSKEY in the inputs, one `owner [TTL] IN DS rdata` line each; DS
/// records in the input are skipped. Exit codes as for runVerify().
int runDs(const Context& ctx, const DsOptions& options);

}  // namespace anchorage::cli
