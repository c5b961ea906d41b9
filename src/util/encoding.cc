// SPDX-License-Identifier: Apache-2.0
//
// Codecs through OpenSSL's EVP layer (base64 blocks, SHA digests); hex is a table lookup.

#include "util/encoding.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <openssl/evp.h>

namespace anchorage::util {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

Result<std::vector<uint8_t>> decodeHex(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (isSpace(c)) {
      continue;
    }
    const int v = hexValue(c);
    if (v < 0) {
      return fail(ErrorCode::kInvalidInput, "Hex data has a non-hex character",
                  {{"offset", std::to_string(i)}});
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) {
    return fail(ErrorCode::kInvalidInput, "Hex data has an odd number of digits");
  }
  return out;
}

std::string encodeHex(const std::vector<uint8_t>& data, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

Result<std::vector<uint8_t>> decodeBase64(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (isSpace(c)) {
      continue;
    }
    const bool valid =
        std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    if (!valid) {
      return fail(ErrorCode::kInvalidInput, "Base64 data has a character outside the alphabet");
    }
    compact += c;
  }
  if (compact.empty()) {
    return fail(ErrorCode::kInvalidInput, "Base64 data is empty");
  }
  if (compact.size() % 4 != 0) {
    return fail(ErrorCode::kInvalidInput, "Base64 data length is not a multiple of 4");
  }
  const size_t first_pad = compact.find('=');
  size_t padding = 0;
  if (first_pad != std::string::npos) {
    padding = compact.size() - first_pad;
    if (padding > 2 || compact.find_first_not_of('=', first_pad) != std::string::npos) {
      return fail(ErrorCode::kInvalidInput, "Base64 data has padding in the middle");
    }
  }
  std::vector<uint8_t> out(compact.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
  if (n < 0) {
    return fail(ErrorCode::kInvalidInput, "Base64 data does not decode");
  }
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string encodeBase64(const std::vector<uint8_t>& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> digest(std::string_view algorithm, const std::vector<uint8_t>& data) {
  const EVP_MD* md = algorithm == "sha1"     ? EVP_sha1()
                     : algorithm == "sha256" ? EVP_sha256()
                     : algorithm == "sha384" ? EVP_sha384()
                                             : nullptr;
  ANCHORAGE_CHECK(md != nullptr);
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  ANCHORAGE_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  out.resize(len);
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> splitFields(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isSpace(text[i])) {
      ++i;
    }
    const size_t start = i;
    while (i < text.size() && !isSpace(text[i])) {
      ++i;
    }
    if (i > start) {
      out.push_back(text.substr(start, i - start));
    }
  }
  return out;
}

Result<uint64_t> parseUnsigned(std::string_view text, uint64_t max, std::string_view what) {
  uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return fail(ErrorCode::kInvalidInput, "Expected a decimal number",
                {{"field", std::string(what)}, {"value", std::string(text.substr(0, 40))}});
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    return fail(ErrorCode::kInvalidInput, "Number is out of range",
                {{"field", std::string(what)},
                 {"value", std::string(text.substr(0, 40))},
                 {"max", std::to_string(max)}});
  }
  return value;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace anchorage::util
