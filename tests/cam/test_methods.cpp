#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cam/engine.h"
#include "cam/methods.h"
#include "core/error.h"
#include "models/registry.h"
#include "support/torch_support.h"

using namespace entcam;
using entcam::test::fixture;
using entcam::test::normalized_max_diff;

namespace {

// A0 = [[1,2],[3,4]], A1 = [[0,1],[1,0]]; G0 = [[1,-1],[0,2]], G1 = 0.5 everywhere.
struct Tiny {
  torch::Tensor A = torch::tensor({1.f, 2.f, 3.f, 4.f, 0.f, 1.f, 1.f, 0.f}).reshape({1, 2, 2, 2});
  torch::Tensor G = torch::tensor({1.f, -1.f, 0.f, 2.f, .5f, .5f, .5f, .5f}).reshape({1, 2, 2, 2});
};

torch::Tensor run(const std::string& id, const torch::Tensor& A, const torch::Tensor& G, const EntropyOptions& e = {}) {
  CamContext ctx;
  ctx.entropy = e;
  torch::Tensor map = find_cam_method(id).map(CamInputs{A, G, ctx});
  clean_maps(map);
  return map[0];
}

torch::Tensor grid(std::initializer_list<float> v) { return torch::tensor(std::vector<float>(v)).reshape({2, 2}); }

void expect_map(const torch::Tensor& got, const torch::Tensor& want, double tol = 1e-6) {
  EXPECT_TRUE(torch::allclose(got, want, 0, tol)) << "got\n" << got << "\nwant\n" << want;
}

// Counts the passes the engine makes through a classifier.
class Counting : public Classifier {
 public:
  explicit Counting(std::unique_ptr<Classifier> inner) : inner_(std::move(inner)) {}
  torch::Tensor forward(const torch::Tensor& x) override { ++forwards; return inner_->forward(x); }
  torch::Tensor features(const torch::Tensor& x, const std::string& l) override { ++features_calls; return inner_->features(x, l); }
  torch::Tensor head(const torch::Tensor& a, const std::string& l) override { ++head_calls; return inner_->head(a, l); }
  std::vector<std::string> layers() const override { return inner_->layers(); }
  std::string default_layer() const override { return inner_->default_layer(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  InputSpec input_spec() const override { return inner_->input_spec(); }
  void to(const torch::Device& d) override { inner_->to(d); }
  torch::Device device() const override { return inner_->device(); }
  std::string description() const override { return inner_->description(); }
  int forwards = 0, features_calls = 0, head_calls = 0;

 private:
  std::unique_ptr<Classifier> inner_;
};

const CamOptions kDefaults;

std::unique_ptr<Classifier> mini() { return load_classifier(fixture("xception_mini.safetensors")); }

}  // namespace

TEST(CamMethods, GradCamByHand) {
  Tiny t;  // w = mean G = (0.5, 0.5)
  expect_map(run("grad_cam", t.A, t.G), grid({0.5f, 1.5f, 2.f, 2.f}));
}

TEST(CamMethods, HiResCamByHand) {
  Tiny t;  // G0*A0 + G1*A1 = [[1,-1.5],[0.5,8]] -> ReLU
  expect_map(run("hires_cam", t.A, t.G), grid({1.f, 0.f, 0.5f, 8.f}));
}

TEST(CamMethods, RespondAndXGradCamByHand) {
  Tiny t;  // w0 = 7/10, w1 = 1/2 (eps 1e-7)
  auto want = grid({0.7f, 1.9f, 2.6f, 2.8f});
  expect_map(run("respond_cam", t.A, t.G), want, 1e-5);
  expect_map(run("xgrad_cam", t.A, t.G), want, 1e-5);
}

TEST(CamMethods, GradCamPlusPlusByHand) {
  Tiny t;
  // Channel 0 (sum A = 10): alpha = 1/12 at G=1, 1/22 at G=2 -> w0 = 1/12 + 2/22; G=-1 gets ReLU 0, G=0 alpha 0.
  // Channel 1 (sum A = 2): alpha = .25 / (.5 + 2 * .125) = 1/3 everywhere -> w1 = 4 * .5 / 3.
  const float w0 = 1.f / 12 + 2.f / 22, w1 = 2.f / 3;
  expect_map(run("grad_cam_pp", t.A, t.G), grid({w0, 2 * w0 + w1, 3 * w0 + w1, 4 * w0}), 1e-5);
}

TEST(CamMethods, LayerCamByHand) {
  Tiny t;  // ReLU(G0)*A0 + ReLU(G1)*A1
  expect_map(run("layer_cam", t.A, t.G), grid({1.f, 0.5f, 0.5f, 8.f}));
}

TEST(CamMethods, EntropyCamsByHand) {
  Tiny t;
  // Seed paper Eq. 3-4: H(G0) over {1,-1,0,2} with numpy's auto rule -> 3 bins, counts 1,1,2 -> 1.5 bits;
  // H(G1) = 0 (constant). L = 1.5 A0.
  expect_map(run("grad_entropy_cam", t.A, t.G), grid({1.5f, 3.f, 4.5f, 6.f}));
  // Eq. 5: H(A0) over {1,2,3,4} -> 3 bins, counts 1,1,2 -> 1.5; H(A1) over {0,1,1,0} -> counts 2,0,2 -> 1.
  expect_map(run("feature_entropy_cam", t.A, t.G), grid({1.5f, 4.f, 5.5f, 6.f}));
  // Unique estimator: H(A0) = 2 bits, H(A1) = 1 bit.
  expect_map(run("feature_entropy_cam", t.A, t.G, EntropyOptions::parse("estimator=unique")), grid({2.f, 5.f, 7.f, 8.f}));
}

TEST(CamMethods, EigenCamProjectsOnFirstComponentWithPositiveSign) {
  // A0 = [[1,2],[3,6]], A1 = [[0,1],[1,0]]: centred M rows (-2,-.5) (-1,.5) (0,.5) (3,-.5);
  // M^T M = [[14,-1],[-1,1]], top eigenvalue (15 + sqrt(173)) / 2, v1 ~ (1, 14 - lambda).
  auto A = torch::tensor({1.f, 2.f, 3.f, 6.f, 0.f, 1.f, 1.f, 0.f}).reshape({1, 2, 2, 2});
  const double lambda = (15 + std::sqrt(173.0)) / 2, vy = 14 - lambda, norm = std::sqrt(1 + vy * vy);
  const double p_last = (3 - 0.5 * vy) / norm;  // the only positive projection
  auto map = run("eigen_cam", A, torch::zeros_like(A));
  expect_map(map, grid({0.f, 0.f, 0.f, float(p_last)}), 1e-5);
  // Flipping A's sign flips the projection; the sign correction keeps the larger extreme positive.
  auto flipped = run("eigen_cam", -A, torch::zeros_like(A));
  EXPECT_GT(flipped.max().item<float>(), 0.f);
}

TEST(CamMethods, NonFiniteAndAllZeroMapsAreCleanedAndFlagged) {
  auto maps = torch::tensor({1.f, NAN, -2.f, 3.f, -1.f, -1.f, 0.f, 0.f, 0.f, 1.f, 2.f, 3.f}).reshape({3, 2, 2});
  auto flags = clean_maps(maps);
  EXPECT_EQ(flags, (std::vector<bool>{true, true, false}));
  EXPECT_TRUE(torch::equal(maps[0], grid({1.f, 0.f, 0.f, 3.f})));
  EXPECT_TRUE(torch::equal(maps[1], torch::zeros({2, 2})));
}

TEST(CamMethods, MethodListParsing) {
  EXPECT_EQ(parse_method_list("all").size(), 12u);
  auto two = parse_method_list("hires_cam,grad_cam,grad_cam");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_STREQ(two[0]->id, "grad_cam");
  try {
    parse_method_list("grad_cam,gradcam");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown CAM method 'gradcam'"), std::string::npos);
  }
}

TEST(CamEngine, OneForwardOneBackwardForAllGradientMethods) {
  Counting model(mini());
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto cap = capture_layer(model, x, "conv4");
  EXPECT_EQ(model.features_calls, 1);
  EXPECT_EQ(model.head_calls, 1);
  std::vector<const CamMethod*> one_pass;
  for (const auto& m : cam_methods())
    if (m.one_pass) one_pass.push_back(&m);
  EXPECT_EQ(one_pass.size(), 10u);
  auto maps = run_methods(cap, one_pass, kDefaults, &model);
  EXPECT_EQ(maps.size(), 10u);
  EXPECT_EQ(model.features_calls + model.head_calls + model.forwards, 2);  // the methods made no pass of their own
  // Ablation-CAM runs only the part after the target layer: 1 + ceil(K / batch) head passes per image.
  CamOptions o;
  o.batch_size = 100;
  run_methods(cap, parse_method_list("ablation_cam"), o, &model);
  EXPECT_EQ(model.features_calls, 1);
  EXPECT_EQ(model.head_calls, 1 + 2 * (1 + 3));  // K = 256
}

// uses_gradients is what setting_warnings trusts: a method flagged false must give the same
// maps whatever G is, and one flagged true must change with G.
TEST(CamEngine, UsesGradientsFlagsExactlyTheMethodsThatReadG) {
  auto model = mini();
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  // Positive A and G give every method a map that is not all zero; G rounded to a few levels, so
  // that each channel has its own histogram (a tie-free G looks uniform to the unique estimator).
  auto cap = capture_layer(*model, x, "conv4");
  torch::manual_seed(3);
  cap.A = cap.A.abs() + 0.01;
  cap.G = torch::round(torch::rand_like(cap.G) * 4) + 1;
  LayerCapture other = cap;
  other.G = torch::round(torch::rand_like(cap.G) * 4) + 1;
  CamOptions o;
  o.batch_size = 128;
  std::vector<const CamMethod*> all;
  for (const auto& m : cam_methods()) all.push_back(&m);
  auto with_g = run_methods(cap, all, o, model.get()), with_other_g = run_methods(other, all, o, model.get());
  std::vector<std::string> without_g;
  for (const auto& m : cam_methods()) {
    const bool same = torch::equal(with_g.at(m.id).maps, with_other_g.at(m.id).maps);
    EXPECT_EQ(same, !m.uses_gradients) << m.id;
    if (!m.uses_gradients) without_g.push_back(m.id);
  }
  EXPECT_EQ(without_g, (std::vector<std::string>{"eigen_cam", "feature_entropy_cam", "score_cam", "ablation_cam"}));
  // a constant G (global-average-pool head at act4) is worth a warning only to methods that read it
  auto act4 = capture_layer(*model, x, "act4");
  EXPECT_TRUE(setting_warnings(act4, parse_method_list("score_cam,eigen_cam")).empty());
  ASSERT_EQ(setting_warnings(act4, parse_method_list("score_cam,grad_cam")).size(), 1u);
}

TEST(CamEngine, MatchesPytorchGradCamOnTheSameModel) {
  // References: tests/fixtures/make_fixtures.py (pytorch-grad-cam's formulas on hooked A, G).
  auto model = mini();
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  for (const std::string layer : {"act4", "conv4", "block3"}) {
    auto cap = capture_layer(*model, x, layer);
    auto maps = run_methods(cap, parse_method_list("grad_cam,hires_cam,xgrad_cam,respond_cam,grad_cam_pp,layer_cam,"
                                                   "eigen_cam,eigen_grad_cam,grad_entropy_cam,feature_entropy_cam"),
                            kDefaults, model.get());
    for (const auto& [id, mm] : maps) {
      auto want = test::load_npy_tensor(fixture("mini_" + layer + "_" + id + ".npy"));
      EXPECT_LE(normalized_max_diff(mm.maps, want), 1e-4) << layer << " " << id;
    }
  }
}

TEST(CamEngine, PerturbationMethodsMatchReferences) {
  auto model = mini();
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto cap = capture_layer(*model, x, "conv4", torch::tensor({1, 1}));
  CamOptions o;
  o.batch_size = 64;
  auto maps = run_methods(cap, parse_method_list("ablation_cam,score_cam"), o, model.get());
  EXPECT_LE(normalized_max_diff(maps["ablation_cam"].maps, test::load_npy_tensor(fixture("mini_conv4_class1_ablation_cam.npy"))), 1e-4);
  EXPECT_LE(normalized_max_diff(maps["score_cam"].maps, test::load_npy_tensor(fixture("mini_conv4_class1_score_cam.npy"))), 1e-4);
  o.score_cam_variant = "pytorch-grad-cam";
  auto pgc = run_methods(cap, parse_method_list("score_cam"), o, model.get());
  EXPECT_LE(normalized_max_diff(pgc["score_cam"].maps, test::load_npy_tensor(fixture("mini_conv4_class1_score_cam_pgc.npy"))), 1e-4);
}

// Score-CAM by its definition (docs/spec.md §2), one image and one chunk of masked inputs at a time,
// with no shortcut for constant channels: what score_cam's exact savings must reproduce.
torch::Tensor score_cam_by_definition(Classifier& model, const torch::Tensor& x, const torch::Tensor& A,
                                      const torch::Tensor& classes, bool pgc) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights;
  for (int64_t b = 0; b < A.size(0); ++b) {
    auto up = torch::nn::functional::interpolate(
                  A.narrow(0, b, 1), torch::nn::functional::InterpolateFuncOptions()
                                         .size(std::vector<int64_t>{x.size(2), x.size(3)}).mode(torch::kBilinear).align_corners(pgc))[0];
    auto flat = up.flatten(1);
    auto lo = std::get<0>(flat.min(1)).view({-1, 1, 1}), hi = std::get<0>(flat.max(1)).view({-1, 1, 1});
    auto constant = hi.eq(lo).view({-1});
    auto masks = pgc ? (up - lo) / (hi - lo + 1e-8) : torch::where(hi.eq(lo), torch::zeros_like(up), (up - lo) / (hi - lo));
    const int64_t c = classes[b].item<int64_t>();
    std::vector<torch::Tensor> scores;
    for (int64_t s = 0; s < A.size(1); s += 16) {
      auto logits = model.forward(x[b] * masks.slice(0, s, s + 16).unsqueeze(1));
      scores.push_back(pgc ? logits.select(1, c) : logits.softmax(1).select(1, c));
    }
    auto w = torch::cat(scores);
    weights.push_back(pgc ? w.softmax(0) : torch::where(constant, torch::zeros_like(w), w));
  }
  return weighted_sum(torch::stack(weights), A).clamp_min(0);
}

TEST(CamEngine, ScoreCamSkipsConstantChannelsExactly) {
  // Channels whose upsampled map is constant get no masked pass of their own: weight 0 (Wang),
  // or one shared pass of a zero image (pytorch-grad-cam); the images share full batches.
  Counting model(mini());
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto cap = capture_layer(model, x, "conv4", torch::tensor({1, 3}));
  ASSERT_EQ(cap.A.size(1), 256);
  cap.A[0].slice(0, 0, 100).zero_();    // 156 channels left to mask in image 0
  cap.A[1].slice(0, 200, 256).zero_();  // 200 in image 1
  CamOptions o;
  o.batch_size = 64;
  for (const std::string variant : {"wang", "pytorch-grad-cam"}) {
    o.score_cam_variant = variant;
    const bool pgc = variant != "wang";
    model.forwards = 0;
    auto maps = run_methods(cap, parse_method_list("score_cam"), o, &model);
    EXPECT_EQ(model.forwards, 6 + (pgc ? 1 : 0)) << variant;  // ceil(356 / 64) masked passes
    auto want = score_cam_by_definition(model, x, cap.A, cap.classes, pgc);
    EXPECT_LE(normalized_max_diff(maps["score_cam"].maps, want), 1e-5) << variant;
  }
}

TEST(CamEngine, GlobalAveragePoolHeadMakesGradientsSpatiallyConstantAtAct4) {
  // docs/spec.md §2 note: after a GAP head, G is constant over (i,j) at act4, so Grad-CAM = HiResCAM
  // there and H(G^k) = 0 (grad_entropy_cam degenerate); at conv4 (before BN and ReLU) they differ.
  auto model = mini();
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto methods = parse_method_list("grad_cam,hires_cam,grad_entropy_cam");
  auto cap_act4 = capture_layer(*model, x, "act4");
  auto at_act4 = run_methods(cap_act4, methods, kDefaults, model.get());
  EXPECT_LE(normalized_max_diff(at_act4["grad_cam"].maps, at_act4["hires_cam"].maps), 1e-5);
  EXPECT_EQ(channel_entropy(cap_act4.G, EntropyOptions{}).abs().max().item<float>(), 0.f);
  EXPECT_EQ(at_act4["grad_entropy_cam"].degenerate, (std::vector<bool>{true, true}));
  auto cap_conv4 = capture_layer(*model, x, "conv4");
  auto at_conv4 = run_methods(cap_conv4, methods, kDefaults, model.get());
  EXPECT_GT(normalized_max_diff(at_conv4["grad_cam"].maps, at_conv4["hires_cam"].maps), 1e-2);
  EXPECT_GT(channel_entropy(cap_conv4.G, EntropyOptions{}).mean().item<float>(), 0.05f);
}

TEST(CamEngine, ExplicitClassesAreValidated) {
  auto model = mini();
  auto x = test::load_npy_tensor(fixture("mini_input.npy"));
  auto cap = capture_layer(*model, x, "act4", torch::tensor({4, 0}));
  EXPECT_EQ(cap.classes[0].item<int64_t>(), 4);
  EXPECT_FLOAT_EQ(cap.scores[1].item<float>(), cap.logits[1][0].item<float>());
  EXPECT_THROW(capture_layer(*model, x, "act4", torch::tensor({5, 0})), InputError);
  EXPECT_THROW(capture_layer(*model, x, "act9"), InputError);
}
