// RapidCheck generators for valid Schedules (every config range, 1..8 workers
// with valid unique names and optional placements, 0..60 steps of every op kind), for any test that
// needs arbitrary schedules. `rc::gen::arbitrary<Schedule>()` uses GenSchedule.
// Every generated schedule satisfies model::Validate.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "model/format.h"
#include "model/schedule.h"

namespace harvey::testgen {

using model::BeginMode;
using model::CheckpointMode;
using model::OpKind;

// An integer in [lo, hi], with the bounds themselves drawn often.
template <typename T>
rc::Gen<T> GenBounded(T lo, T hi) {
  return rc::gen::weightedOneOf<T>({{1, rc::gen::element(lo, hi)},
                                    {4, rc::gen::inRange<T>(lo, hi + 1)}});
}

// A name matching [a-z][a-z0-9_]{0,15} that is not a keyword.
inline rc::Gen<std::string> GenWorkerName() {
  static const std::string kRest = "abcdefghijklmnopqrstuvwxyz0123456789_";
  auto first = rc::gen::inRange('a', static_cast<char>('z' + 1));
  auto rest = rc::gen::resize(
      15, rc::gen::container<std::string>(rc::gen::elementOf(kRest)));
  auto name = rc::gen::apply(
      [](char c, std::string tail) {
        tail.resize(std::min<size_t>(tail.size(), 15));
        return std::string(1, c) + tail;
      },
      first, rest);
  return rc::gen::suchThat(name, [](const std::string& n) {
    return n != "config" && n != "worker" && n != "expect" && n != "sqlite";
  });
}

inline rc::Gen<model::Config> GenConfig() {
  return rc::gen::exec([] {
    model::Config c;
    c.page_size = 1u << *rc::gen::inRange(9, 17);
    c.synchronous = *rc::gen::element(model::Synchronous::kOff, model::Synchronous::kNormal,
                                      model::Synchronous::kFull);
    c.wal_autocheckpoint = *GenBounded<uint32_t>(0, 1'000'000);
    c.cache_size = *rc::gen::suchThat(GenBounded<int32_t>(-1'000'000, 1'000'000),
                                      [](int32_t v) { return v != 0; });
    c.seed = *rc::gen::arbitrary<uint64_t>();
    c.defect = *rc::gen::element(model::Defect::kNone, model::Defect::kCanary,
                                 model::Defect::kFsyncLies, model::Defect::kNoLocking,
                                 model::Defect::kMixedLocking, model::Defect::kPrivateShm);
    c.sector_size = *rc::gen::element(512u, 4096u);
    c.journal_size_limit = *rc::gen::element<int64_t>(-1, 0, 32768, 1'000'000'000);
    return c;
  });
}

// An op of any kind, with exactly the fields that kind uses set.
inline rc::Gen<model::Op> GenOp() {
  return rc::gen::exec([] {
    model::Op op;
    op.kind = *rc::gen::element(OpKind::kBegin, OpKind::kRead, OpKind::kWrite,
                                OpKind::kDelete, OpKind::kScan, OpKind::kCommit,
                                OpKind::kRollback, OpKind::kCheckpoint, OpKind::kClose,
                                OpKind::kOpen, OpKind::kKill, OpKind::kKillAt,
                                OpKind::kPowerLoss, OpKind::kSavepoint, OpKind::kRelease,
                                OpKind::kRollbackTo, OpKind::kVacuum);
    switch (op.kind) {
      case OpKind::kBegin:
        op.begin = *rc::gen::element(BeginMode::kDeferred, BeginMode::kImmediate,
                                     BeginMode::kExclusive);
        break;
      case OpKind::kCheckpoint:
        op.checkpoint = *rc::gen::element(CheckpointMode::kPassive, CheckpointMode::kFull,
                                          CheckpointMode::kRestart, CheckpointMode::kTruncate);
        break;
      case OpKind::kWrite:
        op.size = *GenBounded<uint32_t>(model::kMinValueSize, model::kMaxValueSize);
        [[fallthrough]];
      case OpKind::kRead:
      case OpKind::kDelete:
        op.key = *GenBounded<int64_t>(0, model::kMaxKey);
        break;
      case OpKind::kKillAt:
        op.event = static_cast<model::EventKind>(*rc::gen::inRange(0, 15));
        op.ordinal = *GenBounded<uint32_t>(1, 1'000'000);
        break;
      case OpKind::kPowerLoss:
        op.seed = *rc::gen::arbitrary<uint64_t>();
        break;
      case OpKind::kSavepoint:
      case OpKind::kRelease:
      case OpKind::kRollbackTo:
        op.name = *rc::gen::element<std::string>("a", "sp_1", "select", "z234567890123456");
        break;
      default:
        break;
    }
    return op;
  });
}

// 0..3 expect lines on distinct boundaries (names like the real ones and
// other valid ones).
inline rc::Gen<std::vector<model::Expect>> GenExpects() {
  return rc::gen::exec([] {
    std::vector<model::Expect> out;
    const int n = *rc::gen::inRange(0, 4);
    for (int i = 0; i < n; ++i) {
      const std::string b = *rc::gen::element<std::string>("fork", "inproc", "ns", "oci", "sshfs",
                                                           "mixed-2", "x_y");
      if (std::any_of(out.begin(), out.end(), [&](const model::Expect& e) { return e.boundary == b; })) {
        continue;
      }
      out.push_back(model::Expect{
          b, *rc::gen::element(model::Expectation::kPass, model::Expectation::kFail)});
    }
    return out;
  });
}

inline rc::Gen<model::Schedule> GenSchedule() {
  return rc::gen::exec([] {
    model::Schedule s;
    s.expects = *GenExpects();
    s.config = *GenConfig();
    const int workers = *rc::gen::inRange(1, model::kMaxWorkers + 1);
    for (int i = 0; i < workers; ++i) {
      const auto& taken = s.workers;
      std::string name = *rc::gen::suchThat(GenWorkerName(), [&](const std::string& n) {
        return std::none_of(taken.begin(), taken.end(),
                            [&](const model::Worker& w) { return w.name == n; });
      });
      // Placement and SQLite are metadata: any valid name round-trips.
      s.workers.push_back(model::Worker{
          name, *rc::gen::element<std::string>("", "", "fork", "oci", "x-1"),
          *rc::gen::element<std::string>("", "", "system", "3.54.1", "3.39.1", "10.0.0.1")});
    }
    const int steps = *rc::gen::inRange(0, 61);
    for (int i = 0; i < steps; ++i) {
      model::Step step;
      step.worker = *rc::gen::inRange(0, workers);
      step.op = *GenOp();
      s.steps.push_back(step);
    }
    // Interleave decisions: none half the time, else runs of one worker
    // (long runs too, so the run-length form and line wrapping are hit).
    if (*rc::gen::inRange(0, 2) == 1) {
      const int runs = *rc::gen::inRange(1, 60);
      for (int r = 0; r < runs; ++r) {
        const int w = *rc::gen::inRange(0, workers);
        const int len = *rc::gen::weightedOneOf<int>({{4, rc::gen::inRange(1, 4)}, {1, rc::gen::inRange(1, 5000)}});
        s.interleave.insert(s.interleave.end(), static_cast<size_t>(len), w);
      }
    }
    return s;
  });
}

}  // namespace harvey::testgen

namespace harvey::model {
// Counterexamples print as schedule text.
inline void showValue(const Schedule& s, std::ostream& os) { os << PrintSchedule(s); }
}  // namespace harvey::model

namespace rc {
template <>
struct Arbitrary<harvey::model::Schedule> {
  static Gen<harvey::model::Schedule> arbitrary() { return harvey::testgen::GenSchedule(); }
};
}  // namespace rc
