#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cam/entropy.h"
#include "core/error.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;

TEST(Entropy, HistogramByHand) {
  // Values 0,0,1,1,2,3 with 3 bins over [0,3]: edges 0,1,2,3 -> counts 2,2,2 -> log2(3).
  auto x = torch::tensor({0.f, 0.f, 1.f, 1.f, 2.f, 3.f}).unsqueeze(0);
  auto o = EntropyOptions::parse("bins=3");
  EXPECT_NEAR(row_entropy(x, o).item<double>(), std::log2(3.0), 1e-12);
  // 2 bins: edges 0,1.5,3 -> counts 4,2 -> H = -(2/3 log2 2/3 + 1/3 log2 1/3).
  o = EntropyOptions::parse("bins=2,base=e");
  const double h = -(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3));
  EXPECT_NEAR(row_entropy(x, o).item<double>(), h, 1e-12);
}

TEST(Entropy, ConstantAndZeroMaps) {
  auto constant = torch::full({2, 16}, 0.7f);
  for (const char* spec : {"bins=auto", "bins=10", "estimator=unique", "bins=fd", "bins=doane"})
    EXPECT_EQ(row_entropy(constant, EntropyOptions::parse(spec)).abs().max().item<double>(), 0.0) << spec;
  // distribution: a constant positive map is uniform, log(h*w); all-zero gives 0.
  EXPECT_NEAR(row_entropy(constant, EntropyOptions::parse("estimator=distribution"))[0].item<double>(), 4.0, 1e-12);
  EXPECT_EQ(row_entropy(torch::zeros({1, 16}), EntropyOptions::parse("estimator=distribution")).item<double>(), 0.0);
}

TEST(Entropy, UniqueCountsDistinctValues) {
  auto x = torch::tensor({1.f, 1.f, 2.f, 5.f}).unsqueeze(0);  // p = 1/2, 1/4, 1/4 -> 1.5 bits
  EXPECT_NEAR(row_entropy(x, EntropyOptions::parse("estimator=unique")).item<double>(), 1.5, 1e-12);
  // relu transform maps negatives to 0: {0,0,1,1} -> 1 bit.
  auto y = torch::tensor({-1.f, -3.f, 1.f, 1.f}).unsqueeze(0);
  EXPECT_NEAR(row_entropy(y, EntropyOptions::parse("estimator=unique,transform=relu")).item<double>(), 1.0, 1e-12);
}

TEST(Entropy, MatchesNumpyScipySkimageReferences) {
  // tests/fixtures/make_fixtures.py: numpy.histogram + scipy.stats.entropy, skimage's
  // shannon_entropy and scipy.stats.entropy on float32 samples, every option.
  std::ifstream in(fixture("entropy_reference.json"));
  auto ref = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& c : ref["cases"]) {
    const std::string sample = c["sample"];
    auto x = test::load_npy_tensor(fixture("entropy_" + sample + ".npy")).reshape({1, -1});
    std::string spec = "estimator=" + c["estimator"].get<std::string>() + ",transform=" + c["transform"].get<std::string>() +
                       ",base=" + c["base"].get<std::string>();
    if (c.contains("bins")) spec += ",bins=" + (c["bins"].is_string() ? c["bins"].get<std::string>() : std::to_string(c["bins"].get<int>()));
    const double got = row_entropy(x, EntropyOptions::parse(spec)).item<double>();
    const double want = c["entropy"];
    // scipy computes the distribution estimator in float32; counts-based ones are exact.
    const double tol = c["estimator"] == "distribution" ? 2e-6 * std::max(1.0, want) : 1e-9;
    EXPECT_NEAR(got, want, tol) << sample << " " << spec;
    ++checked;
  }
  EXPECT_GT(checked, 400);
}

TEST(Entropy, AllRowsAtOnceEqualOneAtATime) {
  auto x = torch::randn({64, 49});
  x[3].fill_(2.0);
  for (const char* spec : {"bins=auto", "bins=7", "bins=doane", "estimator=unique", "estimator=distribution"}) {
    auto o = EntropyOptions::parse(spec);
    auto all = row_entropy(x, o);
    for (int r = 0; r < 64; r += 9) EXPECT_NEAR(all[r].item<double>(), row_entropy(x.narrow(0, r, 1), o).item<double>(), 1e-12) << spec;
  }
}

TEST(Entropy, ParallelKernelEqualsTensorOps) {
  // The CPU path (a pass per map) and the tensor-op path (any device) implement the same algorithm.
  auto x = torch::randn({200, 36});
  x[5].fill_(1.5);
  x[7].zero_();
  x.narrow(0, 10, 20).clamp_min_(0);
  x[40] = x[40].pow(5);  // heavy tails: many fd bins
  for (const char* spec : {"bins=auto", "bins=fd", "bins=doane", "bins=scott", "bins=rice", "bins=sturges", "bins=sqrt",
                           "bins=3", "bins=50", "bins=100000", "estimator=unique", "estimator=unique,transform=relu",
                           "estimator=distribution", "estimator=distribution,transform=relu,base=e"}) {
    auto o = EntropyOptions::parse(spec);
    EXPECT_LE((row_entropy(x, o) - row_entropy_tensor_ops(x, o)).abs().max().item<double>(), 1e-9) << spec;
  }
}

TEST(Entropy, NumpyBinRulesByHand) {
  // n = 100 values over [0, 1]: sqrt -> ceil(1 / (1/10)) = 10; sturges -> ceil(log2(100) + 1) = 8.
  RowStats s{0.0f, 1.0f, 0.3, 0.25, 0.75, 0.0, 100};
  EXPECT_EQ(numpy_bin_count("sqrt", s), 10);
  EXPECT_EQ(numpy_bin_count("sturges", s), 8);
  EXPECT_EQ(numpy_bin_count("rice", s), 10);  // 2 * 100^(1/3) = 9.28
  // fd: 2 * 0.5 * 100^(-1/3) = 0.2154 -> 5 bins; auto = min(fd, sturges) widths -> 8 bins.
  EXPECT_EQ(numpy_bin_count("fd", s), 5);
  EXPECT_EQ(numpy_bin_count("auto", s), 8);
  s.p25 = s.p75 = 0.5;  // IQR 0: fd falls back to one bin, auto to sturges
  EXPECT_EQ(numpy_bin_count("fd", s), 1);
  EXPECT_EQ(numpy_bin_count("auto", s), 8);
}

TEST(Entropy, OptionErrorsNameKeyAndExpectedValues) {
  auto error_of = [](const std::string& spec) {
    try {
      EntropyOptions::parse(spec);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("estimator=kde"), "--entropy: estimator 'kde' is not one of histogram, unique, distribution");
  EXPECT_EQ(error_of("bins=0"),
            "--entropy: bins '0' is not a positive integer (<= 1000000) or one of auto, fd, doane, scott, rice, sturges, sqrt");
  EXPECT_EQ(error_of("transform=square"), "--entropy: transform 'square' is not one of raw, abs, relu");
  EXPECT_EQ(error_of("base=3"), "--entropy: base '3' is not one of 2, e, 10");
  EXPECT_EQ(error_of("colour=red"), "--entropy: unknown key 'colour' (expected estimator, bins, transform, base)");
  EXPECT_EQ(error_of("bins"), "--entropy: 'bins' is not key=value");
  EXPECT_EQ(error_of("estimator=distribution,transform=raw"),
            "--entropy: transform=raw cannot be used with estimator=distribution, which needs non-negative values (use abs or relu)");
  EXPECT_EQ(EntropyOptions::parse("estimator=distribution").to_string(), "estimator=distribution,bins=auto,transform=abs,base=2");
}
