// SPDX-License-Identifier: Apache-2.0
//
// Tests of detached CMS signature verification. The test makes its own CAs, signer certificates
// and signatures with the OpenSSL C API (EC P-256 keys, so setup stays fast) in a temporary
// directory, and checks a good signature and each way verification must fail.

#include "formats/signature.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

namespace anchorage::formats {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr long kDay = 24 * 3600;

/// A key and its certificate.
struct Identity {
  KeyPtr key;
  CertPtr cert;
};

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// Makes a certificate for a new key, valid from `from` to `until` seconds from now, signed by
/// `issuer` (self-signed when null). A CA gets CA:TRUE; a signer gets `eku` when given.
Identity makeIdentity(const char* cn, const Identity* issuer, bool ca, long from, long until,
                      const char* eku = nullptr) {
  Identity id{KeyPtr(EVP_EC_gen("P-256")), CertPtr(X509_new())};
  X509* c = id.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c),
                   static_cast<long>(std::hash<std::string>{}(cn)&0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(c), from);
  X509_gmtime_adj(X509_getm_notAfter(c), until);
  X509_set_pubkey(c, id.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer_cert));
  if (ca) {
    addExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  if (eku != nullptr) {
    addExtension(c, issuer_cert, NID_ext_key_usage, eku);
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : id.key.get();
  EXPECT_GT(X509_sign(c, signing_key, EVP_sha256()), 0);
  return id;
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string certPem(const Identity& id) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), id.cert.get());
  return bioText(bio.get());
}

/// Signs `content` with `signer`; DER unless `pem`. `detached` false embeds the content.
/// `extra_flags` may add CMS_NOCERTS to leave the signer certificate out.
std::string sign(const std::string& content, const Identity& signer, bool pem = false,
                 bool detached = true, unsigned int extra_flags = 0) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  const unsigned int flags = CMS_BINARY | (detached ? CMS_DETACHED : 0) | extra_flags;
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(
      CMS_sign(signer.cert.get(), signer.key.get(), nullptr, in.get(), flags));
  EXPECT_NE(cms, nullptr);
  BioPtr der(BIO_new(BIO_s_mem()));
  i2d_CMS_bio(der.get(), cms.get());
  const std::string der_text = bioText(der.get());
  if (!pem) {
    return der_text;
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio(out.get(), "CMS", "", reinterpret_cast<const unsigned char*>(der_text.data()),
                static_cast<long>(der_text.size()));
  return bioText(out.get());
}

void writeText(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

class SignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/anchorage-signature-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = new std::string(pattern);
    ca_ = new Identity(makeIdentity("Test Root CA", nullptr, true, -kDay, 30 * kDay));
    other_ca_ = new Identity(makeIdentity("Other Root CA", nullptr, true, -kDay, 30 * kDay));
    signer_ = new Identity(makeIdentity("dnssec@test", ca_, false, -kDay, 30 * kDay));
    expired_ = new Identity(makeIdentity("expired@test", ca_, false, -10 * kDay, -kDay));
    not_yet_ = new Identity(makeIdentity("future@test", ca_, false, 2 * kDay, 30 * kDay));
    server_only_ =
        new Identity(makeIdentity("server@test", ca_, false, -kDay, 30 * kDay, "serverAuth"));
    writeText(caFile(), certPem(*ca_));
    writeText(otherCaFile(), certPem(*other_ca_));
  }

  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    for (Identity* id : {ca_, other_ca_, signer_, expired_, not_yet_, server_only_}) {
      delete id;
    }
    delete dir_;
  }

  static std::string caFile() { return *dir_ + "/ca.pem"; }
  static std::string otherCaFile() { return *dir_ + "/other-ca.pem"; }

  // CR LF, a NUL and a non-UTF-8 octet: the content must be hashed exactly as given.
  static constexpr char kContent[] = "<TrustAnchor>\r\n\0binary\xff</TrustAnchor>\n";
  const std::string content_ = std::string(kContent, sizeof(kContent) - 1);

  static inline std::string* dir_ = nullptr;
  static inline Identity* ca_ = nullptr;
  static inline Identity* other_ca_ = nullptr;
  static inline Identity* signer_ = nullptr;
  static inline Identity* expired_ = nullptr;
  static inline Identity* not_yet_ = nullptr;
  static inline Identity* server_only_ = nullptr;
};

TEST_F(SignatureTest, AcceptsGoodDerSignature) {
  const auto r = verifyDetachedSignature(content_, sign(content_, *signer_), caFile());
  EXPECT_TRUE(r) << r.error().toString();
}

TEST_F(SignatureTest, AcceptsPemSignatureWithCmsOrPkcs7Label) {
  const std::string pem = sign(content_, *signer_, true);
  ASSERT_NE(pem.find("-----BEGIN CMS-----"), std::string::npos);
  EXPECT_TRUE(verifyDetachedSignature(content_, pem, caFile()));
  std::string pkcs7 = pem;
  pkcs7.replace(pkcs7.find("BEGIN CMS"), 9, "BEGIN PKCS7");
  pkcs7.replace(pkcs7.find("END CMS"), 7, "END PKCS7");
  const auto r = verifyDetachedSignature(content_, pkcs7, caFile());
  EXPECT_TRUE(r) << r.error().toString();
}

TEST_F(SignatureTest, TreatsContentAsBinary) {
  const std::string sig = sign(content_, *signer_);
  std::string unix_endings = content_;
  unix_endings.erase(unix_endings.find('\r'), 1);
  const auto r = verifyDetachedSignature(unix_endings, sig, caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Signature does not match the content; the content was altered");
}

TEST_F(SignatureTest, RejectsTamperedContent) {
  const std::string sig = sign(content_, *signer_);
  std::string tampered = content_;
  tampered[1] = 'X';
  const auto r = verifyDetachedSignature(tampered, sig, caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().message, "Signature does not match the content; the content was altered");
}

TEST_F(SignatureTest, RejectsSignerFromAnotherCa) {
  const auto r = verifyDetachedSignature(content_, sign(content_, *signer_), otherCaFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Signer is not trusted by the CA file");
  EXPECT_EQ(r.error().field("ca_file"), otherCaFile());
  EXPECT_NE(r.error().field("subject").find("dnssec@test"), std::string::npos);
}

TEST_F(SignatureTest, RejectsExpiredSignerCertificate) {
  const auto r = verifyDetachedSignature(content_, sign(content_, *expired_), caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Certificate has expired or is not yet valid");
  EXPECT_NE(r.error().field("verify_error").find("expired"), std::string::npos);
}

TEST_F(SignatureTest, RejectsSignerCertificateNotYetValid) {
  const auto r = verifyDetachedSignature(content_, sign(content_, *not_yet_), caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Certificate has expired or is not yet valid");
}

TEST_F(SignatureTest, AcceptsSignerWithoutSmimeKeyUsage) {
  // Like IANA's signer: no S/MIME purpose; here only serverAuth, which "smime_sign" would refuse.
  const auto r = verifyDetachedSignature(content_, sign(content_, *server_only_), caFile());
  EXPECT_TRUE(r) << r.error().toString();
}

TEST_F(SignatureTest, RejectsGarbageSignature) {
  for (const std::string& garbage :
       {std::string("not a signature"), std::string(),
        std::string("-----BEGIN CMS-----\n!!!\n-----END CMS-----\n")}) {
    const auto r = verifyDetachedSignature(content_, garbage, caFile());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Signature is not a CMS signature");
  }
}

TEST_F(SignatureTest, RejectsTruncatedSignature) {
  const std::string sig = sign(content_, *signer_);
  const auto r = verifyDetachedSignature(content_, sig.substr(0, sig.size() / 2), caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Signature is not a CMS signature");
}

TEST_F(SignatureTest, RejectsSignatureThatEmbedsContent) {
  const auto r =
      verifyDetachedSignature(content_, sign(content_, *signer_, false, false), caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "CMS signature is not detached; it carries content");
}

TEST_F(SignatureTest, RejectsSignatureWithoutSignerCertificate) {
  const auto r = verifyDetachedSignature(
      content_, sign(content_, *signer_, false, true, CMS_NOCERTS), caFile());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Signature does not carry the signer certificate");
}

TEST_F(SignatureTest, ReportsMissingCaFile) {
  const auto r = verifyDetachedSignature(content_, sign(content_, *signer_), *dir_ + "/none.pem");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "CA file cannot be read");
}

TEST_F(SignatureTest, ReportsCaFileWithoutCertificate) {
  const std::string path = *dir_ + "/empty.pem";
  writeText(path, "no certificates here\n");
  const auto r = verifyDetachedSignature(content_, sign(content_, *signer_), path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "CA file holds no PEM certificate");
}

}  // namespace
}  // namespace anchorage::formats
