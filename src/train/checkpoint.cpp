#include "train/checkpoint.h"

#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "core/safetensors.h"
#include "models/weights.h"

namespace entcam {
namespace {

// LibTorch keys optimiser state by the parameter's TensorImpl: as a string of its address in
// 1.13 and as the raw pointer in later releases. Derive the key type from the map itself so
// both compile.
template <class StateMap>
typename std::decay_t<StateMap>::key_type state_key(const StateMap&, const torch::Tensor& p) {
  using Key = typename std::decay_t<StateMap>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // what c10::guts::to_string(TensorImpl*) produces
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

std::string prefix_of(size_t group, size_t index) {
  return "optim." + std::to_string(group) + "." + std::to_string(index) + ".";
}

int64_t meta_int(const std::map<std::string, std::string>& meta, const std::string& key, const std::string& file) {
  auto it = meta.find(key);
  if (it == meta.end()) throw file_error(file, "not an entcam training-state checkpoint: metadata lacks '" + key + "'");
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  throw file_error(file, "metadata '" + key + "' = '" + it->second + "' is not an integer");
}

double meta_double(const std::map<std::string, std::string>& meta, const std::string& key, const std::string& file) {
  auto it = meta.find(key);
  if (it == meta.end()) throw file_error(file, "not an entcam training-state checkpoint: metadata lacks '" + key + "'");
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw file_error(file, "metadata '" + key + "' = '" + it->second + "' is not a number");
  }
}

std::string exact(double v) {  // round-trips a double exactly through text
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

}  // namespace

std::filesystem::path train_state_path(const std::filesystem::path& weights) {
  auto p = weights;
  return p.replace_extension(".train.safetensors");
}

void save_train_state(const torch::optim::Optimizer& optimizer, const TrainState& state,
                      const std::filesystem::path& path) {
  std::map<std::string, std::string> meta = {
      {"entcam.kind", "train-state"},
      {"entcam.epoch", std::to_string(state.epoch)},
      {"entcam.global_step", std::to_string(state.global_step)},
      {"entcam.seed", std::to_string(state.seed)},
      {"entcam.config_hash", state.config_hash},
      {"entcam.optimizer", state.optimizer},
      {"entcam.loss_scale", exact(state.loss_scale)},
      {"entcam.good_steps", std::to_string(state.good_steps)},
      {"entcam.best_accuracy", exact(state.best_accuracy)},
      {"entcam.best_epoch", std::to_string(state.best_epoch)}};
  std::vector<torch::Tensor> keep;
  std::vector<SafeTensorView> views;
  keep.reserve(4096);
  auto add = [&](const std::string& key, const torch::Tensor& t) {
    if (!t.defined()) return;
    keep.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    views.push_back({key, keep.back().sizes().vec(), keep.back().data_ptr<float>()});
  };
  const auto& states = optimizer.state();
  const auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      auto it = states.find(state_key(states, params[i]));
      if (it == states.end()) continue;
      const std::string pre = prefix_of(g, i);
      if (auto* s = dynamic_cast<const torch::optim::SGDParamState*>(it->second.get())) {
        add(pre + "momentum_buffer", s->momentum_buffer());
      } else if (auto* a = dynamic_cast<const torch::optim::AdamWParamState*>(it->second.get())) {
        meta[pre + "step"] = std::to_string(a->step());
        add(pre + "exp_avg", a->exp_avg());
        add(pre + "exp_avg_sq", a->exp_avg_sq());
        add(pre + "max_exp_avg_sq", a->max_exp_avg_sq());
      }
    }
  }
  write_safetensors(path, views, meta);
}

TrainState load_train_state(torch::optim::Optimizer& optimizer, const std::string& optimizer_name,
                            const std::filesystem::path& path) {
  const std::string name = path.string();
  if (!std::filesystem::exists(path))
    throw file_error(name, "training-state checkpoint is missing (it is written beside the weights; cannot resume)");
  SafeTensorsFile file = SafeTensorsFile::load(path);
  const auto& meta = file.metadata();
  auto kind = meta.find("entcam.kind");
  if (kind == meta.end() || kind->second != "train-state")
    throw file_error(name, "not an entcam training-state checkpoint (metadata entcam.kind != train-state)");
  TrainState st;
  st.epoch = meta_int(meta, "entcam.epoch", name);
  st.global_step = meta_int(meta, "entcam.global_step", name);
  st.seed = static_cast<uint64_t>(std::stoull(meta.at("entcam.seed")));
  st.config_hash = meta.at("entcam.config_hash");
  st.optimizer = meta.at("entcam.optimizer");
  st.loss_scale = meta_double(meta, "entcam.loss_scale", name);
  st.good_steps = meta_int(meta, "entcam.good_steps", name);
  st.best_accuracy = meta_double(meta, "entcam.best_accuracy", name);
  st.best_epoch = meta_int(meta, "entcam.best_epoch", name);
  if (st.optimizer != optimizer_name)
    throw file_error(name, "was written by optimiser '" + st.optimizer + "', this run uses '" + optimizer_name + "'");

  auto load = [&](const std::string& key, const torch::Tensor& param) -> torch::Tensor {
    if (!file.contains(key)) return {};
    torch::Tensor t = tensor_from(file, key);
    if (t.sizes() != param.sizes())
      throw file_error(name, "optimiser state '" + key + "' does not fit its parameter (different model?)");
    return t.to(param.device(), param.scalar_type()).contiguous(param.suggest_memory_format());
  };
  auto& states = optimizer.state();
  states.clear();
  size_t restored = 0;
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string pre = prefix_of(g, i);
      if (optimizer_name == "sgd") {
        torch::Tensor m = load(pre + "momentum_buffer", params[i]);
        if (!m.defined()) continue;
        auto s = std::make_unique<torch::optim::SGDParamState>();
        s->momentum_buffer(m);
        states[state_key(states, params[i])] = std::move(s);
      } else {
        if (!meta.count(pre + "step")) continue;
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->step(meta_int(meta, pre + "step", name));
        s->exp_avg(load(pre + "exp_avg", params[i]));
        s->exp_avg_sq(load(pre + "exp_avg_sq", params[i]));
        s->max_exp_avg_sq(load(pre + "max_exp_avg_sq", params[i]));
        if (!s->exp_avg().defined() || !s->exp_avg_sq().defined())
          throw file_error(name, "AdamW state of parameter " + pre + " is incomplete");
        states[state_key(states, params[i])] = std::move(s);
      }
      ++restored;
    }
  }
  (void)restored;
  return st;
}

std::map<std::string, std::string> load_checkpoint_weights(torch::nn::Module& model, const std::filesystem::path& path) {
  SafeTensorsFile file = SafeTensorsFile::load(path);
  load_state(model, file);
  return file.metadata();
}

}  // namespace entcam
