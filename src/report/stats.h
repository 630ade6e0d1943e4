#pragma once
// Statistics for reports (docs/spec.md §3 "Every aggregate ... carries n, mean and a 95% bootstrap
// confidence interval (seeded); comparisons between methods are paired").
#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace entcam {

struct BootstrapOptions {
  int resamples = 2000;  // >= 1000
  uint64_t seed = 0x5EEDC0DEULL;
  double level = 0.95;
};

struct Summary {
  int64_t n = 0;
  double mean = 0;        // NaN when n == 0
  double ci_lo = 0, ci_hi = 0;  // percentile bootstrap CI of the mean; NaN when n == 0
};

// Linear-interpolated quantile of sorted values (numpy.quantile's default 'linear').
double quantile_sorted(const std::vector<double>& sorted, double q);

// n, mean and the percentile bootstrap CI of the mean: `resamples` resamples of size n
// drawn with replacement by SplitMix64(seed); the CI is the (1-level)/2 and (1+level)/2
// quantiles of the resample means. Non-finite values are dropped first.
Summary summarize(const std::vector<double>& values, const BootstrapOptions& opt = {});

// Wilcoxon signed-rank test, two-sided, normal approximation, matching
// scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, method="approx"):
// zero differences are dropped, |d| ranked with average ranks for ties,
// T = min(R+, R-), z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum(t^3 - t)/2) / 24),
// p = 2 * (1 - Phi(|z|)). With no non-zero difference the p-value is 1 (scipy gives NaN).
// Exact differences of 0 only; ties use exact equality of |d|.
double wilcoxon_signed_rank_p(const std::vector<double>& differences);

struct PairedComparison {
  int64_t n = 0;              // pairs used (both values finite)
  double mean_diff = 0;       // mean of (method - reference)
  double ci_lo = 0, ci_hi = 0;  // bootstrap CI of the mean difference (pairs resampled together)
  double p_value = 1;         // Wilcoxon signed-rank (above)
};

// Paired comparison of a method with a reference on the same images: values[i] and
// reference[i] belong to image i (same length required).
PairedComparison paired_compare(const std::vector<double>& values, const std::vector<double>& reference,
                                const BootstrapOptions& opt = {});

}  // namespace entcam
