// SPDX-License-Identifier: Apache-2.0
//
// A small DNS stub client: one query to one server, as the writers need to prove that a resolver
// validates. The query carries EDNS(0) (RFC 6891) with DO=1 and, by default, AD=1 (RFC 6840 §5.7),
// since resolvers set AD in a response only when one of them is set. UDP first, TCP when the
// answer is truncated (RFC 7766 §5), every step bounded by one overall timeout. The response gives
// the rcode (with the EDNS extended bits), the AD flag, the answer records and any Extended DNS
// Errors (RFC 8914). No ldns types appear here.

#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace anchorage::dns {

/// RR type numbers the project queries for (RFC 1035 §3.2.2, RFC 4034).
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeDs = 43;
inline constexpr uint16_t kTypeRrsig = 46;
inline constexpr uint16_t kTypeDnskey = 48;

/// Response codes (RFC 1035 §4.1.1, RFC 6891 §6.1.3); other values are kept as numbers.
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

/// "NOERROR", "SERVFAIL", ...; "RCODE<n>" for values without a name here.
std::string rcodeName(Rcode rcode);

/// Mnemonic of an RR type ("A", "DNSKEY"), or "TYPE<n>" (RFC 3597 §5).
std::string typeName(uint16_t type);

/// Parses an RR type mnemonic or "TYPE<n>". Errors: unknown mnemonic (kInvalidInput).
Result<uint16_t> parseType(std::string_view text);

/// One resource record from a response.
struct ResourceRecord {
  std::string owner;  ///< Presentation form, absolute.
  uint16_t type = 0;
  uint16_t rrclass = 1;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;  ///< Uncompressed wire form.
  std::string rdata_text;      ///< Presentation form.
};

/// An Extended DNS Error option (RFC 8914 §2).
struct ExtendedError {
  uint16_t code = 0;  ///< INFO-CODE, e.g. 6 "DNSSEC Bogus", 9 "DNSKEY Missing".
  std::string text;   ///< EXTRA-TEXT with control characters replaced, at most 512 octets.
};

/// Registered name of an EDE INFO-CODE (RFC 8914 §4), or "EDE<n>".
std::string extendedErrorName(uint16_t code);

/// What a server answered.
struct Response {
  uint16_t id = 0;
  Rcode rcode = Rcode::kNoError;  ///< Including the EDNS extended bits.
  bool authentic_data = false;    ///< AD: the resolver validated the answer (RFC 4035 §3.2.3).
  bool truncated = false;         ///< TC in the message that was finally used.
  bool recursion_available = false;
  bool over_tcp = false;  ///< The answer came over TCP (fallback or tcp_only).
  std::vector<ResourceRecord> answer;
  std::vector<ExtendedError> extended_errors;

  /// "SERVFAIL, EDE 9 (DNSKEY Missing): text; ..." for messages and logs.
  std::string summary() const;
};

/// Where to send a query and how.
struct QueryOptions {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal.
  uint16_t port = 53;
  /// Budget for the whole exchange, UDP and any TCP fallback together.
  std::chrono::milliseconds timeout{2000};
  bool dnssec_ok = true;       ///< EDNS DO bit (RFC 3225).
  bool authentic_data = true;  ///< AD bit in the query (RFC 6840 §5.7).
  bool checking_disabled = false;
  bool recursion_desired = true;
  uint16_t udp_payload_size = 1232;  ///< Advertised EDNS buffer size.
  bool tcp_only = false;
};

/// Sends one query for `name`/`type`/IN and returns the response. Responses whose id or question
/// do not match are ignored, as are unparsable datagrams. Errors: bad name or address
/// (kInvalidInput), no usable response before the timeout (kTimeout), socket failures
/// (kUnavailable).
Result<Response> query(std::string_view name, uint16_t type, const QueryOptions& options = {});

/// Builds the wire form of a query as query() sends it. Errors: bad name (kInvalidInput).
Result<std::vector<uint8_t>> buildQuery(std::string_view name, uint16_t type, uint16_t id,
                                        const QueryOptions& options);

/// True when `response` is a response (QR=1) to `query`: same id and the same question
/// (name compared case-insensitively, RFC 4343).
bool answersQuery(const std::vector<uint8_t>& query, const std::vector<uint8_t>& response);

/// Parses a response message. Errors: malformed message (kInvalidInput).
Result<Response> parseResponse(const std::vector<uint8_t>& wire);

/// Parses the options of an OPT RR's RDATA (RFC 6891 §6.1.2) and returns the EDE options in it.
/// A malformed option list yields the options before the damage.
std::vector<ExtendedError> extendedErrorsFromOptions(const std::vector<uint8_t>& options);

}  // namespace anchorage::dns
