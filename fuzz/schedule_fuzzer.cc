// schedule_fuzzer: bytes -> schedule (fuzz/schedule_codec.h: every input is a
// valid schedule) -> the inproc backend (instrumented SQLite) -> the model
// checker. A mismatch prints the schedule in the text format, with the
// mismatch as a header comment, to stderr, saves it as
// <artifact_prefix>mismatch-<trace>.sched and aborts: the file replays with
// `harvey run FILE --boundary inproc` and can go into corpus/ as is.
//
// Environment:
//   HARVEY_FUZZ_CANARY=1    run every schedule with `config defect canary`
//                           (the model forgets snapshots): mismatches must
//                           follow quickly; proves the model-check path.
//   HARVEY_FUZZ_SCRATCH=DIR where databases live (default /dev/shm, else $TMPDIR)
//   HARVEY_FUZZ_KNOWN_BUGS=1 also run schedules that hit a known model bug
//                           (see HitsKnownModelBug; skipped by default)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/schedule_codec.h"
#include "harness/os/files.h"
#include "harness/backend/inproc_backend.h"
#include "harness/report/report.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"
#include "model/format.h"

namespace {

using namespace harvey;

struct FuzzEnv {
  std::unique_ptr<harness::ScratchDir> scratch;
  harness::InprocBackend backend;
  bool canary = false;
  bool known_bugs = false;
  std::string artifact_prefix = "./";
  uint64_t errors = 0;
};

FuzzEnv* env = nullptr;

std::string ScratchParent() {
  if (const char* s = std::getenv("HARVEY_FUZZ_SCRATCH"); s && *s) return s;
  return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "";
}

// Known model bugs, each with the corpus file that shows it: a schedule that
// can hit one is skipped (not run) unless HARVEY_FUZZ_KNOWN_BUGS=1, so the
// fuzzer looks for new findings instead of finding these in seconds again.
// Remove an entry when the model is fixed (its corpus file then passes).
bool HitsKnownModelBug(const model::Schedule& s) {
  // corpus/regress/begin-inside-txn-takes-write-lock.sched: a BEGIN
  // IMMEDIATE/EXCLUSIVE inside an open transaction takes (or waits for: BUSY)
  // the write lock before it fails; the model predicts ERROR and no lock.
  // Over-approximated: any non-deferred begin after a begin of the same
  // worker with no commit, rollback or close in between.
  std::vector<bool> maybe_in_txn(s.workers.size(), false);
  for (const model::Step& step : s.steps) {
    const auto w = static_cast<size_t>(step.worker);
    switch (step.op.kind) {
      case model::OpKind::kBegin:
        if (maybe_in_txn[w] && step.op.begin != model::BeginMode::kDeferred) return true;
        maybe_in_txn[w] = true;
        break;
      case model::OpKind::kSavepoint: maybe_in_txn[w] = true; break;
      case model::OpKind::kCommit:
      case model::OpKind::kRollback:
      case model::OpKind::kClose: maybe_in_txn[w] = false; break;
      default: break;
    }
  }
  return false;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "schedule_fuzzer: %s\n", what.c_str());
  std::abort();
}

void ReportMismatch(const model::Schedule& s, const harness::RunResult& r) {
  const std::string text =
      harness::FindingText(s, *r.mismatch, "schedule_fuzzer (libFuzzer)", "inproc");
  const std::string path = env->artifact_prefix + "mismatch-" + harness::TraceHex(r.trace) + ".sched";
  std::fprintf(stderr, "==== schedule_fuzzer: MISMATCH ====\n%s%s==== schedule (text format) ====\n%s",
               harness::MismatchReport(*r.mismatch).c_str(), harness::ContextNotes(s).c_str(),
               text.c_str());
  if (std::string e = harness::WriteFileAtomic(path, text); e.empty()) {
    std::fprintf(stderr, "==== saved: %s (replay: harvey run %s --boundary inproc)\n", path.c_str(),
                 path.c_str());
  } else {
    std::fprintf(stderr, "==== could not save the schedule: %s\n", e.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  env = new FuzzEnv;
  const char* canary = std::getenv("HARVEY_FUZZ_CANARY");
  env->canary = canary != nullptr && std::strcmp(canary, "0") != 0 && *canary != '\0';
  const char* known = std::getenv("HARVEY_FUZZ_KNOWN_BUGS");
  env->known_bugs = known != nullptr && std::strcmp(known, "1") == 0;
  for (int i = 1; i < *argc; ++i) {
    constexpr const char* kFlag = "-artifact_prefix=";
    if (std::strncmp((*argv)[i], kFlag, std::strlen(kFlag)) == 0) {
      env->artifact_prefix = (*argv)[i] + std::strlen(kFlag);
    }
  }
  auto scratch = harness::ScratchDir::Create(ScratchParent());
  if (!scratch.ok()) Die(scratch.error());
  env->scratch = std::move(scratch.value());
  // A mismatch removes it before abort(); any other crash leaves it, and the
  // next harvey run removes it (its pid is dead).
  std::atexit([] { env->scratch.reset(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  model::Schedule s = fuzz::DecodeSchedule({data, size});
  if (env->canary) s.config.defect = model::Defect::kCanary;
  if (std::string e = model::Validate(s); !e.empty()) Die("decoder produced an invalid schedule: " + e);
  if (!env->known_bugs && HitsKnownModelBug(s)) return 0;
  const model::Rules rules{.canary_reads_see_latest = s.config.defect == model::Defect::kCanary};
  const harness::RunResult r = harness::RunSchedule(s, env->backend, env->scratch->path(), rules);
  if (r.verdict == harness::Verdict::kMismatch) {
    ReportMismatch(s, r);
    env->scratch.reset();  // abort() skips atexit: leave no scratch behind
    std::abort();
  }
  // A harness limit (candidate set too large) or a database that could not
  // be created is not a finding about SQLite; say so, a few times.
  if (r.verdict == harness::Verdict::kError && ++env->errors <= 5) {
    std::fprintf(stderr, "schedule_fuzzer: harness error (not a finding): %s\n", r.error.c_str());
  }
  return 0;
}
