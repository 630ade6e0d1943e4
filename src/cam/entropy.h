#pragma once
// Shannon entropy H of each row of a [N, n] tensor of map values (docs/spec.md §2 "Entropy H of
// one map"), all rows at once. Used by the seed paper's Grad-Entropy-CAM (Eq. 3) and
// Feature-Entropy-CAM (Eq. 5).
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace entcam {

enum class EntropyEstimator { kHistogram, kUnique, kDistribution };
enum class EntropyTransform { kDefault, kRaw, kAbs, kRelu };  // kDefault: abs for distribution, raw otherwise

struct EntropyOptions {
  EntropyEstimator estimator = EntropyEstimator::kHistogram;
  // Histogram bins: a positive count, or one of numpy's rules (auto fd doane scott rice sturges sqrt).
  int64_t bin_count = 0;       // > 0 when a count is given
  std::string bin_rule = "auto";
  EntropyTransform transform = EntropyTransform::kDefault;
  double base = 2.0;           // 2 or e

  // Parses "estimator=histogram,bins=16,transform=abs,base=e" on top of the defaults.
  // Throws InputError naming the key and the expected values. `where` prefixes messages.
  static EntropyOptions parse(const std::string& text, const std::string& where = "--entropy");
  // Sets one key (estimator, bins, transform, base); used by the config layer too.
  void set(const std::string& key, const std::string& value, const std::string& where);
  void validate(const std::string& where) const;
  EntropyTransform effective_transform() const;
  std::string to_string() const;  // canonical "estimator=...,bins=...,transform=...,base=..."
};

// [N, n] float32 values -> [N] float64 entropies (same device).
// histogram: numpy.histogram(x, bins) counts + scipy.stats.entropy; unique: skimage's
// shannon_entropy; distribution: scipy.stats.entropy(x) with all-zero rows giving 0.
// CPU tensors take a TBB-parallel pass per map; other devices the tensor-op version.
torch::Tensor row_entropy(const torch::Tensor& values, const EntropyOptions& options);
// The same, with tensor operations only (any device; exposed so tests compare the two).
torch::Tensor row_entropy_tensor_ops(const torch::Tensor& values, const EntropyOptions& options);

// Number of equal-width bins numpy.histogram_bin_edges picks for one row, given its
// statistics (exposed for tests).
struct RowStats {
  float min, max;       // float32, as numpy sees them
  double std;           // population std
  double p25, p75;      // numpy.percentile(x, [25, 75]) (linear)
  double skew_g1;       // mean(((x - mean) / std)^3)
  int64_t n;
};
// numpy.histogram_bin_edges' rule names that `bins` accepts besides a count.
const std::vector<std::string>& numpy_bin_rules();
int64_t numpy_bin_count(const std::string& rule, const RowStats& s);

}  // namespace entcam
