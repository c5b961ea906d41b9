// SPDX-License-Identifier: Apache-2.0
//
// logfmt and JSON line encoders for the structured logger.

#include "util/log.h"

#include <sys/uio.h>

#include <chrono>
#include <vector>

#include <systemd/sd-journal.h>

#include <nlohmann/json.hpp>

#include "model/anchor.h"

namespace anchorage::util {
namespace {

const char* levelName(Level level) {
  switch (level) {
    case Level::kError:
      return "error";
    case Level::kWarning:
      return "warning";
    case Level::kNotice:
      return "notice";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "info";
}

// logfmt: quote a value that is empty or holds spaces, quotes, '=' or control characters.
void appendLogfmtValue(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

Result<Level> parseLevel(std::string_view text) {
  for (auto l : {Level::kError, Level::kWarning, Level::kNotice, Level::kInfo, Level::kDebug}) {
    if (text == levelName(l)) {
      return l;
    }
  }
  return fail(ErrorCode::kConfig,
              "Unknown log level; expected error, warning, notice, info or debug",
              {{"value", std::string(text)}});
}

Result<LogFormat> parseLogFormat(std::string_view text) {
  if (text == "logfmt") {
    return LogFormat::kLogfmt;
  }
  if (text == "json") {
    return LogFormat::kJson;
  }
  if (text == "journald") {
    return LogFormat::kJournald;
  }
  return fail(ErrorCode::kConfig, "Unknown log format; expected logfmt, json or journald",
              {{"value", std::string(text)}});
}

void LogSink::write(Level level, std::string_view logger, std::string_view message,
                    std::initializer_list<Field> fields) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  if (format_ == LogFormat::kJournald) {
    writeJournal(level, logger, message, fields);
    return;
  }
  std::string line;
  if (format_ == LogFormat::kJson) {
    nlohmann::json j;
    j["time"] = model::formatTime(now);
    j["level"] = levelName(level);
    j["logger"] = logger;
    j["msg"] = message;
    for (const auto& f : fields) {
      j[f.key] = f.value;
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = "time=" + model::formatTime(now) + " level=" + levelName(level) + " logger=";
    appendLogfmtValue(line, logger);
    line += " msg=";
    appendLogfmtValue(line, message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      appendLogfmtValue(line, f.value);
    }
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  if (level == Level::kError || level == Level::kWarning) {
    ++problems_[std::string(logger)];
  }
  out_ << line;
  out_.flush();
}

void LogSink::writeJournal(Level level, std::string_view logger, std::string_view message,
                           std::initializer_list<Field> fields) {
  std::vector<std::string> items;
  items.push_back("MESSAGE=" + std::string(message));
  items.push_back("PRIORITY=" + std::to_string(static_cast<int>(level)));
  items.push_back("SYSLOG_IDENTIFIER=anchorage");
  items.push_back("ANCHORAGE_LOGGER=" + std::string(logger));
  for (const auto& f : fields) {
    std::string key = "ANCHORAGE_";
    for (char c : f.key) {
      key += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    items.push_back(key + "=" + f.value);
  }
  std::vector<iovec> iov;
  iov.reserve(items.size());
  for (auto& item : items) {
    iov.push_back({item.data(), item.size()});
  }
  std::lock_guard lock(mutex_);
  if (level == Level::kError || level == Level::kWarning) {
    ++problems_[std::string(logger)];
  }
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

std::map<std::string, uint64_t> LogSink::problemCounts() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

}  // namespace anchorage::util
