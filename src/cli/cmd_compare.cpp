#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"

namespace entcam::cli {

Command add_compare(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("compare", "(not implemented yet)");
  sub->allow_extras();
  return {sub, [] {
            std::fprintf(stderr, "entcam compare: not implemented yet\n");
            return int(kExitBadInput);
          }};
}

}  // namespace entcam::cli
