// `entcam score --maps DIR --boxes BOXES.json [--tolerance PX] [--json]` (SPEC §1, §3).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "metrics/score.h"

namespace entcam::cli {

namespace {
struct ScoreArgs {
  std::string maps, boxes;
  double tolerance = 15.0;
  bool json = false;
};
}  // namespace

Command add_score(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* sub = app.add_subcommand(
      "score", "Localisation metrics (SPEC §3) of maps made by any tool: DIR/<id>.npy against BOXES.json");
  sub->add_option("--maps", args->maps, "Folder of float32 [h,w] maps named <id>.npy")->required();
  sub->add_option("--boxes", args->boxes,
                  "BOXES.json: {\"images\": [{\"id\", \"width\", \"height\", \"boxes\": [[x0,y0,x1,y1],...], \"class\"?}]}")
      ->required();
  sub->add_option("--tolerance", args->tolerance, "Pointing-game tolerance in pixels")
      ->default_val(15.0)
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", args->json, "Print {\"n_images\", \"metrics\", \"per_image\"} as JSON");
  return {sub, [args] {
            LocalizationOptions opt;
            opt.tolerance = args->tolerance;
            const auto images = read_score_boxes(args->boxes);
            const nlohmann::json result = score_maps(args->maps, images, opt);
            if (args->json)
              std::printf("%s\n", result.dump(2).c_str());
            else
              std::printf("%s", format_score_table(result).c_str());
            return int(kExitOk);
          }};
}

}  // namespace entcam::cli
