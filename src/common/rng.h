// The seeded random generator every layer uses: xoshiro256** seeded through
// splitmix64, with gcast's own distributions, so that a seed gives the same
// numbers on every standard library (std::*_distribution differs between them).
// Thread-safety: none; one owner.
#pragma once

#include <cmath>
#include <cstdint>

namespace gcast {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) s = SplitMix(seed);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (inclusive).
  std::uint64_t UniformInt(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) return lo;
    const std::uint64_t span = hi - lo + 1;
    return span == 0 ? Next() : lo + Next() % span;  // bias negligible for our spans
  }
  bool Chance(double p) { return p > 0 && Uniform() < p; }
  // Exponential with the given mean.
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  // Truncated exponential on [0, 1] with density proportional to e^(lambda x):
  // most draws land late, few early. With lambda = ln(N) + 1, about one of N
  // receivers that draw at once is early enough to suppress the rest
  // (Nonnenmacher & Biersack, "Optimal multicast feedback", 1998).
  double TruncatedExponential(double lambda) {
    if (lambda <= 0) return Uniform();
    return std::log1p(std::expm1(lambda) * Uniform()) / lambda;
  }

  // splitmix64: advances `x` and returns a well-mixed value of it.
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace gcast
