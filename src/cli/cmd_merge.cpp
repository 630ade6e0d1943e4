// entcam merge SHARD_DIR... --out DIR
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "runner/pipeline.h"

namespace entcam::cli {

Command add_merge(CLI::App& app) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("merge", "Combine the outputs of `entcam run --shard I/N` into one report");
  sub->add_option("shards", *dirs, "Shard run folders (results/<experiment>/<run-id>-shard-I-of-N)")->required();
  sub->add_option("--out", *out, "Output folder for the merged report")->required();
  return {sub, [dirs, out] {
            std::vector<std::filesystem::path> paths(dirs->begin(), dirs->end());
            merge_shards(paths, *out);
            std::printf("report: %s\n", (std::filesystem::path(*out) / "report.json").c_str());
            return int(kExitOk);
          }};
}

}  // namespace entcam::cli
