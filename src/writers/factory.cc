// SPDX-License-Identifier: Apache-2.0
//
// createWriter(): checks the settings every writer needs and builds the writer for the type.

#include <algorithm>

#include "model/name.h"
#include "writers/bind_writer.h"
#include "writers/knot_writer.h"
#include "writers/powerdns_writer.h"
#include "writers/resolved_writer.h"
#include "writers/unbound_writer.h"
#include "writers/writer.h"

namespace anchorage::writers {
namespace {

bool endsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Error configError(std::string message, const WriterSettings& s) {
  return Error(ErrorCode::kConfig, std::move(message),
               {{"resolver", std::string(resolverTypeName(s.type))}});
}

}  // namespace

Result<std::unique_ptr<Writer>> createWriter(const WriterSettings& settings, ClockFunction clock) {
  if (settings.anchor_file.empty() || settings.anchor_file.front() != '/') {
    return fail(configError("Writer needs an absolute anchor file path", settings)
                    .with("anchor_file", settings.anchor_file));
  }
  if (!settings.nta_file.empty() && settings.nta_file.front() != '/') {
    return fail(configError("Writer needs an absolute NTA file path", settings)
                    .with("nta_file", settings.nta_file));
  }
  if (settings.timeout.count() <= 0 || settings.verify_timeout.count() <= 0) {
    return fail(configError("Writer timeouts must be positive", settings));
  }
  for (const auto& [zone, probe] : settings.probes) {
    if (!model::DomainName::parse(zone) || !model::DomainName::parse(probe)) {
      return fail(configError("Probe names must be domain names", settings)
                      .with("trust_point", zone)
                      .with("probe", probe));
    }
  }
  switch (settings.type) {
    case ResolverType::kUnbound:
      return std::unique_ptr<Writer>(new UnboundWriter(settings, std::move(clock)));
    case ResolverType::kBind:
      return std::unique_ptr<Writer>(new BindWriter(settings, std::move(clock)));
    case ResolverType::kKnot:
      if (settings.control_socket.empty() && settings.reload_command.empty()) {
        return fail(configError("Knot Resolver needs a control socket", settings));
      }
      return std::unique_ptr<Writer>(new KnotWriter(settings, std::move(clock)));
    case ResolverType::kPowerDns:
      return std::unique_ptr<Writer>(new PowerDnsWriter(settings, std::move(clock)));
    case ResolverType::kSystemdResolved:
      // resolved reads only these suffixes (dnssec-trust-anchors.d(5)).
      if (!endsWith(settings.anchor_file, ".positive") ||
          (!settings.nta_file.empty() && !endsWith(settings.nta_file, ".negative"))) {
        return fail(
            configError("systemd-resolved files must end in .positive and .negative", settings));
      }
      return std::unique_ptr<Writer>(new ResolvedWriter(settings, std::move(clock)));
  }
  return fail(configError("Unknown resolver type", settings));
}

}  // namespace anchorage::writers
