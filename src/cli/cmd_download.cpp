// entcam download NAME|MANIFEST.yaml [--root DIR] [--json]  (docs/spec.md §1, §3b)
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "data/manifest.h"
#include "data/prepare.h"

namespace entcam::cli {

Command add_download(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "download",
      "Download, verify, extract and parse a dataset. NAME is a shipped manifest (datasets/NAME.yaml, found in "
      "./datasets or beside the entcam build) or a path to any manifest. Environment: ENTCAM_DATA (cache root), "
      "ENTCAM_MIRROR (fetch <mirror>/<name>/<file> instead), KAGGLE_USERNAME/KAGGLE_KEY or KAGGLE_API_TOKEN.");
  auto name = std::make_shared<std::string>();
  auto root = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  sub->add_option("dataset", *name, "Shipped dataset name or MANIFEST.yaml")->required();
  sub->add_option("--root", *root, "Cache root (default: $ENTCAM_DATA, else datasets/cache in the repository)");
  sub->add_flag("--json", *json, "Print {dataset, images, classes, boxes, skipped, path} as JSON");
  return {sub, [=] {
            const Manifest m = load_manifest(resolve_manifest(*name));
            const PreparedDataset p = prepare_dataset(m, cache_root(*root));
            const Dataset& d = p.dataset;
            if (*json) {
              const nlohmann::json j = {{"dataset", m.name},
                                        {"images", d.samples.size()},
                                        {"classes", d.classes.size()},
                                        {"boxes", d.box_count()},
                                        {"skipped", d.skipped},
                                        {"path", p.data_dir.string()}};
              std::printf("%s\n", j.dump().c_str());
            } else {
              std::printf("%s: %zu images, %zu classes, %lld boxes, %lld skipped\n%s\n", m.name.c_str(),
                          d.samples.size(), d.classes.size(), static_cast<long long>(d.box_count()),
                          static_cast<long long>(d.skipped), p.data_dir.string().c_str());
            }
            return int(kExitOk);
          }};
}

}  // namespace entcam::cli
