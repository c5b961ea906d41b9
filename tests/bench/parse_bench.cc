// SPDX-License-Identifier: Apache-2.0
//
// Parse-and-validate benchmark: N DS and N DNSKEY records in zone-file form, each under its own
// owner, through formats::parse() (which runs model validation on every record). Prints the time
// per record and the process's peak RSS. Prints figures; asserts only that every record parsed.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "formats/format.h"
#include "model/anchor.h"
#include "util/encoding.h"

namespace {

using namespace anchorage;

// Deterministic pseudo-random bytes, so runs are comparable.
std::vector<uint8_t> bytes(size_t n, uint64_t& state) {
  std::vector<uint8_t> out(n);
  for (auto& b : out) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    b = static_cast<uint8_t>(state >> 56);
  }
  return out;
}

std::string makeInput(size_t count, bool dnskey) {
  std::string text;
  text.reserve(count * (dnskey ? 150 : 110));
  uint64_t state = dnskey ? 2 : 1;
  for (size_t i = 0; i < count; ++i) {
    text += "tp" + std::to_string(i) + ".bench.example. 3600 IN ";
    if (dnskey) {
      text += "DNSKEY 257 3 13 " + util::encodeBase64(bytes(64, state)) + "\n";
    } else {
      text +=
          "DS " + std::to_string(i % 65536) + " 13 2 " + util::encodeHex(bytes(32, state)) + "\n";
    }
  }
  return text;
}

long peakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

bool run(const char* label, size_t count, bool dnskey) {
  const std::string text = makeInput(count, dnskey);
  const auto start = std::chrono::steady_clock::now();
  const auto parsed = formats::parse(formats::Format::kZone, text, label);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double us = std::chrono::duration<double, std::micro>(elapsed).count();
  std::printf(
      "%-7s records=%zu parsed=%zu problems=%zu input_mib=%.1f total_ms=%.1f "
      "per_record_us=%.2f peak_rss_mib=%.1f\n",
      label, count, parsed.anchors.size(), parsed.problems.size(),
      static_cast<double>(text.size()) / (1024.0 * 1024.0), us / 1000.0,
      us / static_cast<double>(count), static_cast<double>(peakRssKiB()) / 1024.0);
  return parsed.anchors.size() == count;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  std::printf("bench_parse: parse and validate zone-file records (peak RSS is cumulative)\n");
  const bool ds_ok = run("DS", count, false);
  const bool key_ok = run("DNSKEY", count, true);
  return ds_ok && key_ok ? 0 : 1;
}
