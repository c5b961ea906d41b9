// SPDX-License-Identifier: Apache-2.0
//
// Reader for the trust anchor statements of BIND 9 configuration text: `trust-anchors` (static-key,
// initial-key, static-ds, initial-ds), `managed-keys` (initial-key, initial-ds) and the older
// `trusted-keys`, at top level or inside a `view`. Key data are DNSKEY fields (RFC 4034 §2.2),
// DS data DS fields (RFC 4034 §5.3). initial-* entries are RFC 5011 seeds; they are imported as
// Valid static anchors with a warning, since Anchorage itself runs the RFC 5011 state machine.
//
// Every other statement is skipped with its braces matched. The tokenizer knows BIND's three
// comment styles and quoted strings (which may span lines); it never recurses, brace nesting is
// bounded by kMaxBraceDepth, and an entry holds at most kMaxEntryTokens tokens. Inside this file
// an Error's message is the reason of a ParseProblem as people read it.

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "formats/detail.h"
#include "formats/reader_support.h"

namespace anchorage::formats::detail {
namespace {

using model::RecordType;

/// named.conf nests a few levels (view { zone { ... } }); deeper input is refused.
constexpr size_t kMaxBraceDepth = 64;

/// An anchor entry has a name, a type, three numbers and its data split over a few strings.
constexpr size_t kMaxEntryTokens = 4096;

enum class TokenKind { kWord, kString, kOpen, kClose, kSemicolon, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  ///< The word, or the string without its quotes.
  size_t line = 0;
  bool has_control = false;  ///< Holds a control character (reported by the lexer).
};

/// Splits named.conf text into words, strings, braces and semicolons, dropping `//`, `#` and
/// `/* */` comments. Lexical problems go to the collector; an unterminated comment or string
/// ends the input.
class BindLexer {
 public:
  BindLexer(std::string_view text, Collector& collector) : text_(text), collector_(collector) {}

  /// The next token; kEnd at the end of the input.
  Token next() {
    if (peeked_) {
      Token t = *peeked_;
      peeked_.reset();
      return t;
    }
    return read();
  }

  /// True when an unterminated comment or string ended the input early; the problem is
  /// recorded, and what it left unclosed is not reported again.
  bool cutShort() const { return cut_short_; }

  /// The next token, left in place.
  const Token& peek() {
    if (!peeked_) {
      peeked_ = read();
    }
    return *peeked_;
  }

 private:
  Token read();
  bool skipSpaceAndComments();
  bool checkBytes(size_t start, size_t end);

  std::string_view text_;
  Collector& collector_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t control_line_ = 0;  ///< Last line a control character was reported on.
  bool cut_short_ = false;
  std::optional<Token> peeked_;
};

// Returns false when an unterminated block comment ended the input.
bool BindLexer::skipSpaceAndComments() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\n') {
      ++line_;
      ++pos_;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '#' || text_.substr(pos_, 2) == "//") {
      const size_t nl = text_.find('\n', pos_);
      pos_ = nl == std::string_view::npos ? text_.size() : nl;
    } else if (text_.substr(pos_, 2) == "/*") {
      const size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        collector_.problem(
            line_, "comment opened with /* on line " + std::to_string(line_) + " is never closed");
        pos_ = text_.size();
        cut_short_ = true;
        return false;
      }
      for (size_t i = pos_; i < end; ++i) {
        line_ += text_[i] == '\n' ? 1 : 0;
      }
      pos_ = end + 2;
    } else {
      return true;
    }
  }
  return true;
}

// Reports control characters in [start, end), once per line; true when there was one.
bool BindLexer::checkBytes(size_t start, size_t end) {
  size_t line = line_;
  bool found = false;
  for (size_t i = start; i < end; ++i) {
    const auto b = static_cast<unsigned char>(text_[i]);
    if (b == '\n') {
      ++line;
    } else if (isControlByte(b)) {
      found = true;
      if (control_line_ == line) {
        continue;
      }
      control_line_ = line;
      collector_.problem(line,
                         "control character " + byteName(b) + " on line " + std::to_string(line));
    }
  }
  return found;
}

Token BindLexer::read() {
  if (!skipSpaceAndComments() || pos_ >= text_.size()) {
    return {TokenKind::kEnd, {}, line_};
  }
  const char c = text_[pos_];
  const size_t line = line_;
  if (c == '{' || c == '}' || c == ';') {
    ++pos_;
    const TokenKind kind = c == '{'   ? TokenKind::kOpen
                           : c == '}' ? TokenKind::kClose
                                      : TokenKind::kSemicolon;
    return {kind, text_.substr(pos_ - 1, 1), line};
  }
  if (c == '"') {
    size_t p = pos_ + 1;
    while (p < text_.size() && text_[p] != '"') {
      p += (text_[p] == '\\' && p + 1 < text_.size()) ? 2 : 1;
    }
    if (p >= text_.size()) {
      collector_.problem(
          line, "quoted string opened on line " + std::to_string(line) + " is never closed");
      pos_ = text_.size();
      cut_short_ = true;
      return {TokenKind::kEnd, {}, line};
    }
    const bool has_control = checkBytes(pos_ + 1, p);
    const std::string_view inner = text_.substr(pos_ + 1, p - pos_ - 1);
    for (const char ch : inner) {
      line_ += ch == '\n' ? 1 : 0;
    }
    pos_ = p + 1;
    return {TokenKind::kString, inner, line, has_control};
  }
  size_t p = pos_;
  while (p < text_.size()) {
    const char ch = text_[p];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '{' || ch == '}' ||
        ch == ';' || ch == '"') {
      break;
    }
    ++p;
  }
  const bool has_control = checkBytes(pos_, p);
  const std::string_view word = text_.substr(pos_, p - pos_);
  pos_ = p;
  return {TokenKind::kWord, word, line, has_control};
}

/// The three statements that hold anchors.
enum class BlockKind { kTrustAnchors, kManagedKeys, kTrustedKeys };

std::optional<BlockKind> anchorBlock(std::string_view word) {
  if (word == "trust-anchors") {
    return BlockKind::kTrustAnchors;
  }
  if (word == "managed-keys") {
    return BlockKind::kManagedKeys;
  }
  if (word == "trusted-keys") {
    return BlockKind::kTrustedKeys;
  }
  return std::nullopt;
}

std::string_view blockName(BlockKind kind) {
  switch (kind) {
    case BlockKind::kTrustAnchors:
      return "trust-anchors";
    case BlockKind::kManagedKeys:
      return "managed-keys";
    case BlockKind::kTrustedKeys:
      return "trusted-keys";
  }
  return "trust-anchors";
}

/// Reads BIND configuration into anchors and problems: skips statements it does not know with
/// their braces matched, and reads the entries of the three anchor statements.
class BindReader {
 public:
  BindReader(std::string_view text, Collector& collector)
      : lexer_(text, collector), collector_(collector) {}

  /// Reads the whole input.
  void run();

 private:
  // Top level: braces of statements that are skipped, and where the current statement began.
  bool openBrace(const Token& token);
  void closeBrace(const Token& token);
  void reportUnclosed();

  // Inside trust-anchors, managed-keys or trusted-keys.
  bool readBlock(BlockKind kind, size_t line);
  std::optional<std::vector<Token>> collectEntry(const Token& first, BlockKind kind);
  void readEntry(BlockKind kind, const std::vector<Token>& entry);
  bool skipNested(size_t line);

  /// A '{' not yet closed: its line, and the line of the statement it belongs to.
  struct OpenBrace {
    size_t line;
    size_t statement_line;
  };

  BindLexer lexer_;
  Collector& collector_;
  std::vector<OpenBrace> open_braces_;  ///< Outermost first; at most kMaxBraceDepth.
  bool statement_start_ = true;         ///< The next word starts a statement.
  size_t statement_line_ = 0;           ///< Line where the current statement began.
};

void BindReader::run() {
  while (true) {
    const Token token = lexer_.next();
    switch (token.kind) {
      case TokenKind::kEnd:
        reportUnclosed();
        return;
      case TokenKind::kOpen:
        if (!openBrace(token)) {
          return;
        }
        break;
      case TokenKind::kClose:
        closeBrace(token);
        break;
      case TokenKind::kSemicolon:
        statement_start_ = true;
        break;
      case TokenKind::kWord:
      case TokenKind::kString: {
        const auto kind = token.kind == TokenKind::kWord ? anchorBlock(token.text) : std::nullopt;
        if (statement_start_ && kind && lexer_.peek().kind == TokenKind::kOpen) {
          lexer_.next();
          if (!readBlock(*kind, token.line)) {
            return;
          }
          break;
        }
        if (statement_start_) {
          statement_line_ = token.line;
        }
        statement_start_ = false;
        break;
      }
    }
  }
}

bool BindReader::openBrace(const Token& token) {
  if (open_braces_.size() >= kMaxBraceDepth) {
    collector_.problem(token.line, "braces are nested more than " + std::to_string(kMaxBraceDepth) +
                                       " deep on line " + std::to_string(token.line));
    return false;
  }
  open_braces_.push_back({token.line, statement_start_ ? token.line : statement_line_});
  statement_start_ = true;
  return true;
}

void BindReader::closeBrace(const Token& token) {
  if (open_braces_.empty()) {
    collector_.problem(
        token.line, "closing brace on line " + std::to_string(token.line) + " has no opening one");
    statement_line_ = token.line;
  } else {
    statement_line_ = open_braces_.back().statement_line;
    open_braces_.pop_back();
  }
  statement_start_ = false;
}

void BindReader::reportUnclosed() {
  if (lexer_.cutShort()) {
    return;
  }
  if (!open_braces_.empty()) {
    const size_t line = open_braces_.back().line;
    collector_.problem(
        line, "unbalanced brace: '{' on line " + std::to_string(line) + " is never closed");
  } else if (!statement_start_) {
    collector_.problem(
        statement_line_,
        "statement starting on line " + std::to_string(statement_line_) + " is not ended by ';'");
  }
}

// Reads entries up to the block's closing brace and the ';' after it. False when the input
// ended inside the block.
bool BindReader::readBlock(BlockKind kind, size_t line) {
  const std::string name(blockName(kind));
  while (true) {
    const Token token = lexer_.next();
    if (token.kind == TokenKind::kEnd) {
      if (lexer_.cutShort()) {
        return false;
      }
      collector_.problem(line, "unbalanced brace: the " + name + " block opened on line " +
                                   std::to_string(line) + " is never closed");
      return false;
    }
    if (token.kind == TokenKind::kClose) {
      if (lexer_.peek().kind == TokenKind::kSemicolon) {
        lexer_.next();
      } else {
        collector_.problem(token.line, "missing ';' after the " + name + " block closed on line " +
                                           std::to_string(token.line));
      }
      return true;
    }
    if (token.kind == TokenKind::kSemicolon) {
      continue;
    }
    if (token.kind == TokenKind::kOpen) {
      collector_.problem(
          token.line, "unexpected '{' on line " + std::to_string(token.line) + " inside " + name);
      if (!skipNested(token.line)) {
        return false;
      }
      continue;
    }
    auto entry = collectEntry(token, kind);
    if (!entry) {
      return false;
    }
    if (!entry->empty()) {
      readEntry(kind, *entry);
    }
  }
}

// Skips to the brace that closes one opened on `line`. False when the input ends first.
bool BindReader::skipNested(size_t line) {
  size_t depth = 1;
  while (depth > 0) {
    const Token token = lexer_.next();
    if (token.kind == TokenKind::kEnd) {
      if (lexer_.cutShort()) {
        return false;
      }
      collector_.problem(
          line, "unbalanced brace: '{' on line " + std::to_string(line) + " is never closed");
      return false;
    }
    depth += token.kind == TokenKind::kOpen ? 1 : 0;
    depth -= token.kind == TokenKind::kClose ? 1 : 0;
  }
  return true;
}

// Gathers the tokens of one entry, from `first` to its ';'. Returns an empty entry when it was
// malformed (the problem is recorded), nullopt when the input ended.
std::optional<std::vector<Token>> BindReader::collectEntry(const Token& first, BlockKind kind) {
  std::vector<Token> entry{first};
  bool too_long = false;
  while (true) {
    const Token& next = lexer_.peek();
    if (next.kind == TokenKind::kSemicolon) {
      lexer_.next();
      break;
    }
    if (next.kind == TokenKind::kEnd && lexer_.cutShort()) {
      return std::nullopt;
    }
    if (next.kind == TokenKind::kEnd || next.kind == TokenKind::kClose ||
        next.kind == TokenKind::kOpen) {
      collector_.problem(first.line, "entry for " + shown(first.text) + " on line " +
                                         std::to_string(first.line) + " in " +
                                         std::string(blockName(kind)) + " is not ended by ';'");
      if (next.kind == TokenKind::kEnd) {
        return std::nullopt;
      }
      return std::vector<Token>{};
    }
    if (entry.size() < kMaxEntryTokens) {
      entry.push_back(lexer_.next());
    } else {
      lexer_.next();
      too_long = true;
    }
  }
  if (too_long) {
    collector_.problem(first.line, "entry for " + shown(first.text) + " has more than " +
                                       std::to_string(kMaxEntryTokens) + " parts");
    return std::vector<Token>{};
  }
  return entry;
}

void BindReader::readEntry(BlockKind kind, const std::vector<Token>& entry) {
  // A control character was reported already; such an entry is not read (a NUL would cut a
  // name short in the C libraries below).
  if (std::any_of(entry.begin(), entry.end(), [](const Token& t) { return t.has_control; })) {
    return;
  }
  const size_t line = entry[0].line;
  const std::string owner_text(entry[0].text);
  size_t next = 1;
  RecordType type = RecordType::kDnskey;
  std::string initial;
  if (kind != BlockKind::kTrustedKeys) {
    if (entry.size() < 2) {
      collector_.problem(line, "entry for " + shown(owner_text) + " ends before its anchor type");
      return;
    }
    const std::string_view word = entry[1].text;
    const bool is_static = word == "static-key" || word == "static-ds";
    if (!is_static && word != "initial-key" && word != "initial-ds") {
      collector_.problem(
          line, "expected static-key, initial-key, static-ds or initial-ds, found " + shown(word));
      return;
    }
    if (kind == BlockKind::kManagedKeys && is_static) {
      collector_.problem(
          line, "managed-keys entries are initial-key or initial-ds, found " + shown(word));
      return;
    }
    type = word.ends_with("-ds") ? RecordType::kDs : RecordType::kDnskey;
    initial = is_static ? "" : std::string(word);
    next = 2;
  }
  auto owner = model::DomainName::parse(owner_text);
  if (!owner) {
    collector_.problem(line,
                       "name " + shown(owner_text) + ": " + lowerFirst(owner.error().message));
    return;
  }
  std::vector<std::string_view> fields;
  for (size_t i = next; i < entry.size(); ++i) {
    fields.push_back(entry[i].text);
  }
  auto rdata = parseAnchorFields(type, fields);
  if (!rdata) {
    collector_.problem(line, rdata.error().message);
    return;
  }
  ParsedAnchor* admitted =
      collector_.admit(model::AnchorRecord{std::move(*owner), 3600, std::move(*rdata)}, line);
  if (admitted != nullptr && !initial.empty()) {
    admitted->findings.push_back(
        {model::Severity::kWarning,
         initial + ": automatic update (RFC 5011) must be turned on with anchorctl autoupdate"});
  }
}

}  // namespace

ParseResult parseBind(std::string_view text, std::string_view source) {
  ParseResult out;
  Collector collector(out, source);
  if (auto encoding = checkEncoding(text); !encoding) {
    collector.problem(1, encoding.error().message);
    return out;
  }
  BindReader reader(text, collector);
  reader.run();
  collector.finish();
  return out;
}

}  // namespace anchorage::formats::detail
