// SPDX-License-Identifier: Apache-2.0
//
// Structured logging (STYLE §2): a constant sentence-case message plus key/value fields, one
// named Logger per subsystem, syslog levels, logfmt to stderr by default, JSON as an option.
// Every warning or error also moves a per-subsystem counter that metrics can read.

#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "util/result.h"

namespace anchorage::util {

/// Syslog severities used by the project.
enum class Level { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

/// Output encodings: logfmt or JSON lines on the stream, or native journald entries (the fields
/// become journal fields, upper-cased with dots turned into underscores).
enum class LogFormat { kLogfmt, kJson, kJournald };

/// Parses "error", "warning", "notice", "info", "debug".
Result<Level> parseLevel(std::string_view text);

/// Parses "logfmt", "json" or "journald".
Result<LogFormat> parseLogFormat(std::string_view text);

/// Where log lines go and how they look; shared by every Logger of a process.
class LogSink {
 public:
  LogSink(std::ostream& out, LogFormat format, Level threshold)
      : out_(out), format_(format), threshold_(threshold) {}

  void setThreshold(Level level) { threshold_ = level; }
  void setFormat(LogFormat format) { format_ = format; }
  bool enabled(Level level) const {
    return static_cast<int>(level) <= static_cast<int>(threshold_);
  }

  /// Writes one line; thread-safe.
  void write(Level level, std::string_view logger, std::string_view message,
             std::initializer_list<Field> fields);

  /// Count of warnings and errors written per logger name.
  std::map<std::string, uint64_t> problemCounts() const;

 private:
  void writeJournal(Level level, std::string_view logger, std::string_view message,
                    std::initializer_list<Field> fields);

  std::ostream& out_;
  LogFormat format_;
  Level threshold_;
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> problems_;
};

/// A named logger for one subsystem.
class Logger {
 public:
  Logger(std::shared_ptr<LogSink> sink, std::string name)
      : sink_(std::move(sink)), name_(std::move(name)) {}

  void error(std::string_view msg, std::initializer_list<Field> f = {}) {
    log(Level::kError, msg, f);
  }
  void warning(std::string_view msg, std::initializer_list<Field> f = {}) {
    log(Level::kWarning, msg, f);
  }
  void notice(std::string_view msg, std::initializer_list<Field> f = {}) {
    log(Level::kNotice, msg, f);
  }
  void info(std::string_view msg, std::initializer_list<Field> f = {}) {
    log(Level::kInfo, msg, f);
  }
  void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
    log(Level::kDebug, msg, f);
  }

  void log(Level level, std::string_view msg, std::initializer_list<Field> f) {
    if (sink_ && sink_->enabled(level)) {
      sink_->write(level, name_, msg, f);
    }
  }

 private:
  std::shared_ptr<LogSink> sink_;
  std::string name_;
};

}  // namespace anchorage::util
