// JUnit XML for CI systems (`--junit FILE` on fuzz, matrix, selftest): the
// shape of the Jenkins / Apache Ant junit-10.xsd that GitHub Actions,
// GitLab and Jenkins read (tests/junit-10.xsd validates it):
//   testsuites > testsuite(name, tests, failures, errors, skipped, time,
//   timestamp) > testcase(name, classname, time) with at most one of
//   failure(message, type) / error(message, type) / skipped(message), then
//   system-out. Every text and attribute is XML-escaped (and characters XML
//   1.0 cannot carry are replaced), so any mismatch text is safe.
#pragma once

#include <string>
#include <vector>

namespace harvey::harness {

struct JunitCase {
  enum class Kind { kPass, kFailure, kError, kSkipped };
  std::string name;
  std::string classname;
  double time_s = 0;
  Kind kind = Kind::kPass;
  std::string message;     // failure/error/skipped: one line
  std::string type;        // failure/error: e.g. the failure class
  std::string text;        // failure/error body: mismatch report, replay command
  std::string system_out;  // "" = none
};

struct JunitSuite {
  std::string name;
  std::string timestamp;  // ISO 8601 without zone ("2026-11-30T07:00:00"); "" = none
  std::vector<JunitCase> cases;
};

// Text safe inside an XML element or a double-quoted attribute.
std::string XmlEscape(const std::string& s);

// The whole document.
std::string JunitXml(const std::vector<JunitSuite>& suites);

// The current UTC time as a JUnit timestamp.
std::string JunitTimestamp();

// Writes the document to `path`; "" or the error (one line).
std::string WriteJunit(const std::string& path, const std::vector<JunitSuite>& suites);

}  // namespace harvey::harness
