// SPDX-License-Identifier: Apache-2.0
//
// Zone-file input and output for trust anchors: Unbound anchor files, the distribution's
// root.key and root.ds, and the keyset-/dsset- files of BIND's dnssec-signzone and Windows'
// Export-DnsServerDnsSecPublicKey. Implements the master file syntax of RFC 1035 §5.1 (owner,
// TTL and class in either order, `;` comments, parentheses, quoted strings, backslash escapes,
// `$ORIGIN`, `@`, blank owners), `$TTL` of RFC 2308 §4 with BIND's duration units, TTL limits
// of RFC 2181 §8, and the generic `\# len hex` RDATA and TYPEnnn names of RFC 3597 §5.
//
// The reader is a single pass over the input with its own tokenizer: records are read one at a
// time, tokens are views into the input, a record holds at most kMaxFields tokens, and the
// problem list is bounded, so memory stays a small multiple of the input whatever it holds.
// Nothing recurses on input structure and no file is ever opened ($INCLUDE is refused).
// Inside this file an Error's message is the reason of a ParseProblem as people read it; it
// never leaves the reader in any other form.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "formats/detail.h"
#include "formats/reader_support.h"
#include "model/algorithms.h"
#include "util/encoding.h"

namespace anchorage::formats::detail {
namespace {

using model::AnchorRecord;
using model::DomainName;
using model::RecordType;

/// A record with more tokens than this is refused; real ones have a few dozen.
constexpr size_t kMaxFields = 16384;

/// RFC 2181 §8: a TTL is an unsigned number between 0 and 2^31 - 1.
constexpr uint64_t kMaxTtl = 2147483647;

/// TTL given to records when the input states none at all.
constexpr uint32_t kDefaultTtl = 3600;

/// Base64 characters per line in a keyset, as BIND and dig +multi lay keys out.
constexpr size_t kKeysetLineWidth = 44;

/// RR type mnemonics other than DS and DNSKEY that may appear in a zone file and are skipped.
constexpr auto kOtherTypes = std::to_array<std::string_view>({
    "A",      "NS",    "MD",      "MF",         "CNAME",    "SOA",     "MB",    "MG",       "MR",
    "NULL",   "WKS",   "PTR",     "HINFO",      "MINFO",    "MX",      "TXT",   "RP",       "AFSDB",
    "X25",    "ISDN",  "RT",      "NSAP",       "NSAP-PTR", "SIG",     "KEY",   "PX",       "GPOS",
    "AAAA",   "LOC",   "NXT",     "EID",        "NIMLOC",   "SRV",     "ATMA",  "NAPTR",    "KX",
    "CERT",   "A6",    "DNAME",   "SINK",       "OPT",      "APL",     "SSHFP", "IPSECKEY", "RRSIG",
    "NSEC",   "DHCID", "NSEC3",   "NSEC3PARAM", "TLSA",     "SMIMEA",  "HIP",   "NINFO",    "RKEY",
    "TALINK", "CDS",   "CDNSKEY", "OPENPGPKEY", "CSYNC",    "ZONEMD",  "SVCB",  "HTTPS",    "DSYNC",
    "SPF",    "UINFO", "UID",     "GID",        "UNSPEC",   "NID",     "L32",   "L64",      "LP",
    "EUI48",  "EUI64", "TKEY",    "TSIG",       "IXFR",     "AXFR",    "MAILB", "MAILA",    "ANY",
    "URI",    "CAA",   "AVC",     "DOA",        "AMTRELAY", "RESINFO", "TA",
});

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool allDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), isDigit);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

/// One token of a record: a view into the input, without the quotes of a quoted string.
struct Token {
  std::string_view text;
  size_t line = 0;
  bool quoted = false;
};

/// One logical record: the tokens of one line, or of several lines joined by parentheses.
struct RawRecord {
  size_t line = 0;           ///< Line of the record's first token or parenthesis.
  bool blank_owner = false;  ///< The line starts with white space: the previous owner applies.
  std::vector<Token> tokens;
  std::string error;  ///< The first lexical problem of the record; empty when none.
};

/// Splits zone-file text into records (RFC 1035 §5.1). Single pass, no recursion, no copies.
class ZoneLexer {
 public:
  explicit ZoneLexer(std::string_view text) : text_(text) { noteLineStart(); }

  /// Reads the next record into `record` (reusing its storage). False at the end of the input.
  bool next(RawRecord& record);

 private:
  void noteLineStart() {
    line_blank_ = pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t');
  }
  void skipComment() {
    const void* nl = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
    pos_ = nl == nullptr ? text_.size()
                         : static_cast<size_t>(static_cast<const char*>(nl) - text_.data());
  }
  void readParenthesis(RawRecord& record, size_t& depth, size_t& open_line);
  void readQuoted(RawRecord& record);
  void readWord(RawRecord& record);
  void addToken(RawRecord& record, size_t start, size_t end, bool quoted);

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  bool line_blank_ = false;
};

// Keeps the first lexical problem of a record; `reason` is only built when it will be kept, so
// input that repeats one problem a million times costs no more than input without it.
template <typename MakeReason>
void setError(RawRecord& record, MakeReason make_reason) {
  if (record.error.empty()) {
    record.error = make_reason();
  }
}

bool ZoneLexer::next(RawRecord& record) {
  record.tokens.clear();
  record.error.clear();
  record.line = 0;
  record.blank_owner = false;
  bool started = false;
  size_t depth = 0;
  size_t open_line = 0;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
      noteLineStart();
      if (started && depth == 0) {
        return true;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
      continue;
    }
    if (c == ';') {
      skipComment();
      continue;
    }
    if (!started) {
      started = true;
      record.line = line_;
      record.blank_owner = line_blank_;
    }
    if (c == '(' || c == ')') {
      readParenthesis(record, depth, open_line);
    } else if (c == '"') {
      readQuoted(record);
    } else {
      readWord(record);
    }
  }
  if (!started) {
    return false;
  }
  if (depth > 0) {
    // The root cause of whatever else went wrong in a record that swallowed the rest of the input.
    record.error = "unbalanced parenthesis opened on line " + std::to_string(open_line);
  }
  return true;
}

// Tracks the parenthesis at pos_ (RFC 1035 §5.1: they join lines into one record; they do not
// nest). `open_line` is the line of the outermost open one.
void ZoneLexer::readParenthesis(RawRecord& record, size_t& depth, size_t& open_line) {
  if (text_[pos_++] == '(') {
    if (depth > 0) {
      setError(record, [&] {
        return "parenthesis on line " + std::to_string(line_) +
               " is nested in the one opened on line " + std::to_string(open_line);
      });
    } else {
      open_line = line_;
    }
    ++depth;
    return;
  }
  if (depth == 0) {
    setError(record, [&] {
      return "closing parenthesis on line " + std::to_string(line_) + " has no opening one";
    });
    return;
  }
  --depth;
}

void ZoneLexer::readQuoted(RawRecord& record) {
  const size_t start = pos_ + 1;
  size_t p = start;
  while (p < text_.size() && text_[p] != '"' && text_[p] != '\n') {
    p += (text_[p] == '\\' && p + 1 < text_.size() && text_[p + 1] != '\n') ? 2 : 1;
  }
  addToken(record, start, p, true);
  if (p >= text_.size() || text_[p] != '"') {
    setError(record, [&] { return "unterminated quoted string on line " + std::to_string(line_); });
    pos_ = p;  // the newline, if any, is read by next()
    return;
  }
  pos_ = p + 1;
}

void ZoneLexer::readWord(RawRecord& record) {
  const size_t start = pos_;
  size_t p = start;
  while (p < text_.size()) {
    const char c = text_[p];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
        c == '"') {
      break;
    }
    // A backslash takes the next character literally (RFC 1035 §5.1), except a line end.
    p += (c == '\\' && p + 1 < text_.size() && text_[p + 1] != '\n') ? 2 : 1;
  }
  addToken(record, start, p, false);
  pos_ = p;
}

void ZoneLexer::addToken(RawRecord& record, size_t start, size_t end, bool quoted) {
  for (size_t i = start; i < end; ++i) {
    const auto b = static_cast<unsigned char>(text_[i]);
    if (isControlByte(b)) {
      setError(record, [&] {
        return "control character " + byteName(b) + " on line " + std::to_string(line_);
      });
      break;
    }
  }
  if (record.tokens.size() >= kMaxFields) {
    setError(record,
             [&] { return "record has more than " + std::to_string(kMaxFields) + " fields"; });
    return;
  }
  record.tokens.push_back({text_.substr(start, end - start), line_, quoted});
}

// ---------------------------------------------------------------------------------------------
// Fields

/// Parses a TTL: a decimal number of seconds, or a BIND duration such as 1h30m or 2d (units w,
/// d, h, m, s in either case; a trailing bare number counts seconds).
Result<uint32_t> parseTtl(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidInput,
                "TTL " + shown(text) + " is not a number or a duration such as 1h30m");
  };
  auto too_large = [&] {
    return fail(ErrorCode::kInvalidInput, "TTL " + shown(text) + " is out of range (at most " +
                                              std::to_string(kMaxTtl) + " seconds)");
  };
  if (text.empty() || !isDigit(text[0])) {
    return bad();
  }
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    uint64_t number = 0;
    const size_t digits_start = i;
    while (i < text.size() && isDigit(text[i])) {
      number = number * 10 + static_cast<uint64_t>(text[i] - '0');
      if (number > kMaxTtl) {
        return too_large();
      }
      ++i;
    }
    if (i == digits_start) {
      return bad();
    }
    uint64_t unit = 1;
    if (i < text.size()) {
      switch (std::tolower(static_cast<unsigned char>(text[i]))) {
        case 'w':
          unit = 604800;
          break;
        case 'd':
          unit = 86400;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'm':
          unit = 60;
          break;
        case 's':
          unit = 1;
          break;
        default:
          return bad();
      }
      ++i;
    }
    total += number * unit;
    if (total > kMaxTtl) {
      return too_large();
    }
  }
  return static_cast<uint32_t>(total);
}

/// Turns a quoted owner into presentation form: characters that would end or change a name
/// outside quotes are written as \DDD escapes; escapes already present are kept.
std::string unquoteName(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out += c;
      out += text[++i];
    } else if (c == ' ' || c == '\t' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$') {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\%03u", static_cast<unsigned>(static_cast<uint8_t>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

/// Parses an owner or $ORIGIN argument relative to `origin`; `what` starts the error reason.
Result<DomainName> parseName(const Token& token, const DomainName& origin, std::string_view what) {
  if (!token.quoted && token.text == "@") {
    return origin;
  }
  auto name = token.quoted ? DomainName::parse(unquoteName(token.text), &origin)
                           : DomainName::parse(token.text, &origin);
  if (!name) {
    return fail(ErrorCode::kInvalidInput, std::string(what) + " " + shown(token.text) + ": " +
                                              lowerFirst(name.error().message));
  }
  return name;
}

/// What the type field of a record says.
enum class TypeKind { kDs, kDnskey, kOther, kUnknown };

TypeKind classifyType(std::string_view text) {
  if (equalsIgnoreCase(text, "DS")) {
    return TypeKind::kDs;
  }
  if (equalsIgnoreCase(text, "DNSKEY")) {
    return TypeKind::kDnskey;
  }
  // RFC 3597 §5: TYPEnnn names any type by number.
  if (startsWithIgnoreCase(text, "TYPE") && allDigits(text.substr(4))) {
    const auto number = util::parseUnsigned(text.substr(4), 65535, "type");
    if (!number) {
      return TypeKind::kUnknown;
    }
    return *number == 43 ? TypeKind::kDs : *number == 48 ? TypeKind::kDnskey : TypeKind::kOther;
  }
  for (const auto other : kOtherTypes) {
    if (equalsIgnoreCase(text, other)) {
      return TypeKind::kOther;
    }
  }
  return TypeKind::kUnknown;
}

/// True for class mnemonics (RFC 1035 §3.2.4, RFC 3597 §5 CLASSnnn). Sets `in` for class IN.
bool isClass(std::string_view text, bool& in) {
  if (equalsIgnoreCase(text, "IN") || equalsIgnoreCase(text, "CLASS1")) {
    in = true;
    return true;
  }
  in = false;
  return equalsIgnoreCase(text, "CH") || equalsIgnoreCase(text, "HS") ||
         equalsIgnoreCase(text, "CS") ||
         (startsWithIgnoreCase(text, "CLASS") && allDigits(text.substr(5)));
}

/// Reads RFC 3597 §5 generic RDATA: `\# LENGTH HEX...`, the hex optional when LENGTH is 0.
Result<AnchorRdata> parseGenericRdata(RecordType type, const std::vector<Token>& tokens,
                                      size_t first) {
  const std::string type_name(model::recordTypeName(type));
  if (first + 1 >= tokens.size()) {
    return fail(ErrorCode::kInvalidInput, type_name + " generic RDATA has no length after \\#");
  }
  const auto length = util::parseUnsigned(tokens[first + 1].text, 65535, "length");
  if (!length) {
    return fail(ErrorCode::kInvalidInput, type_name + " generic RDATA length " +
                                              shown(tokens[first + 1].text) +
                                              " is not a number from 0 to 65535");
  }
  std::string hex;
  for (size_t i = first + 2; i < tokens.size(); ++i) {
    hex.append(tokens[i].text);
  }
  auto wire = util::decodeHex(hex);
  if (!wire) {
    return fail(ErrorCode::kInvalidInput,
                type_name + " generic RDATA: " + lowerFirst(wire.error().message));
  }
  if (wire->size() != *length) {
    return fail(ErrorCode::kInvalidInput, type_name + " generic RDATA says " +
                                              std::to_string(*length) + " octets but has " +
                                              std::to_string(wire->size()));
  }
  auto rdata = model::rdataFromWire(type, *wire);
  if (!rdata) {
    return fail(ErrorCode::kInvalidInput,
                type_name + " generic RDATA is shorter than the 4 octets of fixed fields");
  }
  return std::move(*rdata);
}

// ---------------------------------------------------------------------------------------------
// Records

/// What the reader remembers from one record to the next.
struct ZoneState {
  DomainName origin;                   ///< $ORIGIN; the root until one is given.
  std::optional<uint32_t> dollar_ttl;  ///< $TTL (RFC 2308 §4).
  std::optional<uint32_t> last_ttl;    ///< Last TTL stated on a record (RFC 1035 §5.1).
  std::optional<DomainName> owner;     ///< Owner of the previous record, for blank owners.
  std::string owner_problem;           ///< Why the previous owner is unusable, when it is.
};

/// TTL and class of a record as written; the TTL problem, if any, waits until the type is known.
struct RecordPrefix {
  std::optional<uint32_t> ttl;
  std::optional<std::string_view> record_class;
  bool class_in = true;
  std::string ttl_problem;
};

/// Turns records into anchors and problems, keeping the state that carries between records.
class ZoneReader {
 public:
  explicit ZoneReader(Collector& collector) : collector_(collector) {}

  /// Handles one record of the lexer.
  void handle(const RawRecord& record);

 private:
  void handleDirective(const RawRecord& record);
  size_t takeOwner(const RawRecord& record);
  RecordPrefix readPrefix(const std::vector<Token>& tokens, size_t& i);
  void handleAnchor(const RawRecord& record, RecordType type, size_t rdata_start, uint32_t ttl);

  Collector& collector_;
  ZoneState state_;
};

void ZoneReader::handleDirective(const RawRecord& record) {
  const auto& tokens = record.tokens;
  const std::string_view name = tokens[0].text;
  if (!record.error.empty()) {
    collector_.problem(record.line, record.error);
    return;
  }
  if (equalsIgnoreCase(name, "$INCLUDE")) {
    collector_.problem(record.line,
                       "$INCLUDE is refused: anchor files are read alone, other files are "
                       "never opened");
    return;
  }
  const bool is_origin = equalsIgnoreCase(name, "$ORIGIN");
  const bool is_ttl = equalsIgnoreCase(name, "$TTL");
  if (!is_origin && !is_ttl) {
    collector_.problem(
        record.line, "directive " + shown(name) + " is not supported (only $ORIGIN and $TTL are)");
    return;
  }
  if (tokens.size() != 2) {
    collector_.problem(record.line, std::string(is_origin ? "$ORIGIN" : "$TTL") +
                                        " takes exactly one value, found " +
                                        std::to_string(tokens.size() - 1));
    return;
  }
  if (is_origin) {
    auto origin = parseName(tokens[1], state_.origin, "$ORIGIN");
    if (!origin) {
      collector_.problem(record.line, origin.error().message);
      return;
    }
    state_.origin = std::move(*origin);
    return;
  }
  auto ttl = parseTtl(tokens[1].text);
  if (!ttl) {
    collector_.problem(record.line, "$TTL: " + ttl.error().message);
    return;
  }
  state_.dollar_ttl = *ttl;
}

// Sets the current owner from the record (or keeps the previous one for a blank owner) and
// returns the index of the token after the owner.
size_t ZoneReader::takeOwner(const RawRecord& record) {
  if (record.blank_owner) {
    if (!state_.owner && state_.owner_problem.empty()) {
      state_.owner_problem = "record starts with white space but no owner came before it";
    }
    return 0;
  }
  auto owner = parseName(record.tokens[0], state_.origin, "owner name");
  if (owner) {
    state_.owner = std::move(*owner);
    state_.owner_problem.clear();
  } else {
    state_.owner.reset();
    state_.owner_problem = owner.error().message;
  }
  return 1;
}

// Reads TTL and class, in either order (RFC 1035 §5.1), from token `i` on; leaves `i` on the type.
RecordPrefix ZoneReader::readPrefix(const std::vector<Token>& tokens, size_t& i) {
  RecordPrefix prefix;
  for (int n = 0; n < 2 && i < tokens.size(); ++n) {
    const std::string_view text = tokens[i].text;
    bool in = false;
    if (!prefix.ttl && !text.empty() && isDigit(text[0])) {
      auto parsed = parseTtl(text);
      if (parsed) {
        prefix.ttl = *parsed;
        state_.last_ttl = *parsed;
      } else {
        prefix.ttl = 0;
        prefix.ttl_problem = parsed.error().message;
      }
      ++i;
    } else if (!prefix.record_class && isClass(text, in)) {
      prefix.record_class = text;
      prefix.class_in = in;
      ++i;
    } else {
      break;
    }
  }
  return prefix;
}

void ZoneReader::handle(const RawRecord& record) {
  const auto& tokens = record.tokens;
  if (tokens.empty()) {
    if (!record.error.empty()) {
      collector_.problem(record.line, record.error);
    }
    return;
  }
  if (!record.blank_owner && !tokens[0].quoted && tokens[0].text.starts_with('$')) {
    handleDirective(record);
    return;
  }
  size_t i = takeOwner(record);
  const RecordPrefix prefix = readPrefix(tokens, i);
  if (!record.error.empty()) {
    collector_.problem(record.line, record.error);
    return;
  }
  if (i >= tokens.size()) {
    collector_.problem(record.line, "record ends before its type; expected DS or DNSKEY");
    return;
  }
  const TypeKind kind = classifyType(tokens[i].text);
  if (kind == TypeKind::kOther) {
    return;
  }
  if (kind == TypeKind::kUnknown) {
    collector_.problem(
        record.line, "expected a record type such as DS or DNSKEY, found " + shown(tokens[i].text));
    return;
  }
  if (!prefix.ttl_problem.empty()) {
    collector_.problem(record.line, prefix.ttl_problem);
    return;
  }
  if (!prefix.class_in) {
    collector_.problem(record.line, "class " + shown(*prefix.record_class) +
                                        " is not supported; trust anchors are class IN");
    return;
  }
  // RFC 2308 §4: $TTL applies to records without one; before it, the last TTL stated.
  const uint32_t ttl =
      prefix.ttl.value_or(state_.dollar_ttl.value_or(state_.last_ttl.value_or(kDefaultTtl)));
  handleAnchor(record, kind == TypeKind::kDs ? RecordType::kDs : RecordType::kDnskey, i + 1, ttl);
}

void ZoneReader::handleAnchor(const RawRecord& record, RecordType type, size_t rdata_start,
                              uint32_t ttl) {
  if (!state_.owner) {
    collector_.problem(record.line, state_.owner_problem);
    return;
  }
  const auto& tokens = record.tokens;
  Result<AnchorRdata> rdata = AnchorRdata{};
  if (rdata_start < tokens.size() && !tokens[rdata_start].quoted &&
      tokens[rdata_start].text == "\\#") {
    rdata = parseGenericRdata(type, tokens, rdata_start);
  } else {
    std::vector<std::string_view> fields;
    fields.reserve(tokens.size() - rdata_start);
    for (size_t k = rdata_start; k < tokens.size(); ++k) {
      fields.push_back(tokens[k].text);
    }
    rdata = parseAnchorFields(type, fields);
  }
  if (!rdata) {
    collector_.problem(record.line, rdata.error().message);
    return;
  }
  collector_.admit(AnchorRecord{*state_.owner, ttl, std::move(*rdata)}, record.line);
}

// ---------------------------------------------------------------------------------------------
// Writers

/// An anchor with the fields it is sorted by, computed once.
struct SortEntry {
  const model::TrustAnchor* anchor;
  RecordType type;
  uint16_t key_tag;
  std::vector<uint8_t> rdata;
};

/// Canonical order of RFC 4034 §6.1 by owner, then type number, key tag and RDATA; records that
/// are equal (same owner and RDATA) end up next to each other.
std::vector<SortEntry> sortedAnchors(const std::vector<model::TrustAnchor>& anchors) {
  std::vector<SortEntry> sorted;
  sorted.reserve(anchors.size());
  for (const auto& a : anchors) {
    sorted.push_back({&a, a.record.type(), a.record.keyTag(), a.record.rdataWire()});
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const SortEntry& x, const SortEntry& y) {
    if (auto c = x.anchor->record.owner <=> y.anchor->record.owner; c != 0) {
      return c < 0;
    }
    return std::tie(x.type, x.key_tag, x.rdata) < std::tie(y.type, y.key_tag, y.rdata);
  });
  return sorted;
}

std::string keysetEntry(const AnchorRecord& record) {
  const auto& key = record.dnskey();
  const std::string indent = "\t\t\t\t";
  std::string out = record.owner.text() + "\t" + std::to_string(record.ttl) + "\tIN DNSKEY " +
                    std::to_string(key.flags) + " " + std::to_string(key.protocol) + " " +
                    std::to_string(key.algorithm) + " (\n";
  const std::string b64 = util::encodeBase64(key.public_key);
  for (size_t pos = 0; pos < b64.size(); pos += kKeysetLineWidth) {
    out += indent + b64.substr(pos, kKeysetLineWidth) + "\n";
  }
  out += indent + ") ; " + (key.isSep() ? "KSK" : "ZSK") +
         "; alg = " + std::string(model::algorithmName(key.algorithm)) +
         " ; key id = " + std::to_string(key.keyTag()) + "\n";
  return out;
}

}  // namespace

ParseResult parseZone(std::string_view text, std::string_view source) {
  ParseResult out;
  Collector collector(out, source);
  if (auto encoding = checkEncoding(text); !encoding) {
    collector.problem(1, encoding.error().message);
    return out;
  }
  ZoneLexer lexer(text);
  ZoneReader reader(collector);
  RawRecord record;
  while (lexer.next(record)) {
    reader.handle(record);
  }
  collector.finish();
  return out;
}

Result<std::string> renderZone(const std::vector<model::TrustAnchor>& anchors) {
  std::string out = "; Trust anchors written by Anchorage\n";
  for (const auto& entry : sortedAnchors(anchors)) {
    out += entry.anchor->record.toZoneLine() + "\n";
  }
  return out;
}

Result<std::string> renderKeyset(const std::vector<model::TrustAnchor>& anchors) {
  const auto sorted = sortedAnchors(anchors);
  std::string ds_anchors;
  for (const auto& entry : sorted) {
    if (entry.anchor->record.isDs()) {
      ds_anchors += (ds_anchors.empty() ? "" : ", ") + entry.anchor->record.owner.text() + " DS " +
                    std::to_string(entry.key_tag);
    }
  }
  if (!ds_anchors.empty()) {
    return fail(ErrorCode::kInvalidInput, "A keyset holds DNSKEY records only; DS anchors given",
                {{"anchors", ds_anchors}});
  }
  std::string out = "; DNSKEY trust anchors written by Anchorage\n";
  for (const auto& entry : sorted) {
    out += keysetEntry(entry.anchor->record);
  }
  return out;
}

Result<std::string> renderDsset(const std::vector<model::TrustAnchor>& anchors,
                                uint8_t digest_type) {
  std::vector<model::TrustAnchor> ds_anchors;
  ds_anchors.reserve(anchors.size());
  for (const auto& anchor : anchors) {
    model::TrustAnchor copy;
    copy.record.owner = anchor.record.owner;
    copy.record.ttl = anchor.record.ttl;
    if (anchor.record.isDs()) {
      copy.record.rdata = anchor.record.ds();
    } else {
      auto ds = model::computeDs(anchor.record.owner, anchor.record.dnskey(), digest_type);
      if (!ds) {
        return fail(std::move(ds.error()));
      }
      copy.record.rdata = std::move(*ds);
    }
    ds_anchors.push_back(std::move(copy));
  }
  std::string out = "; DS trust anchors written by Anchorage\n";
  const model::AnchorRecord* previous = nullptr;
  for (const auto& entry : sortedAnchors(ds_anchors)) {
    // A DS given and the same DS computed from its DNSKEY are written once.
    if (previous == nullptr || !(*previous == entry.anchor->record)) {
      out += entry.anchor->record.toZoneLine() + "\n";
    }
    previous = &entry.anchor->record;
  }
  return out;
}

}  // namespace anchorage::formats::detail
