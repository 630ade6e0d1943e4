#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <tuple>

namespace entcam {

double quantile_sorted(const std::vector<double>& s, double q) {
  if (s.empty()) return std::nan("");
  const double pos = q * double(s.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  const double frac = pos - double(lo);
  return s[lo] + (s[hi] - s[lo]) * frac;
}

namespace {

std::vector<double> finite_only(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  return out;
}

// Percentile bootstrap CI of the mean of `v`.
std::pair<double, double> bootstrap_mean_ci(const std::vector<double>& v, const BootstrapOptions& opt) {
  if (opt.resamples < 1000) throw std::invalid_argument("bootstrap: at least 1000 resamples required");
  const size_t n = v.size();
  SplitMix64 rng(opt.seed);
  std::vector<double> means(size_t(opt.resamples));
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += v[rng.below(n)];
    m = sum / double(n);
  }
  std::sort(means.begin(), means.end());
  const double a = (1.0 - opt.level) / 2.0;
  return {quantile_sorted(means, a), quantile_sorted(means, 1.0 - a)};
}

}  // namespace

Summary summarize(const std::vector<double>& values, const BootstrapOptions& opt) {
  const std::vector<double> v = finite_only(values);
  Summary s;
  s.n = int64_t(v.size());
  if (v.empty()) {
    s.mean = s.ci_lo = s.ci_hi = std::nan("");
    return s;
  }
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  std::tie(s.ci_lo, s.ci_hi) = bootstrap_mean_ci(v, opt);
  return s;
}

double wilcoxon_signed_rank_p(const std::vector<double>& differences) {
  std::vector<double> d;
  for (double x : differences)
    if (std::isfinite(x) && x != 0.0) d.push_back(x);  // zero_method="wilcox"
  const size_t n = d.size();
  if (n == 0) return 1.0;
  // Average ranks of |d| (scipy.stats.rankdata, method="average").
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  std::vector<double> rank(n);
  double tie_term = 0;  // sum over tie groups of t * (t^2 - 1)
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && std::fabs(d[idx[j + 1]]) == std::fabs(d[idx[i]])) ++j;
    const double avg = (double(i) + double(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) rank[idx[k]] = avg;
    const double t = double(j - i + 1);
    if (t > 1) tie_term += t * (t * t - 1);
    i = j + 1;
  }
  double r_plus = 0, r_minus = 0;
  for (size_t i = 0; i < n; ++i) (d[i] > 0 ? r_plus : r_minus) += rank[i];
  const double T = std::min(r_plus, r_minus);
  const double nn = double(n);
  const double mn = nn * (nn + 1) * 0.25;
  double se = nn * (nn + 1) * (2 * nn + 1) - 0.5 * tie_term;
  se = std::sqrt(se / 24.0);
  if (!(se > 0)) return 1.0;
  const double z = (T - mn) / se;
  return std::erfc(std::fabs(z) / std::sqrt(2.0));  // 2 * norm.sf(|z|)
}

PairedComparison paired_compare(const std::vector<double>& values, const std::vector<double>& reference,
                                const BootstrapOptions& opt) {
  if (values.size() != reference.size())
    throw std::invalid_argument("paired comparison: the two methods must be scored on the same images");
  std::vector<double> diff;
  for (size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i]) && std::isfinite(reference[i])) diff.push_back(values[i] - reference[i]);
  PairedComparison c;
  c.n = int64_t(diff.size());
  if (diff.empty()) {
    c.mean_diff = c.ci_lo = c.ci_hi = std::nan("");
    c.p_value = 1.0;
    return c;
  }
  // Resampling the differences resamples the pairs together.
  const Summary s = summarize(diff, opt);
  c.mean_diff = s.mean;
  c.ci_lo = s.ci_lo;
  c.ci_hi = s.ci_hi;
  c.p_value = wilcoxon_signed_rank_p(diff);
  return c;
}

}  // namespace entcam
