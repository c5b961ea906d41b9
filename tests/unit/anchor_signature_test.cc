// SPDX-License-Identifier: Apache-2.0
//
// Publisher signatures over anchors: Ed25519 keys made for the test, signing and checking, and
// every way a stored signature can be wrong.

#include "formats/anchor_signature.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include "agent/policy.h"
#include "model/anchor.h"

namespace anchorage::formats {
namespace {

// Makes an Ed25519 key pair in `dir` as NAME.key (private) and NAME.pub (public), PEM.
void makeKeyPair(const std::string& dir, const std::string& name) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(key, nullptr);
  FILE* priv = std::fopen((dir + "/" + name + ".key").c_str(), "w");
  FILE* pub = std::fopen((dir + "/" + name + ".pub").c_str(), "w");
  ASSERT_TRUE(priv && pub);
  EXPECT_EQ(PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  EXPECT_EQ(PEM_write_PUBKEY(pub, key), 1);
  std::fclose(priv);
  std::fclose(pub);
  EVP_PKEY_free(key);
}

model::AnchorRecord ds(const std::string& owner, const std::string& rdata) {
  return {model::DomainName::parse(owner).value(), 3600, model::parseDsRdata(rdata).value()};
}

const char* kRdata = "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
const char* kOther = "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8E";

class AnchorSignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("anchor-signature-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    makeKeyPair(dir_, "alice");
    makeKeyPair(dir_, "bob");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  std::filesystem::path dir_;
};

TEST_F(AnchorSignatureTest, ASignedAnchorVerifiesWithItsPublishersKeyOnly) {
  auto alice = AnchorSigner::load(path("alice.key"));
  ASSERT_TRUE(alice) << alice.error().toString();
  const auto record = ds("example.net.", kRdata);
  const std::string signature = alice->sign(record);
  EXPECT_TRUE(signature.starts_with("ed25519 " + alice->keyId() + " ")) << signature;
  EXPECT_EQ(alice->keyId().size(), 16u);
  EXPECT_EQ(signedAnchorText(record), std::string("anchorage-anchor-v1 example.net. DS ") + kRdata);

  auto both = AnchorVerifier::load({path("bob.pub"), path("alice.pub")});
  ASSERT_TRUE(both) << both.error().toString();
  EXPECT_EQ(both->size(), 2u);
  EXPECT_TRUE(both->verify(record, signature));
  // The TTL is not signed: the same anchor with another TTL still verifies.
  auto longer = record;
  longer.ttl = 86400;
  EXPECT_TRUE(both->verify(longer, signature));

  auto bob_only = AnchorVerifier::load({path("bob.pub")});
  ASSERT_TRUE(bob_only);
  auto refused = bob_only->verify(record, signature);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not a trusted publisher"), std::string::npos);
}

TEST_F(AnchorSignatureTest, AlteredAnchorsAndMalformedSignaturesAreRefused) {
  auto alice = AnchorSigner::load(path("alice.key"));
  auto verifier = AnchorVerifier::load({path("alice.pub")});
  ASSERT_TRUE(alice && verifier);
  const std::string signature = alice->sign(ds("example.net.", kRdata));
  const std::pair<model::AnchorRecord, std::string> cases[] = {
      {ds("example.net.", kOther), "does not match"},
      {ds("example.org.", kRdata), "does not match"},
  };
  for (const auto& [record, message] : cases) {
    auto r = verifier->verify(record, signature);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
  const auto record = ds("example.net.", kRdata);
  const std::pair<std::string, std::string> bad[] = {
      {"", "not signed"},
      {"rsa " + alice->keyId() + " AAAA", "is not \"ed25519"},
      {"ed25519 " + alice->keyId(), "is not \"ed25519"},
      {"ed25519 " + alice->keyId() + " bm90IDY0IG9jdGV0cw==", "64 octets"},
      {"ed25519 " + alice->keyId() + " " + std::string(88, '!'), "64 octets"},
  };
  for (const auto& [text, message] : bad) {
    auto r = verifier->verify(record, text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
}

TEST_F(AnchorSignatureTest, KeyFilesAreCheckedWhenLoaded) {
  EXPECT_EQ(AnchorSigner::load(path("missing.key")).error().code, ErrorCode::kNotFound);
  auto public_as_private = AnchorSigner::load(path("alice.pub"));
  ASSERT_FALSE(public_as_private);
  EXPECT_NE(public_as_private.error().message.find("Ed25519 private key"), std::string::npos);
  auto twice = AnchorVerifier::load({path("alice.pub"), path("alice.pub")});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConfig);
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  ASSERT_NE(rsa, nullptr);
  FILE* f = std::fopen(path("rsa.pub").c_str(), "w");
  PEM_write_PUBKEY(f, rsa);
  std::fclose(f);
  EVP_PKEY_free(rsa);
  auto not_ed25519 = AnchorVerifier::load({path("rsa.pub")});
  ASSERT_FALSE(not_ed25519);
  EXPECT_NE(not_ed25519.error().message.find("Ed25519 public key"), std::string::npos);
}

TEST_F(AnchorSignatureTest, ThePolicyStepQuarantinesWhatNoTrustedPublisherSigned) {
  auto alice = AnchorSigner::load(path("alice.key"));
  auto verifier = AnchorVerifier::load({path("alice.pub")});
  ASSERT_TRUE(alice && verifier);
  directory::ScopeContent content;
  model::TrustAnchor good;
  good.record = ds("example.net.", kRdata);
  good.publisher_signature = alice->sign(good.record);
  model::TrustAnchor unsigned_anchor;
  unsigned_anchor.record = ds("example.org.", kRdata);
  model::TrustAnchor forged = good;
  forged.record = ds("example.net.", kOther);
  content.anchors = {good, unsigned_anchor, forged};
  agent::requirePublisherSignatures(
      content,
      [&](const model::TrustAnchor& a) -> std::optional<std::string> {
        auto r = verifier->verify(a.record, a.publisher_signature);
        return r ? std::nullopt : std::optional<std::string>(r.error().message);
      },
      [](const model::TrustAnchor& a) { return "cn=" + a.id(); });
  ASSERT_EQ(content.anchors.size(), 1u);
  EXPECT_EQ(content.anchors[0].record, good.record);
  ASSERT_EQ(content.quarantined.size(), 2u);
  EXPECT_EQ(content.quarantined[0].dn, "cn=" + unsigned_anchor.id());
  EXPECT_NE(content.quarantined[0].reason.find("not signed"), std::string::npos);
  EXPECT_NE(content.quarantined[1].reason.find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace anchorage::formats
