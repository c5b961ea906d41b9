// SPDX-License-Identifier: Apache-2.0
//
// Ed25519 publisher signatures over anchors (see anchor_signature.h), with OpenSSL 3.

#include "formats/anchor_signature.h"

#include <array>
#include <set>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util/encoding.h"
#include "util/file.h"

namespace anchorage::formats {
namespace {

constexpr const char* kScheme = "ed25519";
constexpr size_t kSignatureOctets = 64;
constexpr size_t kMaxKeyFile = 64 * 1024;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Reads a PEM key from `path`, private or public.
Result<PkeyPtr> readKey(const std::string& path, bool is_private) {
  auto text = util::readFile(path, kMaxKeyFile);
  if (!text) {
    return fail(text.error());
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), &BIO_free);
  EVP_PKEY* raw = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  PkeyPtr key(raw);
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return fail(ErrorCode::kInvalidInput,
                is_private ? "File holds no Ed25519 private key in PEM form"
                           : "File holds no Ed25519 public key in PEM form",
                {{"path", path}});
  }
  return key;
}

// First 8 octets of SHA-256 over the raw public key, in hex.
std::string keyIdOf(EVP_PKEY* key) {
  std::array<uint8_t, 32> raw{};
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &length) != 1) {
    return {};
  }
  const auto hash = util::digest("sha256", {raw.begin(), raw.begin() + length});
  return util::encodeHex({hash.begin(), hash.begin() + 8}, false);
}

}  // namespace

struct AnchorSigner::Key {
  PkeyPtr pkey;
};

struct AnchorVerifier::Key {
  PkeyPtr pkey;
  std::string id;
};

std::string signedAnchorText(const model::AnchorRecord& record) {
  return "anchorage-anchor-v1 " + record.owner.text() + " " +
         std::string(model::recordTypeName(record.type())) + " " + record.rdataText();
}

Result<AnchorSigner> AnchorSigner::load(const std::string& path) {
  auto key = readKey(path, true);
  if (!key) {
    return fail(key.error());
  }
  AnchorSigner signer;
  signer.key_id_ = keyIdOf(key->get());
  signer.key_ = std::make_shared<Key>(Key{std::move(*key)});
  return signer;
}

std::string AnchorSigner::sign(const model::AnchorRecord& record) const {
  const std::string text = signedAnchorText(record);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::vector<uint8_t> signature(kSignatureOctets);
  size_t length = signature.size();
  // Ed25519 signs the message itself (no separate digest), in one call.
  const bool signed_ok =
      ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) == 1 &&
      EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
  ANCHORAGE_CHECK(signed_ok);
  signature.resize(length);
  return std::string(kScheme) + " " + key_id_ + " " + util::encodeBase64(signature);
}

Result<AnchorVerifier> AnchorVerifier::load(const std::vector<std::string>& paths) {
  AnchorVerifier verifier;
  std::set<std::string> ids;
  for (const auto& path : paths) {
    auto key = readKey(path, false);
    if (!key) {
      return fail(key.error());
    }
    auto id = keyIdOf(key->get());
    if (!ids.insert(id).second) {
      return fail(ErrorCode::kConfig, "The same publisher key is listed twice",
                  {{"path", path}, {"key_id", id}});
    }
    verifier.keys_.push_back(std::make_shared<Key>(Key{std::move(*key), std::move(id)}));
  }
  return verifier;
}

Result<void> AnchorVerifier::verify(const model::AnchorRecord& record,
                                    const std::string& signature) const {
  if (signature.empty()) {
    return fail(ErrorCode::kInvalidInput, "not signed by a publisher");
  }
  const auto first = signature.find(' ');
  const auto second = first == std::string::npos ? first : signature.find(' ', first + 1);
  if (second == std::string::npos || signature.substr(0, first) != kScheme) {
    return fail(ErrorCode::kInvalidInput,
                "publisher signature is not \"ed25519 <key id> <base64 signature>\"");
  }
  const std::string id = signature.substr(first + 1, second - first - 1);
  auto bytes = util::decodeBase64(signature.substr(second + 1));
  if (!bytes || bytes->size() != kSignatureOctets) {
    return fail(ErrorCode::kInvalidInput, "publisher signature is not 64 octets of base64");
  }
  for (const auto& key : keys_) {
    if (key->id != id) {
      continue;
    }
    const std::string text = signedAnchorText(record);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const bool good =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->pkey.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), bytes->data(), bytes->size(),
                         reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
    if (!good) {
      return fail(ErrorCode::kInvalidInput,
                  "publisher signature by key " + id + " does not match the anchor");
    }
    return ok();
  }
  return fail(ErrorCode::kInvalidInput,
              "signed by key " + id + ", which is not a trusted publisher");
}

}  // namespace anchorage::formats
