// SPDX-License-Identifier: Apache-2.0
//
// Tests of the DNS stub client the writers verify with (src/dns): the query has DO=1 and AD=1
// in EDNS, responses are matched to the query, parsed with their EDE options (RFC 8914), hostile
// bytes never crash the parser, and the exchange falls back to TCP on TC and ends at its timeout.
// The exchanges run against an in-process fake server on an ephemeral loopback port.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "dns/client.h"

namespace anchorage::dns {
namespace {

using Bytes = std::vector<uint8_t>;
using std::chrono::milliseconds;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v & 0xff));
}

void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v & 0xffff));
}

/// What a fake response should contain.
struct Reply {
  uint8_t rcode = 0;
  bool ad = true;
  bool tc = false;
  bool with_answer = true;
  Bytes options;  // OPT RDATA
  int id_delta = 0;
};

/// Builds a response to `query` (copying its question) from `r`.
Bytes makeResponse(const Bytes& query, const Reply& r) {
  Bytes out;
  put16(out, static_cast<uint16_t>(((query[0] << 8) | query[1]) + r.id_delta));
  out.push_back(static_cast<uint8_t>(0x80 | (query[2] & 0x01) | (r.tc ? 0x02 : 0)));
  out.push_back(static_cast<uint8_t>(0x80 | (r.ad ? 0x20 : 0) | (r.rcode & 0x0f)));
  put16(out, 1);
  put16(out, r.with_answer ? 1 : 0);
  put16(out, 0);
  put16(out, 1);
  size_t pos = 12;
  while (query[pos] != 0) {
    pos += 1 + query[pos];
  }
  out.insert(out.end(), query.begin() + 12, query.begin() + static_cast<long>(pos) + 5);
  if (r.with_answer) {
    put16(out, 0xc00c);  // pointer to the question name
    put16(out, kTypeA);
    put16(out, 1);
    put32(out, 300);
    put16(out, 4);
    for (uint8_t x : {192, 0, 2, 7}) {
      out.push_back(x);
    }
  }
  out.push_back(0);  // OPT owner: root
  put16(out, 41);
  put16(out, 1232);
  put32(out, 0x00008000);
  put16(out, static_cast<uint16_t>(r.options.size()));
  out.insert(out.end(), r.options.begin(), r.options.end());
  return out;
}

Bytes edeOption(uint16_t code, std::string_view text) {
  Bytes b;
  put16(b, 15);
  put16(b, static_cast<uint16_t>(2 + text.size()));
  put16(b, code);
  b.insert(b.end(), text.begin(), text.end());
  return b;
}

Bytes sampleQuery() {
  QueryOptions o;
  return buildQuery("www.corp.example.", kTypeA, 0x1234, o).value();
}

/// A fake DNS server on 127.0.0.1 (UDP and TCP on one ephemeral port) answering with `udp` and
/// `tcp` callbacks; a callback returning no messages stays silent.
class FakeServer {
 public:
  using Handler = std::function<std::vector<Bytes>(const Bytes&)>;

  FakeServer(Handler udp, Handler tcp)
      : udp_handler_(std::move(udp)), tcp_handler_(std::move(tcp)) {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      open();
    }
    thread_ = std::thread([this] { run(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }
  uint16_t port() const { return port_; }
  int tcpQueries() const { return tcp_queries_; }

 private:
  void open() {
    udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    ::bind(udp_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    ::getsockname(udp_, reinterpret_cast<sockaddr*>(&sa), &len);
    tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 && ::listen(tcp_, 4) == 0) {
      port_ = ntohs(sa.sin_port);
      return;
    }
    ::close(udp_);
    ::close(tcp_);
  }

  void run() {
    while (!stop_) {
      pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(fds, 2, 20) <= 0) {
        continue;
      }
      if (fds[0].revents & POLLIN) {
        Bytes buf(65535);
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        const ssize_t n =
            ::recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        buf.resize(static_cast<size_t>(n));
        for (const Bytes& m : udp_handler_(buf)) {
          ::sendto(udp_, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (fds[1].revents & POLLIN) {
        serveTcp(::accept(tcp_, nullptr, nullptr));
      }
    }
  }

  void serveTcp(int conn) {
    uint8_t len[2];
    if (::recv(conn, len, 2, MSG_WAITALL) == 2) {
      Bytes q(static_cast<size_t>(len[0] << 8 | len[1]));
      ::recv(conn, q.data(), q.size(), MSG_WAITALL);
      ++tcp_queries_;
      for (const Bytes& m : tcp_handler_(q)) {
        Bytes framed;
        put16(framed, static_cast<uint16_t>(m.size()));
        framed.insert(framed.end(), m.begin(), m.end());
        ::send(conn, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
    }
    ::close(conn);
  }

  Handler udp_handler_;
  Handler tcp_handler_;
  int udp_ = -1;
  int tcp_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> tcp_queries_{0};
  std::thread thread_;
};

QueryOptions optionsFor(const FakeServer& s, milliseconds timeout = milliseconds(2000)) {
  QueryOptions o;
  o.address = "127.0.0.1";
  o.port = s.port();
  o.timeout = timeout;
  return o;
}

TEST(DnsQueryTest, QueryCarriesDoAdRdAndEdns) {
  const Bytes q = sampleQuery();
  ASSERT_GT(q.size(), 12u + 11u);
  EXPECT_EQ(q[0], 0x12);
  EXPECT_EQ(q[1], 0x34);
  EXPECT_EQ(q[2] & 0x01, 0x01);  // RD
  EXPECT_EQ(q[3] & 0x20, 0x20);  // AD
  EXPECT_EQ(q[3] & 0x10, 0x00);  // CD
  EXPECT_EQ(q[11], 1);           // ARCOUNT: the OPT record
  // The OPT record closes the message: root owner, type 41, class = payload size, DO in flags.
  const size_t opt = q.size() - 11;
  EXPECT_EQ(q[opt], 0);
  EXPECT_EQ(q[opt + 1] << 8 | q[opt + 2], 41);
  EXPECT_EQ(q[opt + 3] << 8 | q[opt + 4], 1232);
  EXPECT_EQ(q[opt + 7] & 0x80, 0x80);
}

TEST(DnsQueryTest, QueryCanLeaveDoAndAdUnset) {
  QueryOptions o;
  o.dnssec_ok = false;
  o.authentic_data = false;
  o.checking_disabled = true;
  const Bytes q = buildQuery("corp.example.", kTypeDnskey, 7, o).value();
  EXPECT_EQ(q[3] & 0x20, 0x00);
  EXPECT_EQ(q[3] & 0x10, 0x10);
  EXPECT_EQ(q[q.size() - 11 + 7] & 0x80, 0x00);
}

TEST(DnsQueryTest, QueryRejectsBadNames) {
  QueryOptions o;
  EXPECT_FALSE(buildQuery("a..example.", kTypeA, 1, o));
  EXPECT_FALSE(buildQuery(std::string(64, 'a') + ".example.", kTypeA, 1, o));
}

TEST(DnsQueryTest, ResponseMatchingChecksIdQrAndQuestion) {
  const Bytes q = sampleQuery();
  Bytes r = makeResponse(q, {});
  EXPECT_TRUE(answersQuery(q, r));
  Bytes upper = r;
  upper[13] = 'W';  // first letter of "www": names compare case-insensitively
  EXPECT_TRUE(answersQuery(q, upper));
  EXPECT_FALSE(answersQuery(q, makeResponse(q, {.id_delta = 1})));
  Bytes not_response = r;
  not_response[2] &= 0x7f;
  EXPECT_FALSE(answersQuery(q, not_response));
  Bytes other_type = r;
  other_type[12 + 18 + 1] = 28;  // QTYPE low byte after "\3www\4corp\7example\0"
  EXPECT_FALSE(answersQuery(q, other_type));
  EXPECT_FALSE(answersQuery(q, Bytes(r.begin(), r.begin() + 20)));
  EXPECT_FALSE(answersQuery(q, {}));
}

TEST(DnsQueryTest, ParsesRcodeAdAnswerAndEde) {
  const Bytes q = sampleQuery();
  Reply reply{.rcode = 2, .ad = false};
  reply.options = edeOption(9, "DS hash mismatches key");
  const Bytes more = edeOption(6, "");
  reply.options.insert(reply.options.end(), more.begin(), more.end());
  auto r = parseResponse(makeResponse(q, reply));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->rcode, Rcode::kServFail);
  EXPECT_FALSE(r->authentic_data);
  ASSERT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(r->answer[0].owner, "www.corp.example.");
  EXPECT_EQ(r->answer[0].type, kTypeA);
  EXPECT_EQ(r->answer[0].ttl, 300u);
  EXPECT_EQ(r->answer[0].rdata_text, "192.0.2.7");
  EXPECT_EQ(r->answer[0].rdata, (Bytes{192, 0, 2, 7}));
  ASSERT_EQ(r->extended_errors.size(), 2u);
  EXPECT_EQ(r->extended_errors[0].code, 9);
  EXPECT_EQ(r->extended_errors[0].text, "DS hash mismatches key");
  EXPECT_EQ(r->extended_errors[1].code, 6);
  EXPECT_EQ(r->summary(),
            "SERVFAIL, EDE 9 (DNSKEY Missing): DS hash mismatches key, EDE 6 "
            "(DNSSEC Bogus)");
}

TEST(DnsQueryTest, ParsesAuthenticatedAnswer) {
  auto r = parseResponse(makeResponse(sampleQuery(), {}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, Rcode::kNoError);
  EXPECT_TRUE(r->authentic_data);
  EXPECT_TRUE(r->extended_errors.empty());
  EXPECT_EQ(r->summary(), "NOERROR, AD");
}

TEST(DnsQueryTest, EdeParsingSurvivesDamage) {
  Bytes options = edeOption(24, std::string("bad\ntext\x7f") + '\0');
  auto e = extendedErrorsFromOptions(options);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, 24);
  EXPECT_EQ(e[0].text, "bad?text?");
  // A truncated second option is dropped, the first kept.
  Bytes two = edeOption(3, "stale");
  const Bytes cut = edeOption(6, "cut off");
  two.insert(two.end(), cut.begin(), cut.end() - 3);
  e = extendedErrorsFromOptions(two);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].text, "stale");
  // Options of other codes and an EDE too short to hold an INFO-CODE are skipped.
  Bytes other = {0, 10, 0, 2, 1, 2, 0, 15, 0, 1, 9};
  EXPECT_TRUE(extendedErrorsFromOptions(other).empty());
  Bytes long_text = edeOption(0, std::string(4000, 'x'));
  EXPECT_EQ(extendedErrorsFromOptions(long_text).at(0).text.size(), 512u);
}

TEST(DnsQueryTest, HostileBytesNeverCrashTheParser) {
  const Bytes good = makeResponse(sampleQuery(), {.options = edeOption(9, "x")});
  for (size_t n = 0; n < good.size(); ++n) {
    (void)parseResponse(Bytes(good.begin(), good.begin() + static_cast<long>(n)));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    Bytes b = good;
    for (int k = 0; k < 4; ++k) {
      b[rng() % b.size()] = static_cast<uint8_t>(rng());
    }
    (void)parseResponse(b);
    Bytes junk(rng() % 300);
    for (auto& x : junk) {
      x = static_cast<uint8_t>(rng());
    }
    (void)parseResponse(junk);
    (void)answersQuery(good, junk);
  }
  EXPECT_FALSE(parseResponse(Bytes(5, 0)));
}

TEST(DnsQueryTest, NamesOfCodesAndTypes) {
  EXPECT_EQ(rcodeName(Rcode::kNxDomain), "NXDOMAIN");
  EXPECT_EQ(rcodeName(static_cast<Rcode>(23)), "RCODE23");
  EXPECT_EQ(typeName(kTypeDnskey), "DNSKEY");
  EXPECT_EQ(parseType("AAAA").value(), kTypeAaaa);
  EXPECT_FALSE(parseType("NOSUCHTYPE"));
  EXPECT_EQ(extendedErrorName(6), "DNSSEC Bogus");
  EXPECT_EQ(extendedErrorName(999), "EDE999");
}

TEST(DnsQueryTest, ExchangesOverUdpAndIgnoresStrayDatagrams) {
  FakeServer server(
      [](const Bytes& q) {
        Bytes junk = {1, 2, 3};
        return std::vector<Bytes>{junk, makeResponse(q, {.id_delta = 5}), makeResponse(q, {})};
      },
      [](const Bytes&) { return std::vector<Bytes>{}; });
  auto r = query("www.corp.example.", kTypeA, optionsFor(server));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(r->authentic_data);
  EXPECT_FALSE(r->over_tcp);
  EXPECT_EQ(server.tcpQueries(), 0);
}

TEST(DnsQueryTest, FallsBackToTcpWhenTruncated) {
  FakeServer server(
      [](const Bytes& q) {
        return std::vector<Bytes>{makeResponse(q, {.tc = true, .with_answer = false})};
      },
      [](const Bytes& q) { return std::vector<Bytes>{makeResponse(q, {})}; });
  auto r = query("www.corp.example.", kTypeA, optionsFor(server));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(r->over_tcp);
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->answer.size(), 1u);
  EXPECT_EQ(server.tcpQueries(), 1);
}

TEST(DnsQueryTest, TimesOutWhenNobodyAnswers) {
  FakeServer server([](const Bytes&) { return std::vector<Bytes>{}; },
                    [](const Bytes&) { return std::vector<Bytes>{}; });
  const auto started = std::chrono::steady_clock::now();
  auto r = query("www.corp.example.", kTypeA, optionsFor(server, milliseconds(150)));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_GE(took, milliseconds(140));
  EXPECT_LT(took, milliseconds(1500));
}

TEST(DnsQueryTest, RejectsANonLiteralAddress) {
  QueryOptions o;
  o.address = "localhost.example";
  auto r = query("corp.example.", kTypeA, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace anchorage::dns
