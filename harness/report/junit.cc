#include "harness/report/junit.h"

#include <cstdio>
#include <ctime>

#include "harness/os/files.h"

namespace harvey::harness {
namespace {

std::string Seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s < 0 ? 0.0 : s);
  return b;
}

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      case '\n': o += "&#10;"; break;
      case '\t': o += "&#9;"; break;
      case '\r': o += "&#13;"; break;
      default:
        if (c < 0x20) o += '?';  // not allowed in XML 1.0, even escaped
        else o += static_cast<char>(c);
    }
  }
  return o;
}

std::string JunitXml(const std::vector<JunitSuite>& suites) {
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  for (const JunitSuite& s : suites) {
    int failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (const JunitCase& c : s.cases) {
      failures += c.kind == JunitCase::Kind::kFailure;
      errors += c.kind == JunitCase::Kind::kError;
      skipped += c.kind == JunitCase::Kind::kSkipped;
      time += c.time_s;
    }
    o += "  <testsuite name=\"" + XmlEscape(s.name) + "\" tests=\"" + std::to_string(s.cases.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
         std::to_string(skipped) + "\" time=\"" + Seconds(time) + "\"" +
         (s.timestamp.empty() ? "" : " timestamp=\"" + XmlEscape(s.timestamp) + "\"") + ">\n";
    for (const JunitCase& c : s.cases) {
      o += "    <testcase name=\"" + XmlEscape(c.name) + "\" classname=\"" + XmlEscape(c.classname) + "\" time=\"" +
           Seconds(c.time_s) + "\"";
      std::string body;
      switch (c.kind) {
        case JunitCase::Kind::kPass: break;
        case JunitCase::Kind::kFailure:
        case JunitCase::Kind::kError: {
          const char* tag = c.kind == JunitCase::Kind::kFailure ? "failure" : "error";
          body += std::string("      <") + tag + " message=\"" + XmlEscape(c.message) + "\" type=\"" +
                  XmlEscape(c.type) + "\">" + XmlEscape(c.text) + "</" + tag + ">\n";
          break;
        }
        case JunitCase::Kind::kSkipped:
          body += "      <skipped message=\"" + XmlEscape(c.message) + "\"/>\n";
          break;
      }
      if (!c.system_out.empty()) body += "      <system-out>" + XmlEscape(c.system_out) + "</system-out>\n";
      o += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    o += "  </testsuite>\n";
  }
  return o + "</testsuites>\n";
}

std::string JunitTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
  return b;
}

std::string WriteJunit(const std::string& path, const std::vector<JunitSuite>& suites) {
  return WriteFileAtomic(path, JunitXml(suites));
}

}  // namespace harvey::harness
