// `entcam score --maps DIR --boxes BOXES.json [--tolerance PX] [--json]` (docs/spec.md §1, §3).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "metrics/score.h"

namespace entcam::cli {

namespace {
// CLI11's NonNegativeNumber lets "nan" through (every comparison with NaN is false).
CLI::Validator finite_non_negative() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0) return "expected a finite number >= 0, got '" + text + "'";
        return "";
      },
      "NUMBER >= 0");
}

struct ScoreArgs {
  std::string maps, boxes;
  double tolerance = 15.0;
  bool json = false;
};
}  // namespace

Command add_score(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* sub = app.add_subcommand(
      "score", "Localisation metrics (docs/spec.md §3) of maps made by any tool: DIR/<id>.npy against BOXES.json");
  sub->add_option("--maps", args->maps, "Folder of float32 [h,w] maps named <id>.npy")->required();
  sub->add_option("--boxes", args->boxes,
                  "BOXES.json: {\"images\": [{\"id\", \"width\", \"height\", \"boxes\": [[x0,y0,x1,y1],...], \"class\"?}]}")
      ->required();
  sub->add_option("--tolerance", args->tolerance, "Pointing-game tolerance in pixels")
      ->default_val(15.0)
      ->check(finite_non_negative());
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
