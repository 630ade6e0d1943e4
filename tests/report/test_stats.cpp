#include <gtest/gtest.h>

#include <cmath>

#include "report/stats.h"

namespace entcam {
namespace {

TEST(Stats, SplitMix64ReferenceSequence) {
  // First outputs for seed 0 of the published SplitMix64 (Vigna's splitmix64.c).
  SplitMix64 r(0);
  EXPECT_EQ(r.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(r.next(), 0x6E789E6AA1B965F4ULL);
  SplitMix64 b(1);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(b.below(7), 7u);
}

TEST(Stats, QuantileIsNumpysLinear) {
  const std::vector<double> s = {1, 2, 3, 4, 10};
  EXPECT_NEAR(quantile_sorted(s, 0.025), 1.1, 1e-12);  // numpy.quantile
  EXPECT_NEAR(quantile_sorted(s, 0.975), 9.4, 1e-12);
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0.5), 3.0);
}

TEST(Stats, SummaryMeanAndBootstrapCi) {
  std::vector<double> v;
  for (int i = 0; i < 50; ++i) v.push_back(i % 2);  // mean 0.5
  const Summary s = summarize(v);
  EXPECT_EQ(s.n, 50);
  EXPECT_DOUBLE_EQ(s.mean, 0.5);
  // The CI of a mean of 50 fair coins is about 0.5 +- 1.96 * 0.0707.
  EXPECT_LT(s.ci_lo, 0.5);
  EXPECT_GT(s.ci_hi, 0.5);
  EXPECT_NEAR(s.ci_lo, 0.5 - 0.139, 0.04);
  EXPECT_NEAR(s.ci_hi, 0.5 + 0.139, 0.04);
  // Seeded: the same seed gives the same interval, another seed (almost surely) another.
  const Summary again = summarize(v);
  EXPECT_EQ(again.ci_lo, s.ci_lo);
  EXPECT_EQ(again.ci_hi, s.ci_hi);
  std::vector<double> w;
  for (int i = 0; i < 50; ++i) w.push_back(std::fmod(i * 0.6180339887, 1.0));
  BootstrapOptions other;
  other.seed = 12345;
  const Summary a = summarize(w), o = summarize(w, other);
  EXPECT_TRUE(o.ci_lo != a.ci_lo || o.ci_hi != a.ci_hi);
}

TEST(Stats, SummaryEdgeCases) {
  const Summary c = summarize({0.7, 0.7, 0.7});
  EXPECT_DOUBLE_EQ(c.ci_lo, 0.7);
  EXPECT_DOUBLE_EQ(c.ci_hi, 0.7);
  const Summary e = summarize({});
  EXPECT_EQ(e.n, 0);
  EXPECT_TRUE(std::isnan(e.mean));
  const Summary nan = summarize({1.0, std::nan(""), 3.0});  // non-finite values dropped
  EXPECT_EQ(nan.n, 2);
  EXPECT_DOUBLE_EQ(nan.mean, 2.0);
  BootstrapOptions few;
  few.resamples = 10;
  EXPECT_THROW(summarize({1.0, 2.0}, few), std::invalid_argument);
}

TEST(Stats, WilcoxonMatchesScipyApprox) {
  // scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, method="approx").pvalue,
  // scipy 1.10.1. The first has a zero and tied |d| values.
  EXPECT_NEAR(wilcoxon_signed_rank_p({0.5, -0.25, 1.0, 0.0, 0.25, -0.5, 0.75, 1.0, 0.25, 2.0}), 0.05670572280075483,
              1e-12);
  EXPECT_NEAR(wilcoxon_signed_rank_p({1.5, 2.0, -0.5, 3.0, 0.75, 1.25, 2.5, -1.0, 0.5, 1.75, 2.25, 0.25}),
              0.01343541568384909, 1e-12);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank_p({0.0, 0.0}), 1.0);  // nothing to test
  // Symmetric differences: T = n(n+1)/4, p = 1.
  EXPECT_NEAR(wilcoxon_signed_rank_p({1, -1, 2, -2}), 1.0, 1e-12);
}

TEST(Stats, PairedComparison) {
  const std::vector<double> ref = {0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25};  // exact in binary
  std::vector<double> better;
  for (double r : ref) better.push_back(r + 0.25);
  const PairedComparison c = paired_compare(better, ref);
  EXPECT_EQ(c.n, 10);
  EXPECT_DOUBLE_EQ(c.mean_diff, 0.25);
  EXPECT_DOUBLE_EQ(c.ci_lo, 0.25);  // every difference is 0.25
  EXPECT_DOUBLE_EQ(c.ci_hi, 0.25);
  // All ten differences positive and tied: z = (0 - 27.5) / sqrt((2310 - 495) / 24);
  // scipy gives 0.001565402258002548.
  EXPECT_NEAR(c.p_value, std::erfc(27.5 / std::sqrt((2310.0 - 495.0) / 24.0) / std::sqrt(2.0)), 1e-12);
  EXPECT_THROW(paired_compare({1.0}, {1.0, 2.0}), std::invalid_argument);
}

}  // namespace
}  // namespace entcam
