#pragma once
// Each subcommand lives in its own cmd_<name>.cpp: it registers its options on the
// app and returns the function that runs it once the command line is parsed.
#include <CLI/CLI.hpp>
#include <functional>

namespace entcam::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // returns the exit code (docs/spec.md §1)
};

Command add_run(CLI::App& app);
Command add_explain(CLI::App& app);
Command add_predict(CLI::App& app);
Command add_score(CLI::App& app);
Command add_compare(CLI::App& app);
Command add_download(CLI::App& app);
Command add_merge(CLI::App& app);

}  // namespace entcam::cli
