#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"

namespace entcam::cli {

Command add_merge(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("merge", "(not implemented yet)");
  sub->allow_extras();
  return {sub, [] {
            std::fprintf(stderr, "entcam merge: not implemented yet\n");
            return int(kExitBadInput);
          }};
}

}  // namespace entcam::cli
