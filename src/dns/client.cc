// SPDX-License-Identifier: Apache-2.0
//
// DNS stub client: messages are built and parsed with ldns, sockets are plain POSIX with poll()
// so that every wait is bounded by the caller's deadline. UDP first, TCP with the two-octet length
// prefix (RFC 1035 §4.2.2) when the UDP answer is truncated.

#include "dns/client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include <ldns/ldns.h>

#include "model/name.h"

namespace anchorage::dns {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxMessage = 65535;
constexpr size_t kMaxEdeText = 512;
constexpr uint16_t kOptionEde = 15;

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

struct BufferDeleter {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;

/// A file descriptor closed on scope exit.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Error socketError(std::string message, const QueryOptions& o) {
  return Error(
      ErrorCode::kUnavailable, std::move(message),
      {{"address", o.address}, {"port", std::to_string(o.port)}, {"reason", std::strerror(errno)}});
}

Error timeoutError(const QueryOptions& o) {
  return Error(ErrorCode::kTimeout, "DNS query timed out",
               {{"address", o.address},
                {"port", std::to_string(o.port)},
                {"timeout_ms", std::to_string(o.timeout.count())}});
}

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

/// Waits until `fd` is ready for `events`; false on timeout or error.
bool waitReady(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remainingMs(deadline));
    if (n > 0) {
      return true;
    }
    if (n == 0 || errno != EINTR) {
      return false;
    }
  }
}

Result<sockaddr_storage> resolveAddress(const QueryOptions& o, socklen_t& length) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(o.port);
  if (::getaddrinfo(o.address.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return fail(ErrorCode::kInvalidInput, "Server address is not an IP literal",
                {{"address", o.address}});
  }
  sockaddr_storage out{};
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  length = found->ai_addrlen;
  ::freeaddrinfo(found);
  return out;
}

Result<std::vector<uint8_t>> exchangeUdp(const std::vector<uint8_t>& query,
                                         const sockaddr_storage& to, socklen_t to_length,
                                         const QueryOptions& o, Clock::time_point deadline) {
  Socket s(::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s.fd() < 0) {
    return fail(socketError("UDP socket cannot be created", o));
  }
  // A connected socket only receives datagrams from the server it sent to.
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&to), to_length) != 0 ||
      ::send(s.fd(), query.data(), query.size(), 0) < 0) {
    return fail(socketError("UDP query cannot be sent", o));
  }
  std::vector<uint8_t> buffer(kMaxMessage);
  while (waitReady(s.fd(), POLLIN, deadline)) {
    const ssize_t n = ::recv(s.fd(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return fail(socketError("UDP response cannot be received", o));
    }
    std::vector<uint8_t> response(buffer.begin(), buffer.begin() + n);
    // Anything that is not a parsable answer to this query is dropped, as a resolver would.
    if (answersQuery(query, response) && parseResponse(response)) {
      return response;
    }
  }
  return fail(timeoutError(o));
}

bool sendAll(int fd, const uint8_t* data, size_t size, Clock::time_point deadline) {
  size_t done = 0;
  while (done < size) {
    if (!waitReady(fd, POLLOUT, deadline)) {
      return false;
    }
    const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool receiveAll(int fd, uint8_t* data, size_t size, Clock::time_point deadline) {
  size_t done = 0;
  while (done < size) {
    if (!waitReady(fd, POLLIN, deadline)) {
      return false;
    }
    const ssize_t n = ::recv(fd, data + done, size - done, 0);
    if (n == 0) {
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

Result<std::vector<uint8_t>> exchangeTcp(const std::vector<uint8_t>& query,
                                         const sockaddr_storage& to, socklen_t to_length,
                                         const QueryOptions& o, Clock::time_point deadline) {
  Socket s(::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s.fd() < 0) {
    return fail(socketError("TCP socket cannot be created", o));
  }
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&to), to_length) != 0) {
    if (errno != EINPROGRESS) {
      return fail(socketError("TCP connection failed", o));
    }
    if (!waitReady(s.fd(), POLLOUT, deadline)) {
      return fail(timeoutError(o));
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      errno = so_error;
      return fail(socketError("TCP connection failed", o));
    }
  }
  std::vector<uint8_t> framed;
  framed.reserve(query.size() + 2);
  framed.push_back(static_cast<uint8_t>(query.size() >> 8));
  framed.push_back(static_cast<uint8_t>(query.size() & 0xff));
  framed.insert(framed.end(), query.begin(), query.end());
  if (!sendAll(s.fd(), framed.data(), framed.size(), deadline)) {
    return fail(remainingMs(deadline) == 0 ? timeoutError(o)
                                           : socketError("TCP query cannot be sent", o));
  }
  // A server may send other messages first on a reused stream; this one is fresh, so the first
  // message that answers the query is taken and anything else skipped.
  while (true) {
    std::array<uint8_t, 2> length{};
    if (!receiveAll(s.fd(), length.data(), length.size(), deadline)) {
      break;
    }
    std::vector<uint8_t> response(static_cast<size_t>(length[0]) << 8 | length[1]);
    if (!receiveAll(s.fd(), response.data(), response.size(), deadline)) {
      break;
    }
    if (answersQuery(query, response)) {
      return response;
    }
  }
  return fail(remainingMs(deadline) == 0 ? timeoutError(o)
                                         : socketError("TCP response cannot be received", o));
}

std::string rdfText(const ldns_rdf* rdf) {
  char* text = ldns_rdf2str(rdf);
  std::string out = text != nullptr ? text : "";
  LDNS_FREE(text);
  return out;
}

ResourceRecord convertRecord(const ldns_rr* rr) {
  ResourceRecord out;
  out.owner = rdfText(ldns_rr_owner(rr));
  out.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  out.rrclass = static_cast<uint16_t>(ldns_rr_get_class(rr));
  out.ttl = ldns_rr_ttl(rr);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
    const uint8_t* data = ldns_rdf_data(rdf);
    out.rdata.insert(out.rdata.end(), data, data + ldns_rdf_size(rdf));
    if (i > 0) {
      out.rdata_text += ' ';
    }
    out.rdata_text += rdfText(rdf);
  }
  return out;
}

uint16_t randomId() {
  static thread_local std::mt19937 engine{std::random_device{}()};
  return static_cast<uint16_t>(std::uniform_int_distribution<uint32_t>(0, 0xffff)(engine));
}

/// Length of the uncompressed name at `pos`, or 0 when it is malformed or compressed.
size_t plainNameLength(const std::vector<uint8_t>& wire, size_t pos) {
  size_t length = 0;
  while (pos + length < wire.size()) {
    const uint8_t label = wire[pos + length];
    if (label == 0) {
      return length + 1;
    }
    if (label > 63) {
      return 0;
    }
    length += 1 + label;
  }
  return 0;
}

}  // namespace

std::string rcodeName(Rcode rcode) {
  switch (rcode) {
    case Rcode::kNoError:
      return "NOERROR";
    case Rcode::kFormErr:
      return "FORMERR";
    case Rcode::kServFail:
      return "SERVFAIL";
    case Rcode::kNxDomain:
      return "NXDOMAIN";
    case Rcode::kNotImp:
      return "NOTIMP";
    case Rcode::kRefused:
      return "REFUSED";
    case Rcode::kBadVers:
      return "BADVERS";
  }
  return "RCODE" + std::to_string(static_cast<uint16_t>(rcode));
}

std::string typeName(uint16_t type) {
  const ldns_rr_descriptor* d = ldns_rr_descript(type);
  if (d != nullptr && d->_name != nullptr) {
    return d->_name;
  }
  return "TYPE" + std::to_string(type);
}

Result<uint16_t> parseType(std::string_view text) {
  const std::string s(text);
  const ldns_rr_type t = ldns_get_rr_type_by_name(s.c_str());
  if (t == 0) {
    return fail(ErrorCode::kInvalidInput, "Unknown RR type", {{"type", s}});
  }
  return static_cast<uint16_t>(t);
}

std::string extendedErrorName(uint16_t code) {
  static constexpr std::array<const char*, 25> kNames = {
      "Other Error",
      "Unsupported DNSKEY Algorithm",
      "Unsupported DS Digest Type",
      "Stale Answer",
      "Forged Answer",
      "DNSSEC Indeterminate",
      "DNSSEC Bogus",
      "Signature Expired",
      "Signature Not Yet Valid",
      "DNSKEY Missing",
      "RRSIGs Missing",
      "No Zone Key Bit Set",
      "NSEC Missing",
      "Cached Error",
      "Not Ready",
      "Blocked",
      "Censored",
      "Filtered",
      "Prohibited",
      "Stale NXDOMAIN Answer",
      "Not Authoritative",
      "Not Supported",
      "No Reachable Authority",
      "Network Error",
      "Invalid Data",
  };
  if (code < kNames.size()) {
    return kNames[code];
  }
  return "EDE" + std::to_string(code);
}

std::string Response::summary() const {
  std::string out = rcodeName(rcode);
  if (authentic_data) {
    out += ", AD";
  }
  for (const auto& e : extended_errors) {
    out += ", EDE " + std::to_string(e.code) + " (" + extendedErrorName(e.code) + ")";
    if (!e.text.empty()) {
      out += ": " + e.text;
    }
  }
  return out;
}

Result<std::vector<uint8_t>> buildQuery(std::string_view name, uint16_t type, uint16_t id,
                                        const QueryOptions& options) {
  auto owner = model::DomainName::parse(name);
  if (!owner) {
    return fail(owner.error());
  }
  const auto& wire = owner->wire();
  ldns_rdf* qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data());
  if (qname == nullptr) {
    return fail(ErrorCode::kInternal, "Query name cannot be encoded",
                {{"name", std::string(name)}});
  }
  uint16_t flags = 0;
  if (options.recursion_desired) {
    flags |= LDNS_RD;
  }
  if (options.authentic_data) {
    flags |= LDNS_AD;
  }
  if (options.checking_disabled) {
    flags |= LDNS_CD;
  }
  // ldns_pkt_query_new takes ownership of qname.
  PktPtr pkt(ldns_pkt_query_new(qname, static_cast<ldns_rr_type>(type), LDNS_RR_CLASS_IN, flags));
  if (!pkt) {
    return fail(ErrorCode::kInternal, "Query cannot be built", {{"name", std::string(name)}});
  }
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_edns_udp_size(pkt.get(), options.udp_payload_size);
  ldns_pkt_set_edns_do(pkt.get(), options.dnssec_ok);
  uint8_t* data = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&data, pkt.get(), &size) != LDNS_STATUS_OK) {
    return fail(ErrorCode::kInternal, "Query cannot be encoded", {{"name", std::string(name)}});
  }
  std::vector<uint8_t> out(data, data + size);
  LDNS_FREE(data);
  return out;
}

bool answersQuery(const std::vector<uint8_t>& query, const std::vector<uint8_t>& response) {
  if (query.size() < kHeaderSize || response.size() < kHeaderSize) {
    return false;
  }
  const bool same_id = query[0] == response[0] && query[1] == response[1];
  const bool is_response = (response[2] & 0x80) != 0;
  const bool one_question = response[4] == 0 && response[5] == 1;
  if (!same_id || !is_response || !one_question) {
    return false;
  }
  // The question name is the first name in a message, so it cannot be compressed.
  const size_t name_length = plainNameLength(query, kHeaderSize);
  if (name_length == 0 || plainNameLength(response, kHeaderSize) != name_length) {
    return false;
  }
  const size_t end = kHeaderSize + name_length + 4;
  if (query.size() < end || response.size() < end) {
    return false;
  }
  for (size_t i = kHeaderSize; i < end; ++i) {
    uint8_t a = query[i];
    uint8_t b = response[i];
    if (i < kHeaderSize + name_length) {
      a = static_cast<uint8_t>(a >= 'A' && a <= 'Z' ? a + 32 : a);
      b = static_cast<uint8_t>(b >= 'A' && b <= 'Z' ? b + 32 : b);
    }
    if (a != b) {
      return false;
    }
  }
  return true;
}

std::vector<ExtendedError> extendedErrorsFromOptions(const std::vector<uint8_t>& options) {
  std::vector<ExtendedError> out;
  size_t pos = 0;
  while (pos + 4 <= options.size()) {
    const uint16_t code = static_cast<uint16_t>(options[pos] << 8 | options[pos + 1]);
    const size_t length = static_cast<size_t>(options[pos + 2] << 8 | options[pos + 3]);
    pos += 4;
    if (pos + length > options.size()) {
      break;
    }
    if (code == kOptionEde && length >= 2) {
      ExtendedError e;
      e.code = static_cast<uint16_t>(options[pos] << 8 | options[pos + 1]);
      size_t text_length = std::min(length - 2, kMaxEdeText);
      while (text_length > 0 && options[pos + 2 + text_length - 1] == 0) {
        --text_length;  // Some servers end EXTRA-TEXT with a NUL.
      }
      for (size_t i = 0; i < text_length; ++i) {
        const uint8_t c = options[pos + 2 + i];
        // EXTRA-TEXT is UTF-8 (RFC 8914 §2); keep it, but never let control characters through.
        e.text += static_cast<char>(c < 0x20 || c == 0x7f ? '?' : c);
      }
      out.push_back(std::move(e));
    }
    pos += length;
  }
  return out;
}

Result<Response> parseResponse(const std::vector<uint8_t>& wire) {
  ldns_pkt* raw = nullptr;
  if (wire.size() < kHeaderSize ||
      ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(raw);
    return fail(ErrorCode::kInvalidInput, "DNS response is malformed",
                {{"size", std::to_string(wire.size())}});
  }
  PktPtr pkt(raw);
  Response r;
  r.id = ldns_pkt_id(pkt.get());
  const unsigned extended = ldns_pkt_edns_extended_rcode(pkt.get());
  r.rcode =
      static_cast<Rcode>(static_cast<uint16_t>(extended << 4 | ldns_pkt_get_rcode(pkt.get())));
  r.authentic_data = ldns_pkt_ad(pkt.get());
  r.truncated = ldns_pkt_tc(pkt.get());
  r.recursion_available = ldns_pkt_ra(pkt.get());
  const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
  for (size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
    r.answer.push_back(convertRecord(ldns_rr_list_rr(answer, i)));
  }
  if (const ldns_rdf* options = ldns_pkt_edns_data(pkt.get()); options != nullptr) {
    const uint8_t* data = ldns_rdf_data(options);
    r.extended_errors =
        extendedErrorsFromOptions(std::vector<uint8_t>(data, data + ldns_rdf_size(options)));
  }
  return r;
}

Result<Response> query(std::string_view name, uint16_t type, const QueryOptions& options) {
  const auto deadline = Clock::now() + options.timeout;
  socklen_t to_length = 0;
  auto to = resolveAddress(options, to_length);
  if (!to) {
    return fail(to.error());
  }
  auto message = buildQuery(name, type, randomId(), options);
  if (!message) {
    return fail(message.error());
  }
  bool over_tcp = options.tcp_only;
  Result<std::vector<uint8_t>> wire =
      over_tcp ? exchangeTcp(*message, *to, to_length, options, deadline)
               : exchangeUdp(*message, *to, to_length, options, deadline);
  if (!wire) {
    return fail(std::move(wire.error()).with("name", std::string(name)));
  }
  auto response = parseResponse(*wire);
  if (response && response->truncated && !over_tcp) {
    over_tcp = true;
    wire = exchangeTcp(*message, *to, to_length, options, deadline);
    if (!wire) {
      return fail(std::move(wire.error()).with("name", std::string(name)));
    }
    response = parseResponse(*wire);
  }
  if (!response) {
    return fail(std::move(response.error()).with("name", std::string(name)));
  }
  response->over_tcp = over_tcp;
  return response;
}

}  // namespace anchorage::dns
