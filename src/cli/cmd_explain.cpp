#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"

namespace entcam::cli {

Command add_explain(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("explain", "(not implemented yet)");
  sub->allow_extras();
  return {sub, [] {
            std::fprintf(stderr, "entcam explain: not implemented yet\n");
            return int(kExitBadInput);
          }};
}

}  // namespace entcam::cli
