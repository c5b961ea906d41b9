// SPDX-License-Identifier: Apache-2.0
//
// anchorctl's offline commands, run as a real process: output, files written, exit codes.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "util/encoding.h"

namespace {

using anchorage::util::toLower;
namespace util = anchorage::util;

struct Outcome {
  int code = -1;
  std::string out;
};

// Runs anchorctl with `args` (shell-quoted by the caller); stderr is merged into out.
Outcome anchorctl(const std::string& args) {
  const std::string cmd = std::string(ANCHORCTL_PATH) + " " + args + " 2>&1";
  Outcome r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return r;
  }
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AnchorctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("anchorctl-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  std::filesystem::path dir_;
};

TEST_F(AnchorctlTest, DsOfRootKeyPrintsRootDs) {
  const Outcome r = anchorctl("ds /usr/share/dns/root.key");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, slurp("/usr/share/dns/root.ds"));
}

TEST_F(AnchorctlTest, DsWithTtlAndSha384) {
  const Outcome r = anchorctl("ds --digest sha384 --ttl 172800 /usr/share/dns/root.key");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(". 172800 IN DS 20326 8 4 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(". 172800 IN DS 38696 8 4 "), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, VerifyListsRootAnchors) {
  const Outcome r = anchorctl("verify /usr/share/dns/root.key /usr/share/dns/root.ds");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("key tag 20326, algorithm 8 (RSASHA256)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key tag 38696"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 anchors, all valid"), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, VerifyReportsFileLineAndExits65) {
  write("bad.zone",
        ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
        "; comment\n"
        "corp.example. IN DS 1 8 2 ABCD\n");
  const Outcome r = anchorctl("verify " + path("bad.zone"));
  EXPECT_EQ(r.code, 65) << r.out;
  EXPECT_NE(r.out.find(path("bad.zone") + ":3: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("needs 32"), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, VerifyMissingFileExits66) {
  const Outcome r = anchorctl("verify " + path("absent"));
  EXPECT_EQ(r.code, 66) << r.out;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, VerifyJsonOutputIsMachineReadable) {
  const Outcome r = anchorctl("--output json verify /usr/share/dns/root.ds");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"valid\": true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"key_tag\": 38696"), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, ConvertRoundTripsThroughEveryWritableFormat) {
  for (const std::string to : {"zone", "dsset", "xml", "json"}) {
    const std::string out = path("root." + to);
    const Outcome c = anchorctl("convert --to " + to + " -o " + out + " /usr/share/dns/root.ds");
    ASSERT_EQ(c.code, 0) << to << ": " << c.out;
    const Outcome d = anchorctl("convert --to zone " + out);
    ASSERT_EQ(d.code, 0) << to << ": " << d.out;
    EXPECT_NE(d.out.find("E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"),
              std::string::npos)
        << to << ": " << d.out;
    EXPECT_NE(d.out.find("683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"),
              std::string::npos)
        << to << ": " << d.out;
  }
}

TEST_F(AnchorctlTest, ConvertRendersEachResolversOwnSyntax) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"unbound", ". 3600 IN DS 20326 8 2 E06D44B8"},
      {"bind", "static-ds 20326 8 2"},
      {"pdns", "addTA('.', '20326 8 2 e06d44b8"},
      {"resolved", ". IN DS 20326 8 2 E06D44B8"},
      {"knot", "20326 8 2 e06d44b8"},
  };
  for (const auto& [to, says] : expected) {
    const Outcome r = anchorctl("convert --to " + to + " /usr/share/dns/root.ds");
    ASSERT_EQ(r.code, 0) << to << ": " << r.out;
    EXPECT_NE(util::toLower(r.out).find(util::toLower(says)), std::string::npos)
        << to << ": " << r.out;
  }
  const Outcome written =
      anchorctl("convert --to unbound -o " + path("root.anchors") + " /usr/share/dns/root.key");
  ASSERT_EQ(written.code, 0) << written.out;
  EXPECT_NE(slurp(path("root.anchors")).find("DNSKEY 257 3 8 AwEAAa96"), std::string::npos);
}

TEST_F(AnchorctlTest, ConvertWritesNothingWhenAnInputIsBad) {
  write("bad.zone", "corp.example. IN DS 1 8 2 ZZ\n");
  const Outcome r = anchorctl("convert --to zone -o " + path("out") + " /usr/share/dns/root.ds " +
                              path("bad.zone"));
  EXPECT_EQ(r.code, 65) << r.out;
  EXPECT_FALSE(std::filesystem::exists(path("out")));
  EXPECT_NE(r.out.find("nothing written"), std::string::npos) << r.out;
}

TEST_F(AnchorctlTest, UsageErrorsExit64) {
  EXPECT_EQ(anchorctl("").code, 64);
  EXPECT_EQ(anchorctl("frobnicate").code, 64);
  EXPECT_EQ(anchorctl("ds --digest md5 /usr/share/dns/root.key").code, 64);
  EXPECT_EQ(anchorctl("convert --to pdf /usr/share/dns/root.ds").code, 64);
  EXPECT_EQ(anchorctl("verify --format yaml /usr/share/dns/root.ds").code, 64);
}

TEST_F(AnchorctlTest, HelpAndVersionExitZero) {
  const Outcome help = anchorctl("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("verify"), std::string::npos);
  const Outcome sub = anchorctl("ds --help");
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("dnssec-dsfromkey"), std::string::npos) << sub.out;
  const Outcome version = anchorctl("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find(ANCHORAGE_VERSION), std::string::npos);
}

TEST_F(AnchorctlTest, BadConfigurationExits78WithItsLocation) {
  write("bad.yaml", "directory:\n  read: [ldapi:///]\nresolver: []\n");
  const Outcome r = anchorctl("-c " + path("bad.yaml") + " verify /usr/share/dns/root.ds");
  EXPECT_EQ(r.code, 78) << r.out;
  EXPECT_NE(r.out.find(path("bad.yaml") + ":3:1: resolver"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("resolvers"), std::string::npos) << r.out;
  write("good.yaml", "directory:\n  read: [ldapi:///]\n");
  EXPECT_EQ(anchorctl("-c " + path("good.yaml") + " verify /usr/share/dns/root.ds").code, 0);
}

TEST_F(AnchorctlTest, ReadsStandardInput) {
  const Outcome r = anchorctl("ds - < /usr/share/dns/root.key");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, slurp("/usr/share/dns/root.ds"));
}

}  // namespace
