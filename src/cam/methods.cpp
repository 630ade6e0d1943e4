#include "cam/methods.h"

#include <set>

#include "core/error.h"

namespace entcam {

torch::Tensor weighted_sum(const torch::Tensor& weights, const torch::Tensor& A) {
  return (weights.unsqueeze(-1).unsqueeze(-1) * A).sum(1);
}

torch::Tensor channel_entropy(const torch::Tensor& maps, const EntropyOptions& options) {
  const auto B = maps.size(0), K = maps.size(1);
  return row_entropy(maps.reshape({B * K, -1}), options).reshape({B, K}).to(maps.dtype());
}

torch::Tensor first_principal_projection(const torch::Tensor& maps) {
  // Eigen-CAM (Muhammad et al. 2020): project the centred [hw, K] matrix M on its first
  // right singular vector v1. M v1 = s1 u1, with u1, s1^2 the top eigenpair of the small
  // side's Gram matrix, so only a min(hw, K)-sized symmetric eigenproblem is solved.
  const auto B = maps.size(0), K = maps.size(1), h = maps.size(2), w = maps.size(3);
  auto M = torch::nan_to_num(maps.to(torch::kFloat64), 0.0, 0.0, 0.0).reshape({B, K, h * w}).transpose(1, 2);
  M = M - M.mean(1, /*keepdim=*/true);
  torch::Tensor p;
  if (h * w <= K) {
    auto [evals, evecs] = torch::linalg::eigh(M.matmul(M.transpose(1, 2)), "L");
    auto u1 = evecs.select(2, h * w - 1);
    p = u1 * evals.select(1, h * w - 1).clamp_min(0).sqrt().unsqueeze(1);
  } else {
    auto [evals, evecs] = torch::linalg::eigh(M.transpose(1, 2).matmul(M), "L");
    p = M.matmul(evecs.select(2, K - 1).unsqueeze(2)).squeeze(2);
  }
  // The SVD leaves the sign arbitrary: make the larger-magnitude extreme positive
  // (pytorch-grad-cam's get_2d_projection_with_sign_correction).
  auto flip = std::get<0>(p.min(1)).abs() > std::get<0>(p.max(1)).abs();
  p = torch::where(flip.unsqueeze(1), -p, p);
  return p.reshape({B, h, w}).to(maps.dtype());
}

namespace {

// Selvaraju et al. 2017, Eq. 1-2 (seed paper Eq. 1-2): w_k = mean_ij G.
torch::Tensor grad_cam(const CamInputs& in) { return weighted_sum(in.G.mean({2, 3}), in.A); }

// Draelos & Carin 2020: element-wise G * A summed over channels.
torch::Tensor hires_cam(const CamInputs& in) { return (in.G * in.A).sum(1); }

// Zhao et al. 2018 (Respond-CAM) and Fu et al. 2020 (XGrad-CAM) share this weight:
// w_k = sum_ij(A G) / (sum_ij A + eps).
torch::Tensor activation_weighted_gradient(const CamInputs& in) {
  return weighted_sum((in.A * in.G).sum({2, 3}) / (in.A.sum({2, 3}) + 1e-7), in.A);
}

// Chattopadhay et al. 2018 (Grad-CAM++), closed form with exponential-free gradients.
torch::Tensor grad_cam_pp(const CamInputs& in) {
  auto g2 = in.G.pow(2);
  auto g3 = g2 * in.G;
  auto sum_a = in.A.sum({2, 3}, /*keepdim=*/true);
  auto alpha = g2 / (2 * g2 + sum_a * g3 + 1e-6);
  alpha = torch::where(in.G.ne(0), alpha, torch::zeros_like(alpha));
  return weighted_sum((in.G.clamp_min(0) * alpha).sum({2, 3}), in.A);
}

// Jiang et al. 2021 (LayerCAM): ReLU(G) * A summed over channels.
torch::Tensor layer_cam(const CamInputs& in) { return (in.G.clamp_min(0) * in.A).sum(1); }

torch::Tensor eigen_cam(const CamInputs& in) { return first_principal_projection(in.A); }
torch::Tensor eigen_grad_cam(const CamInputs& in) { return first_principal_projection(in.A * in.G); }

// Seed paper Eq. 3-4: E_k = H(dy^c/dA^k); L = ReLU(sum_k E_k A^k).
torch::Tensor grad_entropy_cam(const CamInputs& in) {
  return weighted_sum(channel_entropy(in.G, in.ctx.entropy), in.A);
}

// Seed paper Eq. 5: L = ReLU(sum_k H(A^k) A^k).
torch::Tensor feature_entropy_cam(const CamInputs& in) {
  return weighted_sum(channel_entropy(in.A, in.ctx.entropy), in.A);
}

}  // namespace

const std::vector<CamMethod>& cam_methods() {
  static const std::vector<CamMethod> methods = {
      {"grad_cam", grad_cam, true, true},  // Selvaraju et al. 2017
      {"hires_cam", hires_cam, true, true},  // Draelos & Carin 2020
      {"respond_cam", activation_weighted_gradient, true, true},  // Zhao et al. 2018
      {"xgrad_cam", activation_weighted_gradient, true, true},  // Fu et al. 2020
      {"grad_cam_pp", grad_cam_pp, true, true},  // Chattopadhay et al. 2018
      {"layer_cam", layer_cam, true, true},  // Jiang et al. 2021
      {"eigen_cam", eigen_cam, true, false},  // Muhammad et al. 2020
      {"eigen_grad_cam", eigen_grad_cam, true, true},  // pytorch-grad-cam
      {"grad_entropy_cam", grad_entropy_cam, true, true},  // Boketsu-Boulu & Rouhafzay 2024, Eq. 3-4
      {"feature_entropy_cam", feature_entropy_cam, true, false},  // Boketsu-Boulu & Rouhafzay 2024, Eq. 5
      {"score_cam", score_cam, false, false},  // Wang et al. 2020
      {"ablation_cam", ablation_cam, false, false},  // Desai & Ramaswamy 2020
  };
  return methods;
}

const CamMethod& find_cam_method(const std::string& id) {
  for (const auto& m : cam_methods())
    if (id == m.id) return m;
  std::string ids;
  for (const auto& m : cam_methods()) ids += (ids.empty() ? "" : ", ") + std::string(m.id);
  throw InputError("unknown CAM method '" + id + "' (expected all or some of: " + ids + ")");
}

std::vector<const CamMethod*> parse_method_list(const std::string& list) {
  std::set<std::string> wanted;
  if (list == "all" || list.empty()) {
    for (const auto& m : cam_methods()) wanted.insert(m.id);
  } else {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string id = list.substr(start, comma - start);
      if (!id.empty()) wanted.insert(find_cam_method(id).id);
      start = comma + 1;
    }
  }
  std::vector<const CamMethod*> out;
  for (const auto& m : cam_methods())
    if (wanted.count(m.id)) out.push_back(&m);
  return out;
}

}  // namespace entcam
