// SPDX-License-Identifier: Apache-2.0
//
// Knot Resolver: manifest plus per-trust-point files, applied through the control socket.

#include "writers/knot_writer.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/encoding.h"
#include "util/file.h"
#include "writers/command.h"
#include "writers/detail.h"

namespace anchorage::writers {
namespace {

constexpr std::string_view kOk = "anchorage: ok";
constexpr std::string_view kPrompt = "> ";
constexpr size_t kMaxReply = 64 * 1024;

// Kept free of "--" comments: kresd reads its control socket one line at a time (P10), and this
// text also goes into configuration files, where it must stay valid Lua.
constexpr const char* kSnippet = R"lua(anchorage_loaded = anchorage_loaded or {}
function anchorage_apply(manifest)
  local loaded, spec = pcall(dofile, manifest)
  if not loaded or type(spec) ~= 'table' then
    return 'anchorage: error: cannot load manifest: ' .. tostring(spec)
  end
  local wanted = {}
  local expected = {}
  for _, entry in ipairs(spec.anchors or {}) do
    wanted[entry[1]] = entry[2]
    expected[entry[1]] = entry[3]
  end
  for owner in pairs(anchorage_loaded) do
    if not wanted[owner] then
      trust_anchors.remove(owner)
      anchorage_loaded[owner] = nil
    end
  end
  for owner, path in pairs(wanted) do
    local added, err = pcall(trust_anchors.add_file, path, true)
    if not added then
      return 'anchorage: error: ' .. tostring(err)
    end
    anchorage_loaded[owner] = true
    local keyset = trust_anchors.keysets[kres.str2dname(owner)]
    local count = keyset and #keyset or 0
    if expected[owner] and count ~= expected[owner] then
      return 'anchorage: error: ' .. path .. ' gave ' .. count .. ' anchors, expected ' ..
        expected[owner]
    end
  end
  local set, err = pcall(trust_anchors.set_insecure, spec.insecure or {})
  if not set then
    return 'anchorage: error: ' .. tostring(err)
  end
  return 'anchorage: ok'
end
function anchorage_flush(name)
  if name == '.' then
    cache.clear()
  else
    cache.clear(name)
  end
  return 'anchorage: ok'
end
)lua";

/// A connected control socket, closed on scope exit.
class ControlConnection {
 public:
  ~ControlConnection() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  /// Connects to `path`. Errors: kUnavailable (errno in "reason").
  Result<void> open(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
      return fail(ErrorCode::kConfig, "Control socket path is too long", {{"path", path}});
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
      return fail(ErrorCode::kUnavailable, "Control socket cannot be reached",
                  {{"path", path}, {"reason", std::strerror(errno)}});
    }
    return ok();
  }

  /// Reads until the text ends with `suffix`. Errors: timeout, closed, too long.
  Result<std::string> readUntil(std::string_view suffix,
                                std::chrono::steady_clock::time_point deadline) {
    std::string data;
    char buf[4096];
    while (data.size() < suffix.size() ||
           data.compare(data.size() - suffix.size(), suffix.size(), suffix) != 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
        return fail(ErrorCode::kTimeout, "Control socket did not answer in time", {{"got", data}});
      }
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return fail(ErrorCode::kUnavailable, "Control socket closed", {{"got", data}});
      }
      data.append(buf, static_cast<size_t>(n));
      if (data.size() > kMaxReply) {
        return fail(ErrorCode::kInvalidInput, "Control socket reply is too long");
      }
    }
    return data;
  }

  /// Sends one line.
  Result<void> send(const std::string& line) {
    const std::string framed = line + "\n";
    if (::send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(framed.size())) {
      return fail(ErrorCode::kUnavailable, "Control socket write failed",
                  {{"reason", std::strerror(errno)}});
    }
    return ok();
  }

 private:
  int fd_ = -1;
};

/// The sockets to call: the configured path, or every socket in it when it is a directory
/// (kresd makes one per process in <rundir>/control/).
std::vector<std::string> controlSockets(const std::string& configured) {
  std::error_code error;
  if (!std::filesystem::is_directory(configured, error)) {
    return {configured};
  }
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(configured, error)) {
    if (entry.is_socket(error)) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool plainFileChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

}  // namespace

KnotWriter::KnotWriter(WriterSettings settings, ClockFunction clock)
    : Writer(std::move(settings), std::move(clock)) {}

std::string KnotWriter::configSnippet() {
  return kSnippet;
}

std::string KnotWriter::trustPointFileName(const model::DomainName& name) {
  if (name.isRoot()) {
    return "@root.anchor";
  }
  const std::string& text = name.text();
  if (std::all_of(text.begin(), text.end(), plainFileChar)) {
    return text + "anchor";
  }
  return "@" + util::encodeHex(name.wire(), false) + ".anchor";
}

Result<std::vector<FileContent>> KnotWriter::renderFor(const AnchorSet& set,
                                                       const std::string& manifest) const {
  const detail::Plan plan = detail::makePlan(set);
  const std::string dir = manifest + ".d";
  std::string out = detail::fileHeader(
      "--", "Trust anchors for Knot Resolver, applied by anchorage_apply() (control socket).");
  out += detail::renderState(detail::stateOf(plan), "--");
  out += "return {\n  anchors = {\n";
  std::vector<FileContent> files;
  files.push_back({manifest, std::nullopt});
  for (const auto& tp : plan.trust_points) {
    const std::string path = dir + "/" + trustPointFileName(tp.name());
    // The count lets anchorage_apply() notice a file kresd read only in part: its zone parser
    // stops at the first bad line and keeps what came before.
    out += "    { " + detail::luaQuote(tp.name().text()) + ", " + detail::luaQuote(path) + ", " +
           std::to_string(tp.anchors().size()) + " },\n";
    std::string zone = detail::fileHeader(";", "Trust anchors of one trust point for kresd.");
    for (const auto& a : tp.anchors()) {
      zone += a.record.toZoneLine() + "\n";
    }
    files.push_back({path, std::move(zone)});
  }
  out += "  },\n  insecure = {\n";
  for (const auto& n : plan.ntas) {
    out += "    " + detail::luaQuote(n.name.text()) + ",";
    if (const std::string reason = detail::cleanReason(n.reason); !reason.empty()) {
      out += " -- " + reason;
    }
    out += "\n";
  }
  out += "  },\n}\n";
  files[0].content = std::move(out);
  return files;
}

Result<std::string> KnotWriter::render(const AnchorSet& set) const {
  auto files = renderFor(set, settings().anchor_file);
  if (!files) {
    return fail(files.error());
  }
  return std::move(*files->front().content);
}

Result<std::vector<FileContent>> KnotWriter::renderFiles(const AnchorSet& set) const {
  auto files = renderFor(set, settings().anchor_file);
  if (!files) {
    return files;
  }
  // Files of trust points no longer in the set go, so the directory mirrors the manifest.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(anchorDirectory(), error)) {
    const std::string path = entry.path().string();
    const bool ours = path.size() > 7 && path.compare(path.size() - 7, 7, ".anchor") == 0;
    const bool wanted = std::any_of(files->begin(), files->end(),
                                    [&](const FileContent& f) { return f.path == path; });
    if (ours && !wanted) {
      files->push_back({path, std::nullopt});
    }
  }
  return files;
}

Result<void> KnotWriter::check(const AnchorSet& set, const std::vector<FileContent>& files) const {
  if (!settings().check_command.empty()) {
    return Writer::check(set, files);
  }
  auto scratch = detail::ScratchDir::create("kresd-check");
  if (!scratch) {
    return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                    .with("reason", scratch.error().toString()));
  }
  const std::string manifest = scratch->file("anchors.lua");
  auto candidate = renderFor(set, manifest);
  if (!candidate) {
    return fail(candidate.error());
  }
  std::error_code error;
  std::filesystem::create_directories(manifest + ".d", error);
  std::filesystem::create_directories(scratch->file("run"), error);
  // The manifest names the scratch copies; the trust point files are the very ones to be written.
  const std::string real_dir = anchorDirectory() + "/";
  for (auto& f : *candidate) {
    const std::string base = f.path.substr(f.path.rfind('/') + 1);
    for (const auto& real : files) {
      if (real.content && real.path == real_dir + base) {
        f.content = real.content;
      }
    }
    if (auto w = util::writeFileAtomic(f.path, f.content.value_or("")); !w) {
      return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                      .with("reason", w.error().toString()));
    }
  }
  // A kresd that listens nowhere, drops the built-in root key (P7), loads the candidate with the
  // same function as the real one, and quits with its verdict.
  const std::string config = configSnippet() + "trust_anchors.remove('.')\n" +
                             "local result = anchorage_apply(" + detail::luaQuote(manifest) +
                             ")\nif result ~= 'anchorage: ok' then\n" +
                             "  io.stderr:write(result, '\\n')\n  os.exit(1)\nend\nquit()\n";
  const std::string config_path = scratch->file("check.lua");
  if (auto w = util::writeFileAtomic(config_path, config); !w) {
    return fail(stepError(ApplyStep::kCheck, "Checker cannot be prepared")
                    .with("reason", w.error().toString()));
  }
  auto r = runCommand({"kresd", "-n", "-c", config_path, scratch->file("run")}, settings().timeout);
  if (!r) {
    return fail(
        stepError(ApplyStep::kCheck, "Checker cannot be run").with("reason", r.error().toString()));
  }
  if (!r->success()) {
    std::string output = detail::replaceAll(r->output, manifest + ".d", anchorDirectory());
    output = detail::replaceAll(std::move(output), manifest, settings().anchor_file);
    return fail(stepError(ApplyStep::kCheck, "Resolver checker rejected the anchor files", output)
                    .with("command", "kresd"));
  }
  return ok();
}

Result<void> KnotWriter::callEverySocket(ApplyStep step, const std::string& lua_call) const {
  if (settings().control_socket.empty()) {
    return fail(stepError(step, "Knot Resolver needs a control socket"));
  }
  const auto sockets = controlSockets(settings().control_socket);
  size_t reached = 0;
  for (const auto& path : sockets) {
    const auto deadline = std::chrono::steady_clock::now() + settings().timeout;
    ControlConnection connection;
    if (auto c = connection.open(path); !c) {
      // A socket left behind by a kresd that has exited; the live ones still get the call.
      if (sockets.size() > 1 && c.error().field("reason") == std::strerror(ECONNREFUSED)) {
        continue;
      }
      return fail(stepError(step, "Control socket cannot be reached")
                      .with("path", path)
                      .with("reason", c.error().field("reason")));
    }
    auto greeting = connection.readUntil(kPrompt, deadline);
    Result<std::string> reply =
        greeting ? Result<std::string>(std::string()) : Result<std::string>(fail(greeting.error()));
    if (reply) {
      if (auto s = connection.send(lua_call); !s) {
        reply = fail(s.error());
      } else {
        reply = connection.readUntil("\n" + std::string(kPrompt), deadline);
      }
    }
    if (!reply) {
      return fail(stepError(step, "Control socket call failed", reply.error().field("got"))
                      .with("path", path)
                      .with("reason", reply.error().message));
    }
    if (reply->find(kOk) == std::string::npos) {
      return fail(stepError(step, "Resolver rejected the control command",
                            reply->substr(0, reply->size() - kPrompt.size()))
                      .with("path", path));
    }
    ++reached;
  }
  if (reached == 0) {
    return fail(stepError(step, "No live control socket").with("path", settings().control_socket));
  }
  return ok();
}

Result<void> KnotWriter::reload() const {
  if (!settings().reload_command.empty()) {
    return Writer::reload();
  }
  return callEverySocket(ApplyStep::kReload,
                         "anchorage_apply(" + detail::luaQuote(settings().anchor_file) + ")");
}

Result<void> KnotWriter::flush(const std::vector<std::string>& names) const {
  if (!settings().flush_command.empty()) {
    return Writer::flush(names);
  }
  for (const auto& name : names) {
    if (auto r =
            callEverySocket(ApplyStep::kFlush, "anchorage_flush(" + detail::luaQuote(name) + ")");
        !r) {
      return r;
    }
  }
  return ok();
}

}  // namespace anchorage::writers
