// Property tests of the schedule text format: printing then parsing any valid
// schedule gives it back, and parsing any text at all either succeeds or fails
// with a one-line "<filename>:<line>: ..." error.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "model/format.h"
#include "tests/schedule_gen.h"

namespace harvey::model {
namespace {

constexpr std::string_view kFile = "fuzz.sched";

// "" if parsing `text` behaves: success yields a valid schedule that round
// trips; failure is one line "fuzz.sched:<N>: <what>" with N a line of the
// text. Otherwise, what is wrong.
std::string OutcomeProblem(std::string_view text) {
  Result<Schedule> r = ParseSchedule(text, kFile);
  if (r.ok()) {
    if (std::string e = Validate(r.value()); !e.empty()) return "accepted invalid: " + e;
    Result<Schedule> again = ParseSchedule(PrintSchedule(r.value()), kFile);
    if (!again.ok() || !(again.value() == r.value())) return "accepted text does not round trip";
    return "";
  }
  const std::string& e = r.error();
  const std::string prefix = std::string(kFile) + ":";
  if (e.rfind(prefix, 0) != 0) return "no filename prefix: " + e;
  size_t i = prefix.size();
  size_t line = 0;
  while (i < e.size() && e[i] >= '0' && e[i] <= '9' && line < 1'000'000'000) {
    line = line * 10 + static_cast<size_t>(e[i++] - '0');
  }
  if (e.compare(i, 2, ": ") != 0) return "no line number: " + e;
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (line < 1 || line > lines) return "line number out of range: " + e;
  if (e.size() <= i + 2) return "empty message: " + e;
  if (e.find('\n') != std::string::npos) return "multi-line message: " + e;
  return "";
}

RC_GTEST_PROP(FormatProperty, PrintThenParseRoundTrips, (const Schedule& s)) {
  RC_ASSERT(Validate(s) == "");
  const std::string text = PrintSchedule(s);
  Result<Schedule> r = ParseSchedule(text, kFile);
  const std::string error = r.ok() ? std::string() : r.error();
  RC_ASSERT(error == "");
  RC_ASSERT(r.value() == s);
  RC_ASSERT(PrintSchedule(r.value()) == text);
}

RC_GTEST_PROP(FormatProperty, ArbitraryBytesGiveResultOrLocatedError,
              (bool after_preamble, const std::string& bytes)) {
  // With the preamble, the bytes get past the header check.
  const std::string text = (after_preamble ? "harvey-schedule 1\nworker w1\n" : "") + bytes;
  RC_ASSERT(OutcomeProblem(text) == "");
}

// Words of the format, near-miss words and boundary numbers.
rc::Gen<std::string> GenToken() {
  static const std::vector<std::string> kWords = {
      "harvey-schedule", "1", "2", "0", "config", "worker", "page_size", "synchronous",
      "wal_autocheckpoint", "cache_size", "seed", "off", "normal", "full", "w1", "w2",
      "w9", "begin", "read", "write", "delete", "scan", "commit", "rollback", "checkpoint",
      "close", "open", "deferred", "immediate", "exclusive", "passive", "restart",
      "truncate", "#", "-1", "15", "16", "511", "512", "4096", "65536", "1000000",
      "1000001", "1048576", "18446744073709551615", "18446744073709551616", "\r", "x#y",
      "W1", "_"};
  return rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::elementOf(kWords)}, {1, rc::gen::arbitrary<std::string>()}});
}

// A line: mostly well-formed config / worker / step lines, sometimes a
// random sequence of tokens.
rc::Gen<std::string> GenLine() {
  auto join = [](const std::vector<std::string>& tokens) {
    std::string line;
    for (const std::string& t : tokens) line += (line.empty() ? "" : " ") + t;
    return line;
  };
  auto tokens = rc::gen::map(rc::gen::resize(6, rc::gen::container<std::vector<std::string>>(GenToken())), join);
  auto worker = rc::gen::map(rc::gen::inRange(1, 11),
                             [](int i) { return "worker w" + std::to_string(i); });
  auto step = rc::gen::apply(
      [](int w, const std::string& op) { return "w" + std::to_string(w) + " " + op; },
      rc::gen::inRange(1, 10),
      rc::gen::element<std::string>("read 3", "write 3 16", "begin immediate", "commit",
                                    "checkpoint full", "scan", "delete 1000000"));
  auto config = rc::gen::apply(
      [](const std::string& key, const std::string& v) { return "config " + key + " " + v; },
      rc::gen::element<std::string>("page_size", "synchronous", "wal_autocheckpoint",
                                    "cache_size", "seed"),
      GenToken());
  return rc::gen::weightedOneOf<std::string>(
      {{3, tokens}, {3, worker}, {3, step}, {2, config}, {1, rc::gen::just(std::string())}});
}

RC_GTEST_PROP(FormatProperty, TokenSoupGivesResultOrLocatedError, ()) {
  const bool header = *rc::gen::weightedElement<bool>({{9, true}, {1, false}});
  const std::string eol = *rc::gen::element<std::string>("\n", "\r\n");
  const bool workers = *rc::gen::arbitrary<bool>();
  std::string text = header ? "harvey-schedule 1" + eol : "";
  if (workers) text += "worker w1" + eol + "worker w2" + eol;
  for (const std::string& line : *rc::gen::container<std::vector<std::string>>(GenLine())) {
    text += line + eol;
  }
  RC_CLASSIFY(ParseSchedule(text, kFile).ok(), "accepted");
  RC_ASSERT(OutcomeProblem(text) == "");
}

RC_GTEST_PROP(FormatProperty, EditedValidScheduleGivesResultOrLocatedError,
              (const Schedule& s)) {
  // Split the printed schedule into lines and apply a few random edits.
  std::vector<std::string> lines;
  const std::string printed = PrintSchedule(s);
  for (size_t pos = 0, end; pos < printed.size(); pos = end + 1) {
    end = printed.find('\n', pos);
    lines.push_back(printed.substr(pos, end - pos));
  }
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, lines.size());
    switch (*rc::gen::inRange(0, 4)) {
      case 0: lines.erase(lines.begin() + at); break;
      case 1: lines.insert(lines.begin() + at, lines[at]); break;
      case 2: lines[at] = *GenLine(); break;
      default: lines[at] += " " + *GenToken(); break;
    }
    if (lines.empty()) break;
  }
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  RC_CLASSIFY(ParseSchedule(text, kFile).ok(), "accepted");
  RC_ASSERT(OutcomeProblem(text) == "");
}

}  // namespace
}  // namespace harvey::model
