// Sanity checks (MPRT, random logit), ROAD and complexity metrics: against the references of
// tests/fixtures/make_sanity_fixtures.py (Quantus, road_evaluation), hand-computed values,
// and the behaviour docs/spec.md §3 pins (class- and gradient-free maps survive randomisation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cam/methods.h"
#include "core/error.h"
#include "metrics/complexity.h"
#include "metrics/road.h"
#include "metrics/sanity.h"
#include "metrics/similarity.h"
#include "models/registry.h"
#include "support/torch_support.h"

namespace entcam {
namespace {

std::string sanity_fixture(const std::string& name) { return test::fixture("sanity/" + name); }

nlohmann::json reference() {
  std::ifstream in(sanity_fixture("reference.json"));
  return nlohmann::json::parse(in);
}

cv::Mat mat_of(const torch::Tensor& t) {  // [h,w] float32
  torch::Tensor c = t.to(torch::kFloat32).contiguous();
  return cv::Mat(int(c.size(0)), int(c.size(1)), CV_32F, c.data_ptr<float>()).clone();
}
cv::Mat load_map(const std::string& name) { return mat_of(test::load_npy_tensor(sanity_fixture(name))); }

// ---------------------------------------------------------------- similarity

TEST(Similarity, MatchesQuantusSpearmanAndSsim) {
  const auto ref = reference()["similarity"];
  for (const auto& [name, values] : ref.items()) {
    const cv::Mat a = abs_normalized_by_max(load_map("sim_" + name + "_a.npy"));
    const cv::Mat b = abs_normalized_by_max(load_map("sim_" + name + "_b.npy"));
    EXPECT_NEAR(spearman(a, b), values["spearman"].get<double>(), 1e-6) << name;
    EXPECT_NEAR(ssim(a, b), values["ssim"].get<double>(), 1e-6) << name;
  }
}

TEST(Similarity, HandComputedCases) {
  cv::Mat a = (cv::Mat_<float>(1, 4) << 1, 2, 3, 4), b = (cv::Mat_<float>(1, 4) << 10, 20, 30, 45);
  EXPECT_DOUBLE_EQ(spearman(a, b), 1.0);
  cv::Mat rev = (cv::Mat_<float>(1, 4) << 4, 3, 2, 1);
  EXPECT_DOUBLE_EQ(spearman(a, rev), -1.0);
  // Ties get average ranks: ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4): r = 0.9486832980505138.
  cv::Mat tied = (cv::Mat_<float>(1, 4) << 1, 1, 2, 3);
  EXPECT_NEAR(spearman(tied, a), 0.9486832980505138, 1e-12);
  EXPECT_TRUE(std::isnan(spearman(cv::Mat::ones(1, 4, CV_32F), a)));  // one constant: undefined (scipy: nan)
  EXPECT_TRUE(std::isnan(spearman(a, cv::Mat::zeros(1, 4, CV_32F))));
  // Both constant: the same all-tied ranking (docs/spec.md §3; scipy: nan).
  EXPECT_DOUBLE_EQ(spearman(cv::Mat::zeros(2, 3, CV_32F), cv::Mat::zeros(2, 3, CV_32F)), 1.0);
  EXPECT_DOUBLE_EQ(spearman(cv::Mat::ones(2, 3, CV_32F), cv::Mat::zeros(2, 3, CV_32F)), 1.0);

  cv::Mat m(9, 9, CV_32F);
  cv::randu(m, 0, 1);
  EXPECT_NEAR(ssim(m, m), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(ssim(cv::Mat::zeros(9, 9, CV_32F), cv::Mat::zeros(9, 9, CV_32F)), 1.0);  // the same constant
  EXPECT_THROW(ssim(cv::Mat::zeros(6, 9, CV_32F), cv::Mat::zeros(6, 9, CV_32F)), InputError);
  EXPECT_THROW(spearman(cv::Mat::zeros(3, 3, CV_32F), cv::Mat::zeros(3, 4, CV_32F)), InputError);
}

// ---------------------------------------------------------------- complexity

TEST(Complexity, GiniAndEntropyHandComputed) {
  // Gini: sum_i (2i - n - 1) a_i / (n sum a), a ascending.
  EXPECT_DOUBLE_EQ(sparseness((cv::Mat_<float>(1, 4) << 0, 0, 0, 1)), 0.75);       // 3 * 1 / (4 * 1)
  EXPECT_DOUBLE_EQ(sparseness((cv::Mat_<float>(1, 4) << 4, 1, 3, 2)), 0.25);       // (-3 - 2 + 3 + 12) / 40
  EXPECT_DOUBLE_EQ(sparseness((cv::Mat_<float>(2, 2) << 1, 1, 1, 1)), 0.0);        // uniform: not sparse
  EXPECT_DOUBLE_EQ(sparseness((cv::Mat_<float>(1, 4) << 0, -1, 0, 0)), 0.75);      // absolute values
  EXPECT_DOUBLE_EQ(sparseness(cv::Mat::zeros(3, 3, CV_32F)), 0.0);
  // Entropy of |a| / sum |a|, natural log.
  EXPECT_NEAR(complexity((cv::Mat_<float>(2, 2) << 1, 1, 1, 1)), std::log(4.0), 1e-15);
  EXPECT_NEAR(complexity((cv::Mat_<float>(1, 4) << 1, 1, 2, 0)), 1.5 * std::log(2.0), 1e-15);
  EXPECT_DOUBLE_EQ(complexity((cv::Mat_<float>(1, 4) << 0, 0, 0, 5)), 0.0);
  EXPECT_DOUBLE_EQ(complexity(cv::Mat::zeros(3, 3, CV_32F)), 0.0);
}

TEST(Complexity, MatchesQuantus) {
  const auto ref = reference();  // kept alive: items() only refers into it (ASan: use after free)
  for (const auto& [name, values] : ref["complexity"].items()) {
    const cv::Mat m = load_map("cx_" + name + ".npy");
    EXPECT_NEAR(sparseness(m), values["sparseness"].get<double>(), 1e-6) << name;
    EXPECT_NEAR(complexity(m), values["complexity"].get<double>(), 1e-6) << name;
  }
}

// ---------------------------------------------------------------- imputation

std::vector<uint8_t> removed_at(int H, int W, std::initializer_list<std::pair<int, int>> pixels) {
  std::vector<uint8_t> r(size_t(H * W), 0);
  for (auto [y, x] : pixels) r[size_t(y * W + x)] = 1;
  return r;
}

TEST(Road, ImputationOn4x4HandComputed) {
  SplitMix64 rng(1);
  // v(r,c) = 4r + c. Corner (0,0): neighbours (0,1)=1 and (1,0)=4 weigh 1/6, (1,1)=5 weighs 1/12;
  // (1/6 + 4/6 + 5/12) / (5/12) = 3.
  auto ramp = torch::arange(16, torch::kFloat32).view({1, 4, 4});
  auto out = noisy_linear_impute(ramp, removed_at(4, 4, {{0, 0}}), 0.0, rng);
  EXPECT_NEAR(out[0][0][0].item<float>(), 3.0f, 1e-6);
  EXPECT_EQ(out[0][3][3].item<float>(), 15.0f);  // kept pixels are untouched
  // Two adjacent interior pixels solved jointly: a linear image is reproduced exactly.
  out = noisy_linear_impute(ramp, removed_at(4, 4, {{1, 1}, {1, 2}}), 0.0, rng);
  EXPECT_NEAR(out[0][1][1].item<float>(), 5.0f, 1e-6);
  EXPECT_NEAR(out[0][1][2].item<float>(), 6.0f, 1e-6);
  // Zeros except (0,0) = 12 and (3,3) = 24; (1,1) and (2,2) removed, diagonal neighbours of each
  // other: x11 = (12 + x22) / 12, x22 = (x11 + 24) / 12 -> x11 = 168/143, x22 = 300/143.
  auto img = torch::zeros({1, 4, 4});
  img[0][0][0] = 12;
  img[0][3][3] = 24;
  out = noisy_linear_impute(img, removed_at(4, 4, {{1, 1}, {2, 2}}), 0.0, rng);
  EXPECT_NEAR(out[0][1][1].item<float>(), 168.0 / 143.0, 1e-6);
  EXPECT_NEAR(out[0][2][2].item<float>(), 300.0 / 143.0, 1e-6);
  EXPECT_THROW(noisy_linear_impute(img, std::vector<uint8_t>(16, 1), 0.0, rng), InputError);
}

TEST(Road, ImputationMatchesRoadEvaluationWithoutNoise) {
  const auto img = test::load_npy_tensor(sanity_fixture("impute_image.npy"));
  const auto keep = test::load_npy_tensor(sanity_fixture("impute_keep.npy"));
  const auto expected = test::load_npy_tensor(sanity_fixture("impute_expected.npy"));
  std::vector<uint8_t> removed(size_t(keep.numel()));
  for (int64_t i = 0; i < keep.numel(); ++i) removed[size_t(i)] = keep.view(-1)[i].item<float>() == 0 ? 1 : 0;
  SplitMix64 rng(3);
  const auto out = noisy_linear_impute(img, removed, 0.0, rng);
  EXPECT_LT((out - expected).abs().max().item<double>(), 1e-5);
}

TEST(Road, NoiseIsSeededAndOnlyOnRemovedPixels) {
  const auto img = test::load_npy_tensor(sanity_fixture("impute_image.npy"));
  std::vector<uint8_t> removed(99, 0);
  for (size_t i = 0; i < removed.size(); i += 2) removed[i] = 1;
  SplitMix64 r0(0), r1(7), r1b(7);
  const auto clean = noisy_linear_impute(img, removed, 0.0, r0);
  const auto a = noisy_linear_impute(img, removed, 0.5, r1), b = noisy_linear_impute(img, removed, 0.5, r1b);
  EXPECT_TRUE(torch::equal(a, b));
  auto diff = (a - clean).view({3, -1});
  double sq = 0;
  int64_t n = 0;
  for (int64_t p = 0; p < 99; ++p)
    for (int64_t c = 0; c < 3; ++c) {
      const double d = diff[c][p].item<double>();
      if (!removed[size_t(p)]) {
        EXPECT_EQ(d, 0.0);
      } else {
        sq += d * d;
        ++n;
      }
    }
  EXPECT_NEAR(std::sqrt(sq / double(n)), 0.5, 0.15);  // 150 draws of 0.5 * N(0,1)
}

TEST(Road, RemovalMaskTakesMostOrLeastRelevantFirst) {
  cv::Mat m = (cv::Mat_<float>(2, 5) << 0.9f, 0.1f, 0.5f, 0.5f, 0.3f, 0.0f, 1.0f, 0.2f, 0.7f, 0.4f);
  // Decreasing order: 6(1.0) 0(.9) 8(.7) 2(.5) 3(.5) 9(.4) 4(.3) 7(.2) 1(.1) 5(0).
  EXPECT_EQ(road_removal_mask(m, 30, true), (std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(road_removal_mask(m, 30, false), (std::vector<uint8_t>{0, 1, 0, 0, 0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(road_removal_mask(m, 45, true), (std::vector<uint8_t>{1, 0, 1, 0, 0, 0, 1, 0, 1, 0}));  // floor(4.5)
  EXPECT_THROW(road_removal_mask(m, 100, true), InputError);
  EXPECT_THROW(road_removal_mask(m, 0, true), InputError);
}

ProbabilityModel softmax_of(Classifier& model) {
  ProbabilityModel pm;
  pm.probabilities = [&model](const torch::Tensor& x) { return torch::softmax(model.forward(x), 1); };
  pm.batch_size = 7;  // not a divisor of 18: several batches, one partial
  return pm;
}

TEST(Road, ScoresMatchReferenceOnTorchScriptModel) {
  const auto ref = reference()["road"];
  auto model = load_classifier("torchscript:" + sanity_fixture("tiny.pt"));
  const auto x = test::load_npy_tensor(sanity_fixture("road_input.npy"));
  const auto maps = test::load_npy_tensor(sanity_fixture("road_maps.npy"));
  RoadOptions opt;
  opt.noise = 0;
  opt.percentiles = ref["percentiles"].get<std::vector<double>>();
  for (int i = 0; i < 2; ++i) {
    const auto& item = ref["items"][size_t(i)];
    const RoadResult r = road(softmax_of(*model), x[i], mat_of(maps[i]), item["class"].get<int64_t>(), opt, 0);
    for (size_t k = 0; k < opt.percentiles.size(); ++k) {
      EXPECT_NEAR(r.morf_curve[k], item["morf_curve"][k].get<double>(), 1e-4) << i << " p" << opt.percentiles[k];
      EXPECT_NEAR(r.lerf_curve[k], item["lerf_curve"][k].get<double>(), 1e-4) << i << " p" << opt.percentiles[k];
    }
    EXPECT_NEAR(r.morf, item["morf"].get<double>(), 1e-4);
    EXPECT_NEAR(r.lerf, item["lerf"].get<double>(), 1e-4);
    EXPECT_NEAR(r.gap, item["gap"].get<double>(), 1e-4);
  }
}

TEST(Road, ParallelImputationsDrawTheNoiseOfTheSequentialOrder) {
  // road() imputes its 2 x 3 copies in parallel; each must carry the noise a single
  // SplitMix64(seed) stream gives in the order MoRF then LeRF, percentiles ascending.
  const auto img = test::load_npy_tensor(sanity_fixture("impute_image.npy"));  // [3,9,11]
  cv::Mat map(int(img.size(1)), int(img.size(2)), CV_32F);
  cv::randu(map, 0.0f, 1.0f);
  RoadOptions opt;
  opt.percentiles = {20, 50, 80};
  opt.noise = 0.3;
  std::vector<torch::Tensor> seen;
  ProbabilityModel recorder;
  recorder.probabilities = [&seen](const torch::Tensor& batch) {
    for (int64_t i = 0; i < batch.size(0); ++i) seen.push_back(batch[i].clone());
    return torch::full({batch.size(0), 2}, 0.5f);
  };
  road(recorder, img, map, 0, opt, 42);
  SplitMix64 stream(42);
  size_t i = 0;
  for (bool morf : {true, false})
    for (double p : opt.percentiles) {
      ASSERT_LT(i, seen.size());
      EXPECT_TRUE(torch::equal(seen[i++], noisy_linear_impute(img, road_removal_mask(map, p, morf), opt.noise, stream)))
          << (morf ? "MoRF " : "LeRF ") << p;
    }
  EXPECT_EQ(i, seen.size());
}

// ---------------------------------------------------------------- sanity checks

TEST(Sanity, XceptionCascadeGoesFromTheClassifierDown) {
  auto model = load_classifier(test::fixture("xception_mini.safetensors"));  // 2 middle blocks: block1..block6
  EXPECT_EQ(mprt_cascade(*model),
            (std::vector<std::string>{"classifier", "act4", "bn4", "conv4", "act3", "bn3", "conv3", "block6", "block5",
                                      "block4", "block3", "block2", "block1", "act2", "bn2", "conv2", "act1", "bn1",
                                      "conv1"}));
  auto ts = load_classifier("torchscript:" + sanity_fixture("tiny.pt"));
  EXPECT_EQ(mprt_cascade(*ts), (std::vector<std::string>{"classifier", "features"}));
}

TEST(Sanity, RandomisationChangesOnlyTheCopyAndOnlyItsLayer) {
  auto model = load_classifier(test::fixture("xception_mini.safetensors"));
  const auto x = test::load_npy_tensor(test::fixture("mini_input.npy"));
  torch::NoGradGuard g;
  const auto before = model->forward(x);
  const auto a_before = model->features(x, "conv4");
  auto copy = model->clone();
  EXPECT_EQ(copy->randomize_layer("classifier", 1), 2);  // fc weight and bias
  EXPECT_EQ(copy->randomize_layer("act4", 2), 0);        // no parameters
  EXPECT_TRUE(torch::equal(copy->features(x, "conv4"), a_before));  // layers below untouched
  EXPECT_FALSE(torch::allclose(copy->forward(x), before));
  EXPECT_GT(copy->randomize_layer("conv4", 3), 0);
  EXPECT_FALSE(torch::allclose(copy->features(x, "conv4"), a_before));
  EXPECT_TRUE(torch::equal(model->forward(x), before));  // the original never changes
  // Seeded: the same seed gives the same weights.
  auto c1 = model->clone(), c2 = model->clone();
  c1->randomize_layer("block3", 9);
  c2->randomize_layer("block3", 9);
  EXPECT_TRUE(torch::equal(c1->forward(x), c2->forward(x)));
  EXPECT_THROW(model->clone()->randomize_layer("nope", 1), InputError);

  auto ts = load_classifier("torchscript:" + sanity_fixture("tiny.pt"));
  const auto xt = test::load_npy_tensor(sanity_fixture("road_input.npy"));
  const auto ts_before = ts->forward(xt);
  auto tcopy = ts->clone();
  EXPECT_EQ(tcopy->randomize_layer("classifier", 1), 2);  // fc.weight, fc.bias
  EXPECT_TRUE(torch::equal(tcopy->features(xt, "features"), ts->features(xt, "features")));
  EXPECT_FALSE(torch::allclose(tcopy->forward(xt), ts_before));
  EXPECT_EQ(tcopy->randomize_layer("features", 2), 6);  // conv1 (2), bn1 (2), conv2 (2)
  EXPECT_FALSE(torch::allclose(tcopy->features(xt, "features"), ts->features(xt, "features")));
  EXPECT_TRUE(torch::equal(ts->forward(xt), ts_before));
}

TEST(Sanity, RandomOtherClassIsUniformOverTheOthersAndSeeded) {
  std::vector<int> counts(5, 0);
  for (uint64_t key = 0; key < 4000; ++key) ++counts[size_t(random_other_class(2, 5, 42, key))];
  EXPECT_EQ(counts[2], 0);
  for (int c : {0, 1, 3, 4}) EXPECT_NEAR(counts[size_t(c)], 1000, 120) << c;
  EXPECT_EQ(random_other_class(2, 5, 42, 17), random_other_class(2, 5, 42, 17));
  EXPECT_EQ(random_other_class(0, 2, 1, 3), 1);
  EXPECT_THROW(random_other_class(0, 1, 1, 3), InputError);
}

// docs/spec.md §3 / issue 10 "Must show": feature_entropy_cam and eigen_cam use neither gradients nor
// the class, so their random-logit SSIM is 1 and their MPRT curve stays at 1 until the
// randomisation reaches the target layer; gradient methods drop as soon as the classifier
// is randomised.
void expect_sanity_behaviour(Classifier& model, const torch::Tensor& x, const std::string& layer) {
  const auto methods = parse_method_list("grad_cam,hires_cam,grad_entropy_cam,layer_cam,eigen_cam,feature_entropy_cam");
  torch::Tensor classes;
  {
    torch::NoGradGuard g;
    classes = model.forward(x).argmax(1);
  }
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < x.size(0); ++i) keys.push_back(uint64_t(100 + i));
  SanityOptions opt;
  opt.images_per_pass = 2;
  const SanityResult r = sanity_checks(model, x, classes, keys, layer, methods, opt);
  ASSERT_EQ(r.layers, mprt_cascade(model));
  const size_t target = size_t(std::find(r.layers.begin(), r.layers.end(), layer) - r.layers.begin());
  ASSERT_LT(target, r.layers.size());
  for (const char* id : {"feature_entropy_cam", "eigen_cam"}) {
    const auto& m = r.methods.at(id);
    for (double v : m.random_logit_ssim) EXPECT_NEAR(v, 1.0, 1e-6) << id;
    for (size_t step = 0; step < target; ++step)
      for (size_t i = 0; i < m.ssim[step].size(); ++i) {
        EXPECT_NEAR(m.ssim[step][i], 1.0, 1e-6) << id << " after " << r.layers[step];
        EXPECT_NEAR(m.spearman[step][i], 1.0, 1e-6) << id << " after " << r.layers[step];
      }
    // The step that randomises the target layer itself changes the activations.
    size_t first_change = target;
    while (first_change < r.layers.size() &&
           model.clone()->randomize_layer(r.layers[first_change], 0) == 0)
      ++first_change;
    ASSERT_LT(first_change, r.layers.size());
    for (size_t i = 0; i < m.ssim[first_change].size(); ++i)
      EXPECT_LT(m.ssim[first_change][i], 0.999) << id << " after " << r.layers[first_change];
  }
  for (const char* id : {"grad_cam", "hires_cam", "layer_cam"}) {
    const auto& m = r.methods.at(id);
    for (size_t i = 0; i < m.ssim[0].size(); ++i) {
      EXPECT_LT(m.ssim[0][i], 0.999) << id << " after the classifier";
      // NaN where the randomised map is all zero (Grad-CAM on xception-mini at block3): one
      // constant map has no ranking, and the value is left out of n (docs/spec.md §3).
      EXPECT_FALSE(m.spearman[0][i] >= 0.999) << id << " after the classifier: " << m.spearman[0][i];
    }
  }
}

TEST(Sanity, GradientFreeMapsSurviveRandomisationUntilTheirLayer_TorchScript) {
  auto model = load_classifier("torchscript:" + sanity_fixture("tiny.pt"));
  const auto before = model->forward(test::load_npy_tensor(sanity_fixture("road_input.npy")));
  expect_sanity_behaviour(*model, test::load_npy_tensor(sanity_fixture("road_input.npy")), "features");
  EXPECT_TRUE(torch::equal(model->forward(test::load_npy_tensor(sanity_fixture("road_input.npy"))), before));
}

// At act4 and block3 every method's map on this fixture is non-constant. (At conv4, before
// the ReLU, Feature-Entropy-CAM is all zero for both images; spearman() then compares two
// constant maps: 1, see Similarity.MatchesQuantusSpearmanAndSsim.)
TEST(Sanity, GradientFreeMapsSurviveRandomisationUntilTheirLayer_XceptionMini) {
  auto model = load_classifier(test::fixture("xception_mini.safetensors"));
  const auto x = test::load_npy_tensor(test::fixture("mini_input.npy"));
  expect_sanity_behaviour(*model, x, "act4");
  expect_sanity_behaviour(*model, x, "block3");
}


// The explain stage passes the maps it has just computed: the checks use them as the originals
// (no second computation) and, being the same maps, get the same values.
TEST(Sanity, KnownOriginalMapsAreUsedInsteadOfRecomputed) {
  auto model = load_classifier("torchscript:" + sanity_fixture("tiny.pt"));
  const auto x = test::load_npy_tensor(sanity_fixture("road_input.npy"));
  const auto methods = parse_method_list("grad_cam,eigen_cam,score_cam");
  torch::Tensor classes;
  {
    torch::NoGradGuard g;
    classes = model->forward(x).argmax(1);
  }
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < x.size(0); ++i) keys.push_back(uint64_t(7 + i));
  SanityOptions opt;
  opt.images_per_pass = x.size(0);
  const SanityResult computed = sanity_checks(*model, x, classes, keys, "features", methods, opt);
  std::map<std::string, torch::Tensor> known;
  for (const auto& [id, mm] : run_methods(capture_layer(*model, x, "features", classes), methods, opt.cam, model.get()))
    known[id] = mm.maps;
  const SanityResult reused = sanity_checks(*model, x, classes, keys, "features", methods, opt, known);
  for (const CamMethod* m : methods) {
    const auto &a = computed.methods.at(m->id), &b = reused.methods.at(m->id);
    ASSERT_EQ(a.random_logit_ssim.size(), size_t(x.size(0)));
    for (size_t i = 0; i < a.random_logit_ssim.size(); ++i)
      EXPECT_NEAR(a.random_logit_ssim[i], b.random_logit_ssim[i], 1e-6) << m->id;
    for (size_t step = 0; step < a.ssim.size(); ++step)
      for (size_t i = 0; i < a.ssim[step].size(); ++i) EXPECT_NEAR(a.ssim[step][i], b.ssim[step][i], 1e-6) << m->id;
  }
  // Given Eigen-CAM's maps as Grad-CAM's originals, Grad-CAM's values are Eigen-CAM's
  // originals against Grad-CAM's recomputed maps: they change.
  known["grad_cam"] = known.at("eigen_cam");
  const SanityResult swapped = sanity_checks(*model, x, classes, keys, "features", methods, opt, known);
  double moved = 0;
  for (size_t i = 0; i < size_t(x.size(0)); ++i)
    moved += std::fabs(swapped.methods.at("grad_cam").random_logit_ssim[i] - computed.methods.at("grad_cam").random_logit_ssim[i]);
  EXPECT_GT(moved, 1e-3);
  // A method missing from `known`: all originals are computed.
  known.erase("score_cam");
  const SanityResult partly = sanity_checks(*model, x, classes, keys, "features", methods, opt, known);
  EXPECT_EQ(partly.methods.at("grad_cam").random_logit_ssim, computed.methods.at("grad_cam").random_logit_ssim);
}

}  // namespace
}  // namespace entcam
