// SPDX-License-Identifier: Apache-2.0
//
// Detached CMS signature verification with OpenSSL 3's CMS API (RFC 5652 §5.6 signature check,
// RFC 5280 §6 path validation). The real verification is one CMS_verify() call; only when it fails
// are the content check and the certificate path checked apart, to say which of them failed.

#include "formats/signature.h"

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "util/file.h"

namespace anchorage::formats {
namespace {

/// CA bundles are small; the whole system bundle is a few hundred kilobytes.
constexpr size_t kMaxCaFileBytes = 16 * 1024 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct CertStackShallowFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

/// Clears OpenSSL's thread-local error queue when a verification ends, whatever the outcome.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

BioPtr memoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

/// One-line subject of a certificate, for error fields.
std::string subjectOf(X509* cert) {
  if (cert == nullptr) {
    return "";
  }
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

/// Loads every PEM certificate of the CA file into a store whose purpose check accepts any use.
Result<StorePtr> loadCaStore(const std::string& ca_file) {
  auto pem = util::readFile(ca_file, kMaxCaFileBytes);
  if (!pem) {
    const ErrorCode code =
        pem.error().code == ErrorCode::kNotFound ? ErrorCode::kNotFound : ErrorCode::kIo;
    return fail(code, "CA file cannot be read",
                {{"ca_file", ca_file}, {"reason", pem.error().message}});
  }
  StorePtr store(X509_STORE_new());
  ANCHORAGE_CHECK(store != nullptr);
  // IANA's signer certificate has no S/MIME key usage; "any" keeps path validation on but does
  // not require one (the check stays against the CA, validity and signatures).
  ANCHORAGE_CHECK(X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY) == 1);
  BioPtr bio = memoryBio(*pem);
  size_t count = 0;
  while (true) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      break;
    }
    if (X509_STORE_add_cert(store.get(), cert.get()) == 1) {
      ++count;
    }
  }
  ERR_clear_error();
  if (count == 0) {
    return fail(ErrorCode::kInvalidInput, "CA file holds no PEM certificate",
                {{"ca_file", ca_file}});
  }
  return store;
}

/// Decodes the signature from DER, or from PEM labelled CMS or PKCS7.
Result<CmsPtr> readSignature(std::string_view signature) {
  CmsPtr cms;
  if (signature.find("-----BEGIN ") != std::string_view::npos) {
    BioPtr bio = memoryBio(signature);
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long der_length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &der, &der_length) == 1) {
      std::unique_ptr<void, OpensslFree> name_owner(name);
      std::unique_ptr<void, OpensslFree> header_owner(header);
      std::unique_ptr<void, OpensslFree> der_owner(der);
      const std::string_view label(name);
      if (label == "CMS" || label == "PKCS7" || label == "PKCS #7 SIGNED DATA") {
        const unsigned char* p = der;
        cms.reset(d2i_CMS_ContentInfo(nullptr, &p, der_length));
      }
    }
  } else {
    BioPtr bio = memoryBio(signature);
    cms.reset(d2i_CMS_bio(bio.get(), nullptr));
  }
  if (!cms) {
    return fail(ErrorCode::kInvalidInput, "Signature is not a CMS signature");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return fail(ErrorCode::kInvalidInput, "CMS signature is not signed data");
  }
  if (CMS_is_detached(cms.get()) != 1) {
    return fail(ErrorCode::kInvalidInput, "CMS signature is not detached; it carries content");
  }
  return cms;
}

/// After a failed CMS_verify: checks the content alone, then each signer's path, and says which
/// failed.
Error explainFailure(CMS_ContentInfo* cms, X509_STORE* store, std::string_view content,
                     const std::string& ca_file) {
  ERR_clear_error();
  BioPtr data = memoryBio(content);
  if (CMS_verify(cms, nullptr, store, data.get(), nullptr,
                 CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND) {
      return Error(ErrorCode::kInvalidInput, "Signature does not carry the signer certificate");
    }
    return Error(ErrorCode::kInvalidInput,
                 "Signature does not match the content; the content was altered");
  }
  std::unique_ptr<STACK_OF(X509), CertStackShallowFree> signers(CMS_get0_signers(cms));
  std::unique_ptr<STACK_OF(X509), CertStackFree> carried(CMS_get1_certs(cms));
  for (int i = 0; signers && i < sk_X509_num(signers.get()); ++i) {
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    ANCHORAGE_CHECK(ctx != nullptr);
    X509* signer = sk_X509_value(signers.get(), i);
    if (X509_STORE_CTX_init(ctx.get(), store, signer, carried.get()) != 1) {
      break;
    }
    X509_STORE_CTX_set_default(ctx.get(), "smime_sign");
    if (X509_verify_cert(ctx.get()) == 1) {
      continue;
    }
    const int code = X509_STORE_CTX_get_error(ctx.get());
    const std::vector<Field> fields = {
        {"subject", subjectOf(X509_STORE_CTX_get_current_cert(ctx.get()))},
        {"verify_error", X509_verify_cert_error_string(code)},
        {"ca_file", ca_file}};
    if (code == X509_V_ERR_CERT_HAS_EXPIRED || code == X509_V_ERR_CERT_NOT_YET_VALID) {
      return Error(ErrorCode::kInvalidInput, "Certificate has expired or is not yet valid", fields);
    }
    return Error(ErrorCode::kInvalidInput, "Signer is not trusted by the CA file", fields);
  }
  char reason[256];
  ERR_error_string_n(ERR_peek_last_error(), reason, sizeof(reason));
  return Error(ErrorCode::kInvalidInput, "Signature verification failed",
               {{"reason", reason}, {"ca_file", ca_file}});
}

}  // namespace

Result<void> verifyDetachedSignature(std::string_view content, std::string_view signature,
                                     const std::string& ca_file) {
  const ErrorQueueGuard guard;
  auto store = loadCaStore(ca_file);
  if (!store) {
    return fail(std::move(store.error()));
  }
  auto cms = readSignature(signature);
  if (!cms) {
    return fail(std::move(cms.error()));
  }
  BioPtr data = memoryBio(content);
  if (CMS_verify(cms->get(), nullptr, store->get(), data.get(), nullptr, CMS_BINARY) == 1) {
    return ok();
  }
  return fail(explainFailure(cms->get(), store->get(), content, ca_file));
}

}  // namespace anchorage::formats
