// SPDX-License-Identifier: Apache-2.0
//
// RFC 4533 sync cookies as OpenLDAP's syncprov writes them ("rid=000,sid=001,csn=<CSN>" or
// "rid=000,csn=<CSN>;<CSN>"). With several providers the cookie syncprov sends in the persist
// phase names only the CSN of the server where the change originated; resuming with it makes
// syncprov send everything again. Anchorage therefore keeps the highest CSN per server id and
// resumes with all of them.

#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace anchorage::directory {

/// The CSN vector of a cookie: server id (from the CSN) to the highest CSN seen from it.
class CookieVector {
 public:
  /// Parses a cookie; CSNs it cannot read are ignored (an unknown cookie yields an empty vector).
  static CookieVector parse(std::string_view cookie);

  /// Folds in every CSN of `cookie`, keeping the highest per server id. Returns true if anything
  /// moved forward.
  bool merge(std::string_view cookie);

  /// The cookie to resume with: "rid=<rid>,csn=<csn>;<csn>..." ordered by server id; empty when
  /// no CSN is known (a fresh sync).
  std::string toCookie(int rid = 0) const;

  bool empty() const { return csns_.empty(); }

  /// True when a CSN is stamped later than `limit` ("YYYYmmddHHMMSS", UTC): such a cookie did not
  /// come from this directory, and resuming with it would make the server withhold entries.
  bool hasCsnAfter(std::string_view limit) const;
  const std::map<int, std::string>& csns() const { return csns_; }

 private:
  std::map<int, std::string> csns_;
};

/// Extracts the server id from a CSN "YYYYmmddHHMMSS.ffffffZ#cnt#sid#mod" (sid in hex).
std::optional<int> csnServerId(std::string_view csn);

}  // namespace anchorage::directory
