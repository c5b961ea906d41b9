// SPDX-License-Identifier: Apache-2.0
//
// End-to-end tests of the writers against each real resolver: anchors written by the writer make
// the resolver validate (AD=1, RFC 4035 §3.2.3) under NSEC and NSEC3 (RFC 5155) zones, a wrong DS
// is caught by verification and rolled back while the resolver keeps validating under the
// previous set, withdrawing and restoring an anchor takes effect without a restart, an NTA switches
// validation off below its name (RFC 7646) and back on when withdrawn, and a file the resolver
// could not parse never reaches it.

#include <gtest/gtest.h>

#include "resolvers/fixture.h"
#include "util/file.h"
#include "writers/bind_writer.h"
#include "writers/knot_writer.h"
#include "writers/powerdns_writer.h"
#include "writers/unbound_writer.h"

namespace anchorage::resolvertest {
namespace {

using writers::AnchorSet;
using writers::ApplyReport;
using writers::ApplyStep;

template <typename Server>
class WriterEndToEndTest : public ResolverFixture<Server> {
 protected:
  void SetUp() override {
    ResolverFixture<Server>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) {
      return;
    }
    auto w = writers::createWriter(this->server_.writerSettings());
    ASSERT_TRUE(w) << w.error().toString();
    writer_ = std::move(*w);
  }

  const SignedZone& corp() const { return this->network().corp(); }
  const SignedZone& rsa() const { return this->network().rsa(); }

  AnchorSet goodSet() const {
    AnchorSet set;
    set.anchors = {corp().ds, rsa().ds};
    return set;
  }

  /// Applies `set` and fails the test with everything known when it does not succeed.
  void applyOk(const AnchorSet& set) {
    const ApplyReport report = writer_->apply(set);
    ASSERT_TRUE(report.ok()) << report.result.error().toString() << "\n" << this->server_.log();
  }

  /// Queries `name` and returns "AD", "insecure" or what failed, for compact assertions.
  std::string validation(const std::string& name) const {
    auto r = this->server_.query(name);
    if (!r) {
      return r.error().toString();
    }
    if (r->rcode != dns::Rcode::kNoError && r->rcode != dns::Rcode::kNxDomain) {
      return r->summary();
    }
    return r->authentic_data ? "AD" : "insecure";
  }

  std::unique_ptr<writers::Writer> writer_;
};
TYPED_TEST_SUITE(WriterEndToEndTest, ResolverTypes, ResolverNames);

TYPED_TEST(WriterEndToEndTest, DsAnchorGivesAd) {
  this->applyOk(this->goodSet());
  EXPECT_EQ(this->validation(this->corp().probe), "AD");
  EXPECT_EQ(this->validation(this->rsa().probe), "AD");
  // Denial of existence validates too: NSEC in corp.example., NSEC3 in rsa.example.
  EXPECT_EQ(this->validation("nothing-here.corp.example."), "AD");
  EXPECT_EQ(this->validation("nothing-here.rsa.example."), "AD");
}

TYPED_TEST(WriterEndToEndTest, DnskeyAnchorGivesAd) {
  AnchorSet set;
  set.anchors = {this->corp().dnskey, this->rsa().dnskey};
  this->applyOk(set);
  EXPECT_EQ(this->validation(this->corp().probe), "AD");
  EXPECT_EQ(this->validation(this->rsa().probe), "AD");
}

TYPED_TEST(WriterEndToEndTest, WrongDsIsCaughtByVerifyAndRolledBack) {
  this->applyOk(this->goodSet());
  const auto& file = this->server_.writerSettings().anchor_file;
  const std::string good_file = util::readFile(file, 1 << 20).value();

  AnchorSet wrong;
  wrong.anchors = {this->corp().wrong_ds, this->rsa().ds};
  const ApplyReport report = this->writer_->apply(wrong);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failed_step, ApplyStep::kVerify) << report.result.error().toString();
  EXPECT_EQ(report.result.error().field("trust_point"), "corp.example.");
  EXPECT_TRUE(report.rolled_back);
  EXPECT_FALSE(report.rollback_error) << report.rollback_error->toString();
  EXPECT_EQ(util::readFile(file, 1 << 20).value(), good_file);
  EXPECT_EQ(this->validation(this->corp().probe), "AD") << this->server_.log();
  EXPECT_EQ(this->validation(this->rsa().probe), "AD");
  EXPECT_TRUE(this->server_.running());
}

TYPED_TEST(WriterEndToEndTest, RemovingAnAnchorEndsValidationAndAddingItBackRestoresIt) {
  this->applyOk(this->goodSet());
  const pid_t pid = this->server_.pid();
  EXPECT_EQ(this->validation(this->corp().probe), "AD");

  AnchorSet rsa_only;
  rsa_only.anchors = {this->rsa().ds};
  this->applyOk(rsa_only);
  EXPECT_EQ(this->validation(this->corp().probe), "insecure");
  EXPECT_EQ(this->validation(this->rsa().probe), "AD");

  this->applyOk(this->goodSet());
  EXPECT_EQ(this->validation(this->corp().probe), "AD");
  EXPECT_TRUE(this->server_.running());
  EXPECT_EQ(this->server_.pid(), pid);  // no restart
}

TYPED_TEST(WriterEndToEndTest, NtaSwitchesValidationOffBelowItsNameAndBackOn) {
  this->applyOk(this->goodSet());
  EXPECT_EQ(this->validation(this->corp().lab_probe), "AD");

  AnchorSet with_nta = this->goodSet();
  with_nta.ntas = {{model::DomainName::parse("lab.corp.example.").value(),
                    std::chrono::time_point_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now() + std::chrono::hours(1)),
                    "signer maintenance"}};
  this->applyOk(with_nta);
  EXPECT_EQ(this->validation(this->corp().lab_probe), "insecure");
  EXPECT_EQ(this->validation(this->corp().probe), "AD");

  this->applyOk(this->goodSet());
  EXPECT_EQ(this->validation(this->corp().lab_probe), "AD");
}

/// A writer whose renderer has gone wrong: it puts a line the resolver cannot parse before the
/// last line of one of its files. Stands in for any bug between the model and the file.
template <typename Base>
class CorruptingWriter : public Base {
 public:
  CorruptingWriter(writers::WriterSettings settings, std::string target, std::string garbage)
      : Base(std::move(settings)), target_(std::move(target)), garbage_(std::move(garbage)) {}

  Result<std::vector<writers::FileContent>> renderFiles(const AnchorSet& set) const override {
    auto files = Base::renderFiles(set);
    for (auto& f : *files) {
      if (f.path == target_ && f.content) {
        const size_t last = f.content->rfind('\n', f.content->size() - 2);
        f.content->insert(last == std::string::npos ? 0 : last + 1, garbage_);
      }
    }
    return files;
  }

 private:
  std::string target_;
  std::string garbage_;
};

template <typename Server>
std::unique_ptr<writers::Writer> corruptingWriter(const writers::WriterSettings& s) {
  if constexpr (std::is_same_v<Server, UnboundServer>) {
    return std::make_unique<CorruptingWriter<writers::UnboundWriter>>(
        s, s.anchor_file, "corp.example. 3600 IN DS 4321 13 2 zz\n");
  } else if constexpr (std::is_same_v<Server, BindServer>) {
    return std::make_unique<CorruptingWriter<writers::BindWriter>>(
        s, s.anchor_file, "trust-anchors { \"corp.example.\" static-ds 4321 13 2 \"zz\"; };\n");
  } else if constexpr (std::is_same_v<Server, KnotServer>) {
    return std::make_unique<CorruptingWriter<writers::KnotWriter>>(
        s, s.anchor_file + ".d/corp.example.anchor", "corp.example. 3600 IN DS 4321 13 2 zz\n");
  } else {
    return std::make_unique<CorruptingWriter<writers::PowerDnsWriter>>(
        s, s.anchor_file, "addTA('corp.example.', '4321 13 2 zz')\n");
  }
}

TYPED_TEST(WriterEndToEndTest, UnparsableFileNeverReachesTheResolver) {
  this->applyOk(this->goodSet());
  const auto settings = this->server_.writerSettings();
  const std::string good_file = util::readFile(settings.anchor_file, 1 << 20).value();

  // Two corp anchors, so that a parser which stops at the bad line still finds the first one
  // (kresd does, silently): the files must be refused, not loaded in part.
  AnchorSet changed;
  changed.anchors = {this->corp().dnskey, this->corp().ds, this->rsa().ds};
  const ApplyReport report = corruptingWriter<TypeParam>(settings)->apply(changed);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failed_step, ApplyStep::kCheck) << report.result.error().toString();
  EXPECT_FALSE(report.result.error().field("resolver_output").empty());
  EXPECT_FALSE(report.rolled_back);  // nothing was written
  EXPECT_EQ(util::readFile(settings.anchor_file, 1 << 20).value(), good_file);
  // Unbound would have exited on reload with this file (P3); it keeps running and validating.
  EXPECT_TRUE(this->server_.running()) << this->server_.log();
  EXPECT_EQ(this->validation(this->corp().probe), "AD");
}

}  // namespace
}  // namespace anchorage::resolvertest
