// SPDX-License-Identifier: Apache-2.0
//
// Verification of a detached CMS signature (RFC 5652 §5, SignedData without encapsulated content),
// as IANA publishes root-anchors.p7s beside root-anchors.xml (RFC 9718 §3). The signer's
// certificate must chain to a CA given by the operator (the ICANN CA for the root anchors).

#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace anchorage::formats {

/// Checks that `signature` (a CMS SignedData in DER, or PEM with a CMS or PKCS7 label) signs
/// `content` exactly as given (binary, no line-ending conversion), and that the signer certificate
/// carried in the signature chains to a certificate of the PEM file `ca_file`, at the current time.
/// The certificate purpose is not checked ("any"): IANA's signer has no S/MIME key usage.
/// Errors, each with its own message:
///   - the CA file is missing (kNotFound) or unreadable (kIo), or holds no certificate
///     (kInvalidInput);
///   - the signature is not a CMS signature, not signed data, or not detached (kInvalidInput);
///   - the signature does not match the content, i.e. the content was altered (kInvalidInput);
///   - the signature does not carry the signer certificate (kInvalidInput);
///   - the signer is not trusted by that CA (kInvalidInput);
///   - a certificate of the chain has expired or is not yet valid (kInvalidInput).
Result<void> verifyDetachedSignature(std::string_view content, std::string_view signature,
                                     const std::string& ca_file);

}  // namespace anchorage::formats
