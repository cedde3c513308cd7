#include "harness/coordinator/mutants.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/os/files.h"
#include "harness/os/process.h"

namespace harvey::harness {
namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) out.push_back(field);
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The last line of `output` that parses as a JSON object (fuzz --json).
nlohmann::json LastJson(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  nlohmann::json found;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) found = std::move(j);
  }
  return found;
}

// The value of the "# class: " comment of a saved finding.
std::string FindingClass(const std::string& text) {
  const size_t at = text.find("\n# class: ");
  if (at == std::string::npos) return "";
  const size_t start = at + 10;
  return text.substr(start, text.find('\n', start) - start);
}

// The finding's own text says SQLite reported corruption.
bool ShowsCorruption(const std::string& text) {
  const std::string t = Lower(text);
  return t.find("corrupt") != std::string::npos || t.find("malformed") != std::string::npos ||
         t.find("integrity") != std::string::npos;
}

// Inserts the lines that name the mutant after a finding's header line.
void StampFinding(const std::string& path, const Mutant& m, const std::string& build) {
  std::string text;
  if (path.empty() || !ReadWholeFile(path, &text)) return;
  const size_t nl = text.find('\n');
  if (nl == std::string::npos) return;
  const std::string stamp =
      "# mutant: " + std::to_string(m.num) + " " + m.id + " (" + m.op + " in " + m.function +
      ", sqlite3.c:" + std::to_string(m.line) + ": " + m.original + " -> " + m.mutated + ")\n" +
      "# replay the mutant: HARVEY_MUTANT=" + std::to_string(m.num) +
      " harvey run THIS_FILE --boundary fork   (its workers run " + build +
      "; without HARVEY_MUTANT they run the unmutated SQLite)\n";
  WriteFileAtomic(path, text.substr(0, nl + 1) + stamp + text.substr(nl + 1));
}

// The last non-empty line of `output` that mentions `needle` (lower case).
std::string LineWith(const std::string& output, const std::string& needle) {
  std::istringstream in(output);
  std::string line, found;
  while (std::getline(in, line)) {
    if (Lower(line).find(needle) != std::string::npos) found = line;
  }
  return found;
}

std::string Join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

Result<std::vector<Mutant>> LoadMutants(const std::string& path) {
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    return Error{path + ": cannot read (build harvey-sqlite-V-mutants: it writes this manifest)"};
  }
  std::vector<Mutant> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = SplitTabs(line);
    if (f.size() != 8) {
      return Error{path + ":" + std::to_string(n) + ": want 8 tab-separated fields, got " +
                   std::to_string(f.size())};
    }
    Mutant m;
    try {
      m.num = static_cast<uint32_t>(std::stoul(f[0]));
      m.line = std::stoi(f[4]);
    } catch (const std::exception&) {
      return Error{path + ":" + std::to_string(n) + ": the number or line is not a number"};
    }
    if (m.num == 0) return Error{path + ":" + std::to_string(n) + ": mutant number 0 is reserved"};
    m.id = f[1];
    m.op = f[2];
    m.function = f[3];
    m.original = f[5];
    m.mutated = f[6];
    m.changed_line = f[7];
    out.push_back(std::move(m));
  }
  if (out.empty()) return Error{path + ": no mutants"};
  return out;
}

std::vector<MutantCampaign> DefaultMutantCampaigns() {
  return {{"op", {}}, {"episodes", {"--episodes", "10"}}, {"pct", {"--policy", "pct:3"}}};
}

MutantOutcome RunMutant(const Mutant& m, const MutantRunOptions& o) {
  MutantOutcome r;
  const auto start = std::chrono::steady_clock::now();
  const double each_s = o.budget_s / std::max<size_t>(1, o.campaigns.size());
  for (const MutantCampaign& c : o.campaigns) {
    const std::string out = o.out_dir + "/m" + std::to_string(m.num) + "-" + c.name;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", each_s);
    char shrink[32];
    std::snprintf(shrink, sizeof shrink, "%g", o.shrink_s);
    std::vector<std::string> fuzz = {o.harvey, "fuzz", "--boundary", "fork", "--sqlite", o.build,
                                     "--time", secs, "--seed", std::to_string(o.seed), "--out", out,
                                     "--shrink-time", shrink, "--json"};
    if (!o.scratch_parent.empty()) {
      fuzz.push_back("--scratch");
      fuzz.push_back(o.scratch_parent);
    }
    fuzz.insert(fuzz.end(), c.args.begin(), c.args.end());
    std::vector<std::string> argv = {"/usr/bin/env", "HARVEY_MUTANT=" + std::to_string(m.num)};
    argv.insert(argv.end(), fuzz.begin(), fuzz.end());
    const int timeout_ms = static_cast<int>((each_s + o.shrink_s + kHangGrace) * 1000);
    const auto t0 = std::chrono::steady_clock::now();
    const CommandResult cr = RunCommand(argv, timeout_ms);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::json j = LastJson(cr.output);
    const double campaign_s = j.is_object() && j.contains("elapsed_s") ? j["elapsed_s"].get<double>() : wall_s;
    const std::string command = "HARVEY_MUTANT=" + std::to_string(m.num) + " " + Join(fuzz);
    if (cr.exit_code == 0) {
      r.time_to_kill_s += campaign_s;
      continue;
    }
    r.campaign = c.name;
    r.command = command;
    if (cr.exit_code == 1) {
      r.killed = true;
      r.time_to_kill_s += campaign_s;
      std::string finding = j.is_object() ? j.value("finding", "") : "";
      std::string text;
      ReadWholeFile(finding, &text);
      r.failure_class = FindingClass(text);
      r.how = ShowsCorruption(text) ? "corruption" : "mismatch";
      if (j.is_object() && j.contains("shrunk") && j["shrunk"].is_object()) {
        r.original_steps = j["shrunk"].value("original_steps", -1);
        r.shrunk_steps = j["shrunk"].value("steps", -1);
        const std::string shrunk = j["shrunk"].value("file", "");
        StampFinding(shrunk, m, o.build);
        if (!shrunk.empty()) finding = shrunk;
      }
      StampFinding(j.is_object() ? j.value("finding", "") : "", m, o.build);
      r.finding = finding;
    } else if (cr.exit_code == 4 || cr.exit_code == -1) {
      // A worker of the mutant died or stopped making progress: the mutant's doing
      // (id 0 runs the same campaigns as a control and must stay clean).
      r.killed = true;
      r.time_to_kill_s += campaign_s;
      const bool overran = cr.exit_code == -1;
      const std::string limit = LineWith(cr.output, "livelock");
      const std::string slice = LineWith(cr.output, "timed out");
      r.how = overran || !limit.empty() || !slice.empty() ? "hang" : "crash";
      r.failure_class = overran ? "campaign overran its budget by " + std::to_string(int(kHangGrace)) + " s"
                                : LineWith(cr.output, "harvey fuzz: schedule");
      if (r.failure_class.empty()) r.failure_class = LineWith(cr.output, "harvey");
      // harvey fuzz keeps the schedule a harness error stopped at ("saved: PATH").
      const std::string saved = LineWith(cr.output, "saved: ");
      if (const size_t at = saved.find("saved: "); at != std::string::npos) {
        r.finding = saved.substr(at + 7, saved.find(' ', at + 7) - (at + 7));
        StampFinding(r.finding, m, o.build);
      }
    } else {
      r.harness_error = "campaign " + c.name + " exited " + std::to_string(cr.exit_code) + ": " +
                        LineWith(cr.output, "harvey") + " (" + command + ")";
    }
    break;
  }
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace harvey::harness
