// entcam run EXPERIMENT.yaml [--set key.path=value]... [--resume] [--dry-run] [--shard I/N]
#include <cstdio>
#include <regex>

#include "cli/commands.h"
#include "core/error.h"
#include "core/text.h"
#include "runner/pipeline.h"

namespace entcam::cli {
namespace {

struct RunArgs {
  std::string experiment, shard, data_root, run_id;
  std::vector<std::string> sets;
  bool resume = false, dry_run = false;
};

int run_run(const RunArgs& a) {
  RunOptions o;
  o.overrides = a.sets;
  o.resume = a.resume;
  o.dry_run = a.dry_run;
  o.data_root = a.data_root;
  o.run_id = a.run_id;
  if (!a.shard.empty()) {
    // exactly "I/N": digits, one slash, digits (std::stoi would take " 1/2" and "1/2/3")
    static const std::regex shard("([0-9]{1,6})/([0-9]{1,6})");
    std::smatch m;
    if (!std::regex_match(a.shard, m, shard)) throw InputError("--shard '" + printable(a.shard) + "': expected I/N, e.g. 0/4");
    o.shard_index = std::stoi(m[1].str());
    o.shard_count = std::stoi(m[2].str());
  }
  RunResult r = run_experiment(a.experiment, o);
  if (a.dry_run) return kExitOk;
  std::printf("report: %s\n", (r.run_dir / "report.json").c_str());
  std::printf("summary: %s\n", (r.run_dir / "summary.md").c_str());
  return kExitOk;
}

}  // namespace

Command add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run an experiment: download, split, train, explain, evaluate, report");
  sub->add_option("experiment", args->experiment, "Experiment YAML (e.g. experiments/quickstart.yaml)")->required();
  sub->add_option("--set", args->sets, "Override a config value: key.path=value (repeatable)");
  sub->add_flag("--resume", args->resume, "Continue an interrupted run: training from its last checkpoint, explaining from its last finished batch");
  sub->add_flag("--dry-run", args->dry_run, "Print the resolved config and the stages that would run");
  sub->add_option("--shard", args->shard, "Run shard I of N (0-based): sweep points, or image batches without a sweep");
  sub->add_option("--data-root", args->data_root, "Dataset cache root (default $ENTCAM_DATA or datasets/cache)");
  sub->add_option("--run-id", args->run_id, "Name of the run folder (default: UTC timestamp)");
  return {sub, [args] { return run_run(*args); }};
}

}  // namespace entcam::cli
