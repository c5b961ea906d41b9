// SPDX-License-Identifier: Apache-2.0
//
// The configuration's YAML reader: a text pre-check, then yaml-cpp's event parser feeding a tree
// builder that enforces the limits yaml-cpp does not (see yaml_tree.h). Design note: the builder
// never recurses and never copies an aliased subtree, so neither deep nesting nor alias bombs
// can exhaust the stack or memory. At the first problem it records an error and stops yaml-cpp
// by throwing a private exception through it (yaml-cpp unwinds cleanly, as its own exceptions
// do), caught right around the parser call, so hostile text costs no more work than it takes to
// reach the problem. Nothing else throws across this file's boundary.

#include "config/yaml_tree.h"

#include <cstdint>
#include <map>
#include <new>
#include <optional>
#include <sstream>
#include <unordered_set>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace anchorage::config {
namespace {

constexpr size_t kMaxKeyShown = 60;

bool isControl(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x85) {
    return false;
  }
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// Decodes one UTF-8 sequence at `text[i]`; returns its length, or 0 when it is not valid UTF-8
// (bad lead byte, truncated, overlong, a surrogate, or above U+10FFFF).
size_t decodeUtf8(std::string_view text, size_t i, uint32_t& cp) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t len = 0;
  uint32_t min = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto cont = static_cast<unsigned char>(text[i + k]);
    if ((cont & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (cont & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

// Checks the raw text before yaml-cpp sees it: yaml-cpp passes invalid UTF-8 through and reports
// a tab in indentation as an unrelated error at a different place.
Result<void> checkText(std::string_view text, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(configError({}, "", "Configuration is larger than the limit")
                    .with("limit_bytes", std::to_string(limits.max_bytes)));
  }
  TextMark mark;
  bool in_indent = true;
  std::optional<TextMark> tab;
  size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const size_t len = decodeUtf8(text, i, cp);
    if (len == 0) {
      return fail(configError(mark, "", "Configuration is not valid UTF-8"));
    }
    if (isControl(cp)) {
      return fail(configError(mark, "", "Control characters are not allowed"));
    }
    i += len;
    const bool crlf = cp == '\r' && i < text.size() && text[i] == '\n';
    if (cp == '\n' || (cp == '\r' && !crlf)) {
      mark.line++;
      mark.column = 1;
      in_indent = true;
      tab.reset();
      continue;
    }
    if (in_indent && cp == '\t' && !tab) {
      tab = mark;
    } else if (in_indent && cp != ' ' && cp != '\t' && cp != '\r') {
      in_indent = false;
      if (tab && cp != '#') {
        return fail(
            configError(*tab, "", "Tabs are not allowed in indentation; indent with spaces"));
      }
    }
    mark.column++;
  }
  return ok();
}

// Where flow collections ("[" and "{", outside quotes and comments) first nest deeper than
// `limit`, or nullopt. yaml-cpp scans a whole run of nested flow collections before it reports
// the first one (each may start a key), so 100,000 "[" would cost it a long scan and a deep
// recursion; the reader hands it only the text up to this point. Quotes are recognised where a
// scalar can start; a plain scalar containing brackets can only make the count too high, and
// then merely shortens what yaml-cpp is given.
std::optional<size_t> findDeepFlow(std::string_view text, size_t limit) {
  size_t depth = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char before = i == 0 ? '\n' : text[i - 1];
    if (c == '\n' || comment) {
      comment = comment && c != '\n';
    } else if (quote == '"' && c == '\\') {
      ++i;
    } else if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '#' && (before == ' ' || before == '\t' || before == '\n')) {
      comment = true;
    } else if ((c == '"' || c == '\'') &&
               std::string_view(" \t\n[{,:-").find(before) != std::string_view::npos) {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return i;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

TextMark markAt(std::string_view text, size_t offset) {
  TextMark mark;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      mark.line++;
      mark.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      mark.column++;
    }
  }
  return mark;
}

TextMark toMark(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) {
    return {};
  }
  return {mark.line + 1, mark.column + 1};
}

// Builds the tree from parser events; see the design note at the top of the file.
class TreeBuilder : public YAML::EventHandler {
 public:
  /// Thrown by the builder to stop yaml-cpp once an error is recorded; never leaves this file.
  struct Stop {};

  TreeBuilder(std::string_view text, const YamlLimits& limits) : text_(text), limits_(limits) {}

  const std::optional<Error>& error() const { return error_; }
  YamlNodePtr root() const { return root_; }

  // The dotted path of the value being read now, for errors.
  std::string currentPath() const {
    std::string path;
    for (const auto& frame : stack_) {
      if (frame.node->kind == YamlNode::Kind::kSequence) {
        path = itemPath(path, frame.node->items.size());
      } else if (!frame.expecting_key) {
        path = childPath(path, frame.key);
      }
    }
    return path;
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 1) {
      return;
    }
    // yaml-cpp also starts a new, empty document at a token it cannot place (junk such as a
    // stray "]" or ","), so only a line starting with a document marker is a second document.
    const TextMark at = toMark(mark);
    if (at.column == 1 && startsDocument(at.line)) {
      setError(configError(at, "", "Only one YAML document is allowed"));
    }
    setError(configError(at, "", "YAML syntax error").with("detail", "unexpected character"));
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto node = std::make_shared<YamlNode>();
    node->mark = toMark(mark);
    finish(std::move(node), anchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto node = std::make_shared<YamlNode>();
    node->kind = YamlNode::Kind::kScalar;
    node->mark = toMark(mark);
    node->scalar = value;
    node->plain = tag == "?";
    finish(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (error_) {
      return;
    }
    const auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      setError(configError(toMark(mark), currentPath(),
                           "Alias refers to an anchor that is not complete"));
      return;
    }
    attach(found->second, toMark(mark));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    begin(YamlNode::Kind::kSequence, toMark(mark), anchor);
  }
  void OnSequenceEnd() override { end(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    begin(YamlNode::Kind::kMap, toMark(mark), anchor);
  }
  void OnMapEnd() override { end(); }

 private:
  struct Frame {
    std::shared_ptr<YamlNode> node;
    YAML::anchor_t anchor = 0;
    bool expecting_key = true;
    std::string key;
    TextMark key_mark;
    std::unordered_set<std::string> keys;
  };

  // Records the first error and stops the parser: the rest of the text could only cost time.
  [[noreturn]] void setError(Error error) {
    if (!error_) {
      error_ = std::move(error);
    }
    throw Stop{};
  }

  // True when line `line` (1-based) starts with "---", "..." or a "%" directive.
  bool startsDocument(int line) const {
    size_t start = 0;
    for (int i = 1; i < line && start != std::string_view::npos; ++i) {
      start = text_.find('\n', start);
      start = start == std::string_view::npos ? start : start + 1;
    }
    if (start == std::string_view::npos) {
      return false;
    }
    const std::string_view rest = text_.substr(start);
    return rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%');
  }

  void begin(YamlNode::Kind kind, const TextMark& mark, YAML::anchor_t anchor) {
    if (error_) {
      return;
    }
    // A collection used as a map key is refused when it is attached (addKey), not here: broken
    // flow text makes yaml-cpp open speculative keys, and the nesting limit should win then.
    if (stack_.size() >= limits_.max_depth) {
      setError(configError(mark, currentPath(), "Collections are nested deeper than the limit")
                   .with("limit", std::to_string(limits_.max_depth)));
      return;
    }
    Frame frame;
    frame.node = std::make_shared<YamlNode>();
    frame.node->kind = kind;
    frame.node->mark = mark;
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
  }

  void end() {
    if (error_ || stack_.empty()) {
      return;
    }
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    const TextMark mark = frame.node->mark;
    finish(std::move(frame.node), frame.anchor, mark);
  }

  void finish(std::shared_ptr<YamlNode> node, YAML::anchor_t anchor) {
    const TextMark mark = node->mark;
    finish(std::move(node), anchor, mark);
  }

  // Registers a finished node under its anchor (only now, so that an alias inside the anchored
  // node itself cannot form a cycle) and attaches it to its parent.
  void finish(std::shared_ptr<YamlNode> node, YAML::anchor_t anchor, const TextMark& mark) {
    if (error_) {
      return;
    }
    if (anchor != 0) {
      anchors_[anchor] = node;
    }
    attach(std::move(node), mark);
  }

  void attach(YamlNodePtr node, const TextMark& mark) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node->kind == YamlNode::Kind::kMap && parent.expecting_key) {
      addKey(parent, *node, mark);
      return;
    }
    if (parent.node->weight + node->weight > limits_.max_weight) {
      setError(
          configError(mark, currentPath(), "Document has too many nodes once aliases are expanded")
              .with("limit", std::to_string(limits_.max_weight)));
      return;
    }
    parent.node->weight += node->weight;
    if (parent.node->kind == YamlNode::Kind::kSequence) {
      parent.node->items.push_back(std::move(node));
    } else {
      parent.node->entries.push_back({std::move(parent.key), parent.key_mark, std::move(node)});
      parent.key.clear();
      parent.expecting_key = true;
    }
  }

  void addKey(Frame& parent, const YamlNode& key, const TextMark& mark) {
    if (key.kind != YamlNode::Kind::kScalar) {
      setError(configError(mark, currentPath(), "Map keys must be strings"));
      return;
    }
    if (!parent.keys.insert(key.scalar).second) {
      setError(configError(mark, childPath(currentPath(), key.scalar), "Duplicate key"));
      return;
    }
    parent.key = key.scalar;
    parent.key_mark = mark;
    parent.expecting_key = false;
  }

  std::string_view text_;
  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, YamlNodePtr> anchors_;
  YamlNodePtr root_;
  std::optional<Error> error_;
  int documents_ = 0;
};

}  // namespace

std::string childPath(const std::string& path, std::string_view key) {
  bool identifier = !key.empty();
  for (const char c : key) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    identifier = identifier && word;
  }
  if (identifier) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  std::string out = path + "[\"";
  const std::string_view shown = key.substr(0, kMaxKeyShown);
  for (const char c : shown) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + (key.size() > kMaxKeyShown ? "...\"]" : "\"]");
}

std::string itemPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

Error configError(const TextMark& mark, const std::string& key, std::string message) {
  Error error(ErrorCode::kConfig, std::move(message),
              {{"line", std::to_string(mark.line)}, {"column", std::to_string(mark.column)}});
  if (!key.empty()) {
    error.with("key", key);
  }
  return error;
}

Result<YamlNodePtr> readYamlDocument(std::string_view text, const YamlLimits& limits) {
  if (auto checked = checkText(text, limits); !checked) {
    return fail(std::move(checked.error()));
  }
  const auto deep = findDeepFlow(text, 2 * limits.max_depth);
  const std::string_view parsed = deep ? text.substr(0, *deep + 1) : text;
  TreeBuilder builder(parsed, limits);
  try {
    std::istringstream in{std::string(parsed)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const TreeBuilder::Stop&) {
    // The builder recorded its error; handled below.
  } catch (const YAML::Exception& e) {
    // An error the builder found earlier in the text wins over the parser's later complaint.
    if (!builder.error()) {
      return fail(configError(toMark(e.mark), builder.currentPath(), "YAML syntax error")
                      .with("detail", e.msg));
    }
  } catch (const std::exception& e) {
    if (!builder.error()) {
      return fail(configError({}, "", "YAML could not be read").with("detail", e.what()));
    }
  }
  if (builder.error()) {
    return fail(*builder.error());
  }
  if (deep) {
    // The shortened text parsed without reaching the builder's limit: report the pre-scan's.
    return fail(configError(markAt(text, *deep), "", "Collections are nested deeper than the limit")
                    .with("limit", std::to_string(limits.max_depth)));
  }
  if (!builder.root()) {
    return YamlNodePtr(std::make_shared<YamlNode>());
  }
  return builder.root();
}

}  // namespace anchorage::config
