#pragma once
// `entcam run`: download -> split -> train -> explain -> evaluate -> report, per dataset
// and sweep point, with each stage cached under results/<experiment>/cache/ by a hash of
// the settings it depends on.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace entcam {

struct RunOptions {
  std::vector<std::string> overrides;  // --set key.path=value
  bool resume = false;
  bool dry_run = false;
  int shard_index = 0, shard_count = 1;  // --shard I/N (I in 0..N-1)
  std::string data_root;                 // dataset cache root ("" = default)
  std::string run_id;                    // "" = a fresh UTC timestamp
};

struct RunStats {
  int capture_passes = 0;    // forward+backward passes to the target layer
  int models_trained = 0;    // train stages run (not taken from the cache)
  int explain_stages_run = 0;
  int explain_stages_cached = 0;
};

struct RunResult {
  std::filesystem::path run_dir;
  nlohmann::json report;
  RunStats stats;
};

RunResult run_experiment(const std::filesystem::path& experiment_file, const RunOptions& options);

// `entcam merge`: combines the explain records of shard runs into one report, as an
// unsharded run would have written it.
nlohmann::json merge_shards(const std::vector<std::filesystem::path>& shard_dirs, const std::filesystem::path& out_dir);

// report.json's "environment": entcam, git, LibTorch, device, threads, the CPU's model, and
// the variables set that choose kernels and so float rounding (OPENBLAS_CORETYPE, ...).
nlohmann::json run_environment(const std::string& device);

// The configs/ defaults entcam loads before an experiment file (found beside the binary's
// repository or the working directory).
std::filesystem::path default_config_file();

}  // namespace entcam
