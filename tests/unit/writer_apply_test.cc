// SPDX-License-Identifier: Apache-2.0
//
// Tests of the apply() sequence every writer shares, with the BIND writer and shell scripts in
// place of named-checkconf and rndc: check before write, atomic write keeping the file mode,
// reload, NTA commands, flushes limited to what changed, dry run, and the roll back to the previous
// file after a failed reload or verification. No resolver runs here; tests/resolvers has those.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "writers/bind_writer.h"
#include "writers/writer.h"

namespace anchorage::writers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

model::TrustAnchor ds(std::string_view owner, std::string_view rdata) {
  model::TrustAnchor a;
  a.record = {model::DomainName::parse(owner).value(), 3600, model::parseDsRdata(rdata).value()};
  return a;
}

AnchorSet corpAndRsa(std::string_view corp_digest = "AABBCCDD") {
  AnchorSet set;
  set.anchors = {ds("corp.example.", "1111 13 2 " + std::string(corp_digest)),
                 ds("rsa.example.", "2222 8 2 11223344")};
  return set;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class WriterApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/anchorage-apply-test-" + std::string(6, 'X');
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    log_ = dir_ + "/log";
    file_ = dir_ + "/anchors.conf";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Commands that log what they were asked to do; the check wants the state comment.
  WriterSettings settings() const {
    WriterSettings s;
    s.type = ResolverType::kBind;
    s.anchor_file = file_;
    s.check_command = {"/bin/sh", "-c",
                       "echo check >> " + log_ + "; grep -q anchorage-state \"$0\"", "{file}"};
    s.reload_command = {"/bin/sh", "-c", "echo reload >> " + log_};
    s.flush_command = {"/bin/sh", "-c", "echo flush $0 >> " + log_, "{zone}"};
    s.control_command = {"/bin/sh", "-c", "echo \"$0 $*\" >> " + log_, "rndc"};
    s.timeout = std::chrono::milliseconds(5000);
    return s;
  }

  std::unique_ptr<Writer> make(const WriterSettings& s) const {
    auto w = createWriter(s, [] { return model::parseTime("2026-12-03T12:00:00Z").value(); });
    EXPECT_TRUE(w) << w.error().toString();
    return std::move(*w);
  }

  std::vector<std::string> logLines() const {
    std::vector<std::string> out;
    std::istringstream in(slurp(log_));
    std::string line;
    while (std::getline(in, line)) {
      out.push_back(line);
    }
    std::filesystem::remove(log_);
    return out;
  }

  std::string dir_;
  std::string log_;
  std::string file_;
};

TEST_F(WriterApplyTest, FirstApplyChecksWritesReloadsAndFlushesEverything) {
  auto w = make(settings());
  const ApplyReport report = w->apply(corpAndRsa());
  ASSERT_TRUE(report.ok()) << report.result.error().toString();
  EXPECT_TRUE(report.changed);
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(slurp(file_), w->render(corpAndRsa()).value());
  // No earlier state comment: everything is flushed.
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "flush ."));
  EXPECT_EQ(report.flushed, std::vector<std::string>{"."});
  EXPECT_THAT(report.diff, HasSubstr("--- /dev/null\n+++ " + file_));
  EXPECT_FALSE(std::filesystem::exists(file_ + ".anchorage-check"));
}

TEST_F(WriterApplyTest, SameSetAgainDoesNothing) {
  auto w = make(settings());
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  logLines();
  const ApplyReport again = w->apply(corpAndRsa());
  EXPECT_TRUE(again.ok());
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(again.diff.empty());
  EXPECT_TRUE(logLines().empty());
}

TEST_F(WriterApplyTest, ForceReappliesAnUnchangedSet) {
  auto w = make(settings());
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  logLines();
  const ApplyReport forced = w->apply(corpAndRsa(), {.force = true});
  EXPECT_TRUE(forced.ok());
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "flush ."));
}

TEST_F(WriterApplyTest, FlushesOnlyTheTrustPointsThatChanged) {
  auto w = make(settings());
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  logLines();
  const ApplyReport report = w->apply(corpAndRsa("AABBCCEE"));
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "flush corp.example."));
  EXPECT_THAT(report.diff, HasSubstr("-  \"corp.example.\" static-ds 1111 13 2 \"AABBCCDD\";\n"
                                     "+  \"corp.example.\" static-ds 1111 13 2 \"AABBCCEE\";\n"));
}

TEST_F(WriterApplyTest, CheckerRejectionWritesNothing) {
  auto w0 = make(settings());
  ASSERT_TRUE(w0->apply(corpAndRsa()).ok());
  const std::string before = slurp(file_);
  logLines();
  WriterSettings s = settings();
  s.check_command = {"/bin/sh", "-c", "echo \"$0:2: bad hex encoding\" >&2; exit 1", "{file}"};
  auto w = make(s);
  const ApplyReport report = w->apply(corpAndRsa("AABBCCEE"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failed_step, ApplyStep::kCheck);
  EXPECT_EQ(report.result.error().field("step"), "check");
  EXPECT_EQ(report.result.error().field("resolver"), "bind");
  EXPECT_THAT(report.result.error().field("resolver_output"), HasSubstr(":2: bad hex encoding"));
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(slurp(file_), before);
  EXPECT_TRUE(logLines().empty());
}

TEST_F(WriterApplyTest, FailedReloadRestoresThePreviousFileAndReloadsIt) {
  WriterSettings s = settings();
  // The "resolver" refuses any file that mentions key tag 4242.
  s.reload_command = {"/bin/sh", "-c",
                      "echo reload >> " + log_ + "; if grep -q 4242 " + file_ +
                          "; then echo 'reconfig failed: failure' >&2; exit 1; fi"};
  auto w = make(s);
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  const std::string good = slurp(file_);
  logLines();
  AnchorSet bad = corpAndRsa();
  bad.anchors.push_back(ds("corp.example.", "4242 13 2 DEADBEEF"));
  const ApplyReport report = w->apply(bad);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failed_step, ApplyStep::kReload);
  EXPECT_TRUE(report.rolled_back);
  EXPECT_FALSE(report.rollback_error);
  EXPECT_THAT(report.result.error().field("resolver_output"), HasSubstr("reconfig failed"));
  EXPECT_EQ(slurp(file_), good);
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "reload", "flush corp.example."));
}

TEST_F(WriterApplyTest, DryRunShowsTheDiffAndTouchesNothing) {
  auto w = make(settings());
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  const std::string before = slurp(file_);
  logLines();
  const ApplyReport report = w->apply(corpAndRsa("AABBCCEE"), {.dry_run = true});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report.dry_run);
  EXPECT_TRUE(report.changed);
  EXPECT_THAT(report.diff, HasSubstr("+  \"corp.example.\" static-ds 1111 13 2 \"AABBCCEE\";"));
  EXPECT_EQ(slurp(file_), before);
  EXPECT_THAT(logLines(), ElementsAre("check"));
}

TEST_F(WriterApplyTest, KeepsTheModeOfTheFileOrSetsTheConfiguredOne) {
  std::ofstream(file_) << "# hand-written\n";
  ASSERT_EQ(::chmod(file_.c_str(), 0640), 0);
  auto w = make(settings());
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  WriterSettings s = settings();
  s.file_mode = 0600;
  ASSERT_TRUE(make(s)->apply(corpAndRsa("AABBCCEE")).ok());
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  s.file_owner = "anchorage-no-such-user";
  const ApplyReport report = make(s)->apply(corpAndRsa());
  EXPECT_EQ(report.failed_step, ApplyStep::kWrite);
}

TEST_F(WriterApplyTest, NtasGoThroughRndcAndAreWithdrawnAgain) {
  auto w = make(settings());
  AnchorSet with_nta = corpAndRsa();
  with_nta.ntas = {{model::DomainName::parse("lab.corp.example.").value(),
                    model::parseTime("2026-12-03T13:00:00Z").value(), "signer broken"}};
  ASSERT_TRUE(w->apply(with_nta).ok());
  EXPECT_THAT(logLines(),
              ElementsAre("check", "reload", "rndc nta -force -lifetime 3600 lab.corp.example.",
                          "flush ."));
  ASSERT_TRUE(w->apply(corpAndRsa()).ok());
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "rndc nta -remove lab.corp.example.",
                                      "flush lab.corp.example."));
}

TEST_F(WriterApplyTest, FailedVerificationRollsBackAndNamesTheProbe) {
  // A UDP socket that never answers stands in for a resolver that does not validate.
  const int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  WriterSettings s = settings();
  s.query_address = "127.0.0.1";
  s.query_port = ntohs(sa.sin_port);
  s.probes = {{"corp.example.", "www.corp.example."}};
  s.timeout = std::chrono::milliseconds(100);
  s.verify_timeout = std::chrono::milliseconds(300);
  auto w = make(s);
  const ApplyReport report = w->apply(corpAndRsa());
  ::close(silent);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failed_step, ApplyStep::kVerify);
  EXPECT_EQ(report.result.error().field("trust_point"), "corp.example.");
  EXPECT_EQ(report.result.error().field("probe"), "www.corp.example.");
  EXPECT_TRUE(report.rolled_back);
  ASSERT_EQ(report.probes.size(), 1u);
  EXPECT_FALSE(report.probes[0].validated);
  EXPECT_GE(report.probes[0].attempts, 2);
  EXPECT_LT(report.duration, std::chrono::milliseconds(3000));
  // There was no file before: the roll back removes the new one.
  EXPECT_FALSE(std::filesystem::exists(file_));
  EXPECT_THAT(logLines(), ElementsAre("check", "reload", "flush .", "reload", "flush ."));
}

TEST_F(WriterApplyTest, WriteAndRenderFailuresStopEarly) {
  WriterSettings s = settings();
  s.anchor_file = dir_ + "/missing-dir/anchors.conf";
  ApplyReport report = make(s)->apply(corpAndRsa());
  // The candidate for the checker goes beside the real file, so the check is where it shows.
  EXPECT_EQ(report.failed_step, ApplyStep::kCheck);
  EXPECT_EQ(report.result.error().code, ErrorCode::kIo);
  AnchorSet odd;
  odd.anchors = {ds("a\\\"b.example.", "1 13 2 AA")};
  report = make(settings())->apply(odd);
  EXPECT_EQ(report.failed_step, ApplyStep::kRender);
  EXPECT_EQ(report.result.error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(logLines().empty());
}

}  // namespace
}  // namespace anchorage::writers
