#include "cam/entropy.h"

#include <cmath>
#include <sstream>

#include "core/error.h"

namespace entcam {
namespace {

const char* kRules[] = {"auto", "fd", "doane", "scott", "rice", "sturges", "sqrt"};

bool is_rule(const std::string& s) {
  for (const char* r : kRules)
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

// Shannon entropy of the distribution of equal keys in each row of `sorted_keys` [N, n]
// (rows sorted ascending): p = run length / n.
torch::Tensor entropy_of_runs(const torch::Tensor& sorted_keys, double base) {
  const int64_t n = sorted_keys.size(1);
  auto starts = torch::ones_like(sorted_keys, torch::kLong);
  if (n > 1)
    starts.slice(1, 1) = sorted_keys.slice(1, 1).ne(sorted_keys.slice(1, 0, n - 1)).to(torch::kLong);
  auto run_id = starts.cumsum(1) - 1;
  auto counts = torch::zeros(sorted_keys.sizes(), sorted_keys.options().dtype(torch::kFloat64))
                    .scatter_add_(1, run_id, torch::ones(sorted_keys.sizes(), sorted_keys.options().dtype(torch::kFloat64)));
  auto p = counts / double(n);
  return -torch::xlogy(p, p).sum(1) / std::log(base);
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

torch::Tensor row_entropy(const torch::Tensor& values, const EntropyOptions& o) {
  TORCH_CHECK(values.dim() == 2, "row_entropy expects [N, n]");
  torch::NoGradGuard no_grad;
  torch::Tensor x = values.to(torch::kFloat32);
  switch (o.effective_transform()) {
    case EntropyTransform::kAbs: x = x.abs(); break;
    case EntropyTransform::kRelu: x = x.clamp_min(0); break;
    default: break;
  }
  const int64_t rows = x.size(0), n = x.size(1);
  if (n == 0) return torch::zeros({rows}, x.options().dtype(torch::kFloat64));

  if (o.estimator == EntropyEstimator::kDistribution) {
    auto xd = x.to(torch::kFloat64);
    auto total = xd.sum(1, /*keepdim=*/true);
    auto p = xd / total;
    auto h = -torch::xlogy(p, p).sum(1) / std::log(o.base);
    return torch::where(total.squeeze(1) > 0, h, torch::zeros_like(h));
  }

  auto sorted = std::get<0>(x.sort(1));
  if (o.estimator == EntropyEstimator::kUnique) return entropy_of_runs(sorted, o.base);

  // Histogram: numpy.histogram(x, bins) with bins from a count or a rule, range min..max.
  auto first32 = sorted.select(1, 0).contiguous();
  auto last32 = sorted.select(1, n - 1).contiguous();
  std::vector<int64_t> bins(rows, o.bin_count);
  if (o.bin_count <= 0) {
    auto xd = x.to(torch::kFloat64);
    auto mean = xd.mean(1, true);
    // np.std and the Doane skewness are float32 in numpy; round to float32 as it does.
    auto std32 = (xd - mean).pow(2).mean(1).sqrt().to(torch::kFloat32).to(torch::kFloat64);
    auto g1 = (((xd - mean) / std32.unsqueeze(1)).pow(3)).mean(1).to(torch::kFloat32).to(torch::kFloat64);
    auto sorted_cpu = sorted.cpu().contiguous();
    auto std_cpu = std32.cpu(), g1_cpu = g1.cpu();
    const float* sp = sorted_cpu.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = sp + r * n;
      RowStats s{row[0], row[n - 1], std_cpu[r].item<double>(), numpy_percentile(row, n, 25.0),
                 numpy_percentile(row, n, 75.0), g1_cpu[r].item<double>(), n};
      bins[r] = numpy_bin_count(o.bin_rule, s);
    }
  }
  auto nb = torch::tensor(bins, torch::kLong).to(x.device()).unsqueeze(1);
  auto first = first32.unsqueeze(1), last = last32.unsqueeze(1);
  auto constant = first.eq(last);
  // Index guess in float32 as numpy computes it, then the exact corrections against the
  // float32 bin edges (np.linspace in float64, cast to float32; last edge = max).
  auto denom = torch::where(constant, torch::ones_like(first), last - first);
  auto idx = (((sorted - first) / denom) * nb.to(torch::kFloat32)).to(torch::kLong);
  idx = torch::where(idx.ge(nb), nb - 1, idx);
  auto start = first.to(torch::kFloat64), stop = last.to(torch::kFloat64);
  auto step = (stop - start) / nb.to(torch::kFloat64);
  auto edge = [&](const torch::Tensor& i) {
    auto e = (start + i.to(torch::kFloat64) * step).to(torch::kFloat32);
    return torch::where(i.ge(nb), last.expand_as(e), e);
  };
  idx = idx - sorted.lt(edge(idx)).to(torch::kLong);
  idx = idx + (sorted.ge(edge(idx + 1)) & idx.ne(nb - 1)).to(torch::kLong);
  idx = torch::where(constant, torch::zeros_like(idx), idx);
  return entropy_of_runs(idx, o.base);
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
