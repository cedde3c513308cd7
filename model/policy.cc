#include "model/policy.h"

#include <algorithm>
#include <charconv>

#include "model/rng.h"

namespace harvey::model {

std::string ParsePolicy(std::string_view text, Policy* out) {
  if (text == "op") {
    *out = Policy{};
    return "";
  }
  if (text == "random") {
    *out = Policy{PolicyKind::kRandom, 0};
    return "";
  }
  if (text.substr(0, 4) == "pct:") {
    std::string_view d = text.substr(4);
    int depth = 0;
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), depth);
    if (ec == std::errc() && ptr == d.data() + d.size() && !d.empty() && depth >= 1 && depth <= 64) {
      *out = Policy{PolicyKind::kPct, depth};
      return "";
    }
  }
  return "bad policy '" + std::string(text) + "' (want op, random or pct:D with D 1..64)";
}

std::string ToString(const Policy& p) {
  switch (p.kind) {
    case PolicyKind::kOp: return "op";
    case PolicyKind::kRandom: return "random";
    case PolicyKind::kPct: return "pct:" + std::to_string(p.depth);
  }
  return "op";
}

namespace {

class RandomChooser : public Chooser {
 public:
  explicit RandomChooser(uint64_t seed) : rng_(seed) {}
  int Choose(const std::vector<int>& eligible) override {
    return eligible[rng_.Below(eligible.size())];
  }

 private:
  Rng rng_;
};

class PctChooser : public Chooser {
 public:
  PctChooser(uint64_t seed, int depth, int workers, int64_t expected_points) : rng_(seed) {
    prio_.resize(static_cast<size_t>(workers));
    for (int i = 0; i < workers; ++i) prio_[i] = depth + i;
    for (int i = workers - 1; i > 0; --i) {  // Fisher-Yates: distinct random priorities
      std::swap(prio_[i], prio_[rng_.Below(static_cast<uint64_t>(i) + 1)]);
    }
    for (int i = 1; i < depth; ++i) change_.push_back(rng_.Range(1, expected_points));
    lowest_ = 0;
  }
  int Choose(const std::vector<int>& eligible) override {
    ++point_;
    int best = eligible.front();
    for (int w : eligible) {
      if (prio_[w] > prio_[best]) best = w;
    }
    for (size_t i = 0; i < change_.size(); ++i) {
      if (change_[i] != point_) continue;
      prio_[best] = static_cast<int>(change_.size() - i);  // D-1-i: below every initial one
      best = eligible.front();
      for (int w : eligible) {
        if (prio_[w] > prio_[best]) best = w;
      }
    }
    return best;
  }
  void Slept(int worker) override { prio_[worker] = --lowest_; }

 private:
  Rng rng_;
  std::vector<int> prio_;
  std::vector<int64_t> change_;
  int64_t point_ = 0;
  int lowest_ = 0;
};

}  // namespace

std::unique_ptr<Chooser> MakeChooser(const Policy& p, uint64_t seed, int workers,
                                     int64_t expected_points) {
  if (p.kind == PolicyKind::kPct) {
    return std::make_unique<PctChooser>(seed, p.depth, workers, std::max<int64_t>(1, expected_points));
  }
  return std::make_unique<RandomChooser>(seed);
}

}  // namespace harvey::model
