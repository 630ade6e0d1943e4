#include "cam/entropy.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <sstream>

#include "core/error.h"

namespace entcam {

const std::vector<std::string>& numpy_bin_rules() {
  static const std::vector<std::string> rules = {"auto", "fd", "doane", "scott", "rice", "sturges", "sqrt"};
  return rules;
}

namespace {

bool is_rule(const std::string& s) {
  for (const auto& r : numpy_bin_rules())
    if (s == r) return true;
  return false;
}

// numpy's 'linear' percentile of sorted float32 values: _lerp(a, b, t) with b - a in float32.
double numpy_percentile(const float* sorted, int64_t n, double q) {
  const double index = q / 100.0 * double(n - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(index));
  const int64_t hi = std::min<int64_t>(lo + 1, n - 1);
  const double t = index - double(lo);
  const float a = sorted[lo], b = sorted[hi];
  const float diff = b - a;
  return t >= 0.5 ? double(b) - double(diff) * (1.0 - t) : double(a) + double(diff) * t;
}

// H of each row's distribution given non-negative counts [N, m] (p = c / sum c).
torch::Tensor entropy_from_counts(const torch::Tensor& counts, double base) {
  auto c = counts.to(torch::kFloat64);
  auto p = c / c.sum(1, /*keepdim=*/true).clamp_min(1);
  return -torch::xlogy(p, p).sum(1) / std::log(base);
}

// Per-row histogram of integer keys in 0..m-1, by one bincount over row-offset keys.
torch::Tensor row_bincount(const torch::Tensor& keys, int64_t m) {
  const int64_t rows = keys.size(0);
  auto offset = torch::arange(rows, keys.options()).unsqueeze(1) * m;
  return torch::bincount((keys + offset).reshape({-1}), {}, rows * m).reshape({rows, m});
}

// Shannon entropy of the distribution of equal keys in each row of `sorted_keys` [N, n]
// (rows sorted ascending): p = run length / n.
torch::Tensor entropy_of_runs(const torch::Tensor& sorted_keys, double base) {
  const int64_t n = sorted_keys.size(1);
  auto starts = torch::ones(sorted_keys.sizes(), sorted_keys.options().dtype(torch::kLong));
  if (n > 1) starts.slice(1, 1) = sorted_keys.slice(1, 1).ne(sorted_keys.slice(1, 0, n - 1)).to(torch::kLong);
  return entropy_from_counts(row_bincount(starts.cumsum(1) - 1, n), base);
}

}  // namespace

int64_t numpy_bin_count(const std::string& rule, const RowStats& s) {
  // Width selectors of numpy.histogram_bin_edges (numpy/lib/histograms.py), in the same
  // floating-point order: ptp is a float32 difference, the rest float64.
  const double ptp = double(s.max - s.min);
  const double n = double(s.n);
  auto sturges = [&] { return ptp / (std::log2(n) + 1.0); };
  auto fd = [&] { return 2.0 * (s.p75 - s.p25) * std::pow(n, -1.0 / 3.0); };
  double width = 0.0;
  if (rule == "sqrt") width = ptp / std::sqrt(n);
  else if (rule == "sturges") width = sturges();
  else if (rule == "rice") width = ptp / (2.0 * std::pow(n, 1.0 / 3));
  else if (rule == "scott") width = std::pow(24.0 * std::pow(M_PI, 0.5) / n, 1.0 / 3.0) * s.std;
  else if (rule == "fd") width = fd();
  else if (rule == "doane") {
    if (s.n > 2 && s.std > 0.0) {
      const double sg1 = std::sqrt(6.0 * (n - 2) / ((n + 1.0) * (n + 3)));
      width = ptp / (1.0 + std::log2(n) + std::log2(1.0 + std::fabs(s.skew_g1) / sg1));
    }
  } else if (rule == "auto") {
    const double f = fd(), st = sturges();
    width = f != 0.0 ? std::min(f, st) : st;
  } else {
    throw InputError("unknown histogram bin rule '" + rule + "'");
  }
  if (width == 0.0 || !std::isfinite(width)) return 1;
  return static_cast<int64_t>(std::ceil(ptp / width));
}

torch::Tensor row_entropy_tensor_ops(const torch::Tensor& values, const EntropyOptions& o) {
  TORCH_CHECK(values.dim() == 2, "row_entropy expects [N, n]");
  torch::NoGradGuard no_grad;
  torch::Tensor x = values.to(torch::kFloat32);
  switch (o.effective_transform()) {
    case EntropyTransform::kAbs: x = x.abs(); break;
    case EntropyTransform::kRelu: x = x.clamp_min(0); break;
    default: break;
  }
  const int64_t rows = x.size(0), n = x.size(1);
  if (n == 0 || rows == 0) return torch::zeros({rows}, x.options().dtype(torch::kFloat64));

  if (o.estimator == EntropyEstimator::kDistribution) {
    auto xd = x.to(torch::kFloat64);
    auto total = xd.sum(1, /*keepdim=*/true);
    auto p = xd / total;
    auto h = -torch::xlogy(p, p).sum(1) / std::log(o.base);
    return torch::where(total.squeeze(1) > 0, h, torch::zeros_like(h));
  }

  if (o.estimator == EntropyEstimator::kUnique) return entropy_of_runs(std::get<0>(x.sort(1)), o.base);

  // Histogram: numpy.histogram(x, bins) with bins from a count or a rule, range min..max.
  auto [first32, last32] = torch::aminmax(x, 1);
  std::vector<int64_t> bins(rows, o.bin_count);
  if (o.bin_count <= 0) {
    const bool needs_percentiles = o.bin_rule == "fd" || o.bin_rule == "auto";
    // np.std and the Doane skewness are float32 in numpy; round to float32 as it does.
    // Only the scott and doane rules need them.
    auto std32 = torch::zeros({rows}, x.options().dtype(torch::kFloat64)), g1 = torch::zeros_like(std32);
    if (o.bin_rule == "scott" || o.bin_rule == "doane") {
      auto xd = x.to(torch::kFloat64);
      auto centred = xd - xd.mean(1, true);
      std32 = centred.pow(2).mean(1).sqrt().to(torch::kFloat32).to(torch::kFloat64);
      g1 = (centred / std32.unsqueeze(1)).pow(3).mean(1).to(torch::kFloat32).to(torch::kFloat64);
    }
    torch::Tensor sorted_cpu;
    if (needs_percentiles) sorted_cpu = std::get<0>(x.sort(1)).cpu().contiguous();
    auto lo_cpu = first32.cpu().contiguous(), hi_cpu = last32.cpu().contiguous();
    auto std_cpu = std32.cpu().contiguous(), g1_cpu = g1.cpu().contiguous();
    const float* lo = lo_cpu.data_ptr<float>();
    const float* hi = hi_cpu.data_ptr<float>();
    const double* stdp = std_cpu.data_ptr<double>();
    const double* g1p = g1_cpu.data_ptr<double>();
    for (int64_t r = 0; r < rows; ++r) {  // scalar work per map, not per pixel
      RowStats s{lo[r], hi[r], stdp[r], 0.0, 0.0, g1p[r], n};
      if (needs_percentiles) {
        const float* row = sorted_cpu.data_ptr<float>() + r * n;
        s.p25 = numpy_percentile(row, n, 25.0);
        s.p75 = numpy_percentile(row, n, 75.0);
      }
      bins[r] = numpy_bin_count(o.bin_rule, s);
    }
  }
  const int64_t max_bins = *std::max_element(bins.begin(), bins.end());
  auto nb = torch::tensor(bins, torch::kLong).to(x.device()).unsqueeze(1);
  auto first = first32.unsqueeze(1), last = last32.unsqueeze(1);
  auto varying = first.ne(last).to(torch::kLong);  // a constant row has one occupied bin: index 0
  // Index guess in float32 as numpy computes it, then the exact corrections against the
  // float32 bin edges (np.linspace in float64, cast to float32; last edge = max).
  auto denom = torch::where(varying.to(torch::kBool), last - first, torch::ones_like(first));
  auto idx = torch::minimum((((x - first) / denom) * nb.to(torch::kFloat32)).to(torch::kLong), nb - 1);
  auto start = first.to(torch::kFloat64), stop = last.to(torch::kFloat64);
  auto step = (stop - start) / nb.to(torch::kFloat64);
  std::function<torch::Tensor(const torch::Tensor&)> edge;
  torch::Tensor table;
  if (rows * (max_bins + 1) <= (int64_t(1) << 24)) {
    // Small bin tables: build every row's edges once and gather.
    auto i = torch::arange(max_bins + 1, nb.options()).unsqueeze(0);
    table = torch::where(i.ge(nb), last, (start + i.to(torch::kFloat64) * step).to(torch::kFloat32));
    edge = [&](const torch::Tensor& k) { return table.gather(1, torch::minimum(k, nb)); };
  } else {
    edge = [&](const torch::Tensor& k) {
      auto e = (start + k.to(torch::kFloat64) * step).to(torch::kFloat32);
      return torch::where(k.ge(nb), last.expand_as(e), e);
    };
  }
  idx = idx - x.lt(edge(idx)).to(torch::kLong);
  idx = idx + (x.ge(edge(idx + 1)) & idx.ne(nb - 1)).to(torch::kLong);
  idx = idx * varying;
  // Only occupied bins matter: count directly when the bin table is small, else by runs.
  if (max_bins <= n || rows * max_bins <= (int64_t(1) << 24)) return entropy_from_counts(row_bincount(idx, max_bins), o.base);
  return entropy_of_runs(std::get<0>(idx.sort(1)), o.base);
}

namespace {

double entropy_of_counts(const int64_t* counts, size_t m, double total, double log_base) {
  double h = 0.0;
  for (size_t i = 0; i < m; ++i)
    if (counts[i] > 0) {
      const double p = double(counts[i]) / total;
      h -= p * std::log(p);
    }
  return h / log_base;
}

// One map's entropy, the same algorithm as the tensor-op version, on a scratch buffer.
double one_row_entropy(const float* in, int64_t n, const EntropyOptions& o, EntropyTransform transform,
                       std::vector<float>& v, std::vector<int64_t>& scratch) {
  v.assign(in, in + n);
  if (transform == EntropyTransform::kAbs) for (float& x : v) x = std::fabs(x);
  else if (transform == EntropyTransform::kRelu) for (float& x : v) x = x > 0.f ? x : 0.f;
  const double log_base = std::log(o.base);
  if (o.estimator == EntropyEstimator::kDistribution) {
    double total = 0.0;
    for (float x : v) total += x;
    if (!(total > 0.0)) return total == 0.0 ? 0.0 : std::nan("");
    double h = 0.0;
    for (float x : v)
      if (x > 0.f) {
        const double p = double(x) / total;
        h -= p * std::log(p);
      }
    return h / log_base;
  }
  if (o.estimator == EntropyEstimator::kUnique) {
    std::sort(v.begin(), v.end());
    scratch.clear();
    int64_t run = 1;
    for (int64_t i = 1; i < n; ++i) {
      if (v[i] == v[i - 1]) { ++run; continue; }
      scratch.push_back(run);
      run = 1;
    }
    scratch.push_back(run);
    return entropy_of_counts(scratch.data(), scratch.size(), double(n), log_base);
  }
  // Histogram (numpy.histogram semantics; see row_entropy_tensor_ops).
  const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
  const float first = *lo_it, last = *hi_it;
  if (!std::isfinite(first) || !std::isfinite(last)) return std::nan("");
  if (first == last) return 0.0;
  int64_t nb = o.bin_count;
  if (nb <= 0) {
    RowStats s{first, last, 0.0, 0.0, 0.0, 0.0, n};
    if (o.bin_rule == "scott" || o.bin_rule == "doane") {
      double mean = 0.0;
      for (float x : v) mean += x;
      mean /= double(n);
      double m2 = 0.0, m3 = 0.0;
      for (float x : v) m2 += (x - mean) * (x - mean);
      s.std = double(float(std::sqrt(m2 / double(n))));
      if (s.std > 0)
        for (float x : v) m3 += std::pow((x - mean) / s.std, 3);
      s.skew_g1 = double(float(m3 / double(n)));
    }
    if (o.bin_rule == "fd" || o.bin_rule == "auto") {
      std::vector<float> sorted(v);
      std::sort(sorted.begin(), sorted.end());
      s.p25 = numpy_percentile(sorted.data(), n, 25.0);
      s.p75 = numpy_percentile(sorted.data(), n, 75.0);
    }
    nb = numpy_bin_count(o.bin_rule, s);
  }
  const float denom = last - first, nbf = float(nb);
  const double start = first, step = (double(last) - start) / double(nb);
  auto edge = [&](int64_t i) { return i >= nb ? last : float(start + double(i) * step); };
  auto bin_of = [&](float x) {
    int64_t i = std::min<int64_t>(static_cast<int64_t>(((x - first) / denom) * nbf), nb - 1);
    if (x < edge(i)) --i;
    if (x >= edge(i + 1) && i != nb - 1) ++i;
    return i;
  };
  if (nb <= 4 * n + 64) {
    scratch.assign(size_t(nb), 0);
    for (float x : v) ++scratch[size_t(bin_of(x))];
    return entropy_of_counts(scratch.data(), scratch.size(), double(n), log_base);
  }
  // Very many bins (fd on a heavy-tailed map): count only the occupied ones.
  scratch.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) scratch[size_t(i)] = bin_of(v[size_t(i)]);
  std::sort(scratch.begin(), scratch.end());
  std::vector<int64_t> runs;
  int64_t run = 1;
  for (int64_t i = 1; i < n; ++i) {
    if (scratch[size_t(i)] == scratch[size_t(i - 1)]) { ++run; continue; }
    runs.push_back(run);
    run = 1;
  }
  runs.push_back(run);
  return entropy_of_counts(runs.data(), runs.size(), double(n), log_base);
}

}  // namespace

torch::Tensor row_entropy(const torch::Tensor& values, const EntropyOptions& o) {
  TORCH_CHECK(values.dim() == 2, "row_entropy expects [N, n]");
  if (!values.device().is_cpu()) return row_entropy_tensor_ops(values, o);
  // On CPU the maps are independent: one pass per map, maps in parallel (TBB). Each pass
  // does the work of the tensor-op version in one sweep over the map's h*w values.
  torch::NoGradGuard no_grad;
  auto x = values.to(torch::kFloat32).contiguous();
  const int64_t rows = x.size(0), n = x.size(1);
  auto out = torch::zeros({rows}, torch::kFloat64);
  if (n == 0 || rows == 0) return out;
  const float* data = x.data_ptr<float>();
  double* result = out.data_ptr<double>();
  const EntropyTransform transform = o.effective_transform();
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 64), [&](const tbb::blocked_range<int64_t>& r) {
    std::vector<float> buffer;
    std::vector<int64_t> scratch;
    for (int64_t i = r.begin(); i < r.end(); ++i) result[i] = one_row_entropy(data + i * n, n, o, transform, buffer, scratch);
  });
  return out;
}

EntropyTransform EntropyOptions::effective_transform() const {
  if (transform != EntropyTransform::kDefault) return transform;
  return estimator == EntropyEstimator::kDistribution ? EntropyTransform::kAbs : EntropyTransform::kRaw;
}

void EntropyOptions::set(const std::string& key, const std::string& value, const std::string& where) {
  if (key == "estimator") {
    if (value == "histogram") estimator = EntropyEstimator::kHistogram;
    else if (value == "unique") estimator = EntropyEstimator::kUnique;
    else if (value == "distribution") estimator = EntropyEstimator::kDistribution;
    else throw InputError(where + ": estimator '" + value + "' is not one of histogram, unique, distribution");
  } else if (key == "bins") {
    if (is_rule(value)) {
      bin_rule = value;
      bin_count = 0;
    } else {
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < 1 || v > 1000000)
        throw InputError(where + ": bins '" + value +
                         "' is not a positive integer (<= 1000000) or one of auto, fd, doane, scott, rice, sturges, sqrt");
      bin_count = v;
    }
  } else if (key == "transform") {
    if (value == "raw") transform = EntropyTransform::kRaw;
    else if (value == "abs") transform = EntropyTransform::kAbs;
    else if (value == "relu") transform = EntropyTransform::kRelu;
    else throw InputError(where + ": transform '" + value + "' is not one of raw, abs, relu");
  } else if (key == "base") {
    if (value == "2") base = 2.0;
    else if (value == "e") base = std::exp(1.0);
    else if (value == "10") base = 10.0;
    else throw InputError(where + ": base '" + value + "' is not one of 2, e, 10");
  } else {
    throw InputError(where + ": unknown key '" + key + "' (expected estimator, bins, transform, base)");
  }
}

void EntropyOptions::validate(const std::string& where) const {
  if (estimator == EntropyEstimator::kDistribution && transform == EntropyTransform::kRaw)
    throw InputError(where + ": transform=raw cannot be used with estimator=distribution, which needs "
                     "non-negative values (use abs or relu)");
}

EntropyOptions EntropyOptions::parse(const std::string& text, const std::string& where) {
  EntropyOptions o;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw InputError(where + ": '" + item + "' is not key=value");
    o.set(item.substr(0, eq), item.substr(eq + 1), where);
  }
  o.validate(where);
  return o;
}

std::string EntropyOptions::to_string() const {
  const char* est[] = {"histogram", "unique", "distribution"};
  const char* tr[] = {"default", "raw", "abs", "relu"};
  std::string b = base == 2.0 ? "2" : base == 10.0 ? "10" : "e";
  return std::string("estimator=") + est[int(estimator)] +
         ",bins=" + (bin_count > 0 ? std::to_string(bin_count) : bin_rule) +
         ",transform=" + tr[int(effective_transform())] + ",base=" + b;
}

}  // namespace entcam
