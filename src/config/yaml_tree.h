// SPDX-License-Identifier: Apache-2.0
//
// A small, hostile-input-safe YAML reader for the configuration: it checks the raw text (UTF-8,
// control characters, tabs in indentation), runs yaml-cpp's event parser, and builds a plain tree
// of nulls, scalars, sequences and maps that keeps the line and column of every node. It enforces
// what yaml-cpp leaves to the caller: one document only, no duplicate map keys, string keys only,
// bounded nesting, and a bound on how many nodes aliases may expand to ("billion laughs"). Aliases
// share the anchored subtree instead of copying it. No yaml-cpp type appears here; yaml-cpp's
// exceptions are caught inside yaml_tree.cc and turned into Errors.

#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace anchorage::config {

/// A position in the configuration text, both 1-based; column counts characters, not bytes.
struct TextMark {
  int line = 1;
  int column = 1;
};

struct YamlNode;

/// Nodes are shared: an alias points at the same node as its anchor.
using YamlNodePtr = std::shared_ptr<const YamlNode>;

/// One key/value pair of a map, in file order.
struct YamlEntry {
  std::string key;
  TextMark key_mark;
  YamlNodePtr value;
};

/// One node of a parsed document.
struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind = Kind::kNull;
  TextMark mark;
  std::string scalar;              ///< kScalar: the text, after YAML unquoting and folding.
  bool plain = true;               ///< kScalar: written without quotes or an explicit tag.
  std::vector<YamlNodePtr> items;  ///< kSequence: the items.
  std::vector<YamlEntry> entries;  ///< kMap: the pairs, keys unique.
  size_t weight = 1;               ///< This node plus its descendants, aliases counted expanded.
};

/// Bounds applied while reading.
struct YamlLimits {
  size_t max_bytes = size_t{1} << 20;  ///< Text longer than this is refused before parsing.
  size_t max_depth = 32;               ///< Collections nested deeper than this are refused.
  size_t max_weight = 100000;          ///< Nodes the document may stand for, aliases expanded.
};

/// Reads one YAML document. Returns a null node for a stream without content (empty, or only
/// comments). Errors have code kConfig and fields `line`, `column` and, where the position in
/// the tree is known, `key` (a dotted path like `resolvers[1].name`); a syntax error reported by
/// yaml-cpp carries its text in `detail`. Refused: text that is too long, not UTF-8, control
/// characters, tabs in indentation, more than one document, duplicate or non-string keys,
/// nesting deeper than `limits.max_depth`, aliases to an unfinished anchor, and documents that
/// expand to more than `limits.max_weight` nodes.
Result<YamlNodePtr> readYamlDocument(std::string_view text, const YamlLimits& limits = {});

/// Returns `path` extended by a map key: `a.b`, or `a["corp.example."]` when the key is not a
/// plain identifier (letters, digits, `_` and `-`).
std::string childPath(const std::string& path, std::string_view key);

/// Returns `path` extended by a sequence index: `a[3]`.
std::string itemPath(const std::string& path, size_t index);

/// Builds a configuration Error at `mark`: code kConfig, fields line, column and (when not
/// empty) key.
Error configError(const TextMark& mark, const std::string& key, std::string message);

}  // namespace anchorage::config
