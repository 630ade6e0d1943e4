// `entcam compare BASELINE.json CANDIDATE.json [--tolerance X] [--json]` (docs/spec.md §4):
// exit 0 when no shared metric moved the wrong way by more than the tolerance, 1 when one
// did (listed on stderr), 2 when the files are not comparable.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "report/compare.h"

namespace entcam::cli {

namespace {
struct CompareArgs {
  std::string baseline, candidate;
  double tolerance = 0.0;
  bool json = false;
};
}  // namespace

Command add_compare(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare", "Compare two report.json files metric by metric; exit 1 when a metric moved the wrong way");
  sub->add_option("baseline", args->baseline, "Baseline report.json")->required();
  sub->add_option("candidate", args->candidate, "Candidate report.json")->required();
  sub->add_option("--tolerance", args->tolerance,
                  "Largest wrong-way move of a metric mean that is not a regression (absolute, in the metric's "
                  "units; higher is better except average_drop and deletion_auc)")
      ->default_val(0.0)
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", args->json, "Print the comparison as JSON");
  return {sub, [args] {
            const CompareResult r = compare_report_files(args->baseline, args->candidate, args->tolerance);
            if (args->json)
              std::printf("%s\n", compare_json(r).dump(2).c_str());
            else
              std::printf("%s", format_compare_table(r).c_str());
            if (r.regressions() == 0) return int(kExitOk);
            std::fprintf(stderr, "entcam compare: %zu metric(s) regressed beyond tolerance %g:\n", r.regressions(),
                         r.tolerance);
            for (const auto& row : r.rows)
              if (row.regressed)
                std::fprintf(stderr, "  %s/%s/%s: %.6g -> %.6g (%+.6g, %s is better)\n", row.dataset.c_str(),
                             row.method.c_str(), row.metric.c_str(), row.baseline, row.candidate, row.diff,
                             row.higher_is_better ? "higher" : "lower");
            return int(kExitCheckFailed);
          }};
}

}  // namespace entcam::cli
