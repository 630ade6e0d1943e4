#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"

namespace entcam::cli {

Command add_download(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("download", "(not implemented yet)");
  sub->allow_extras();
  return {sub, [] {
            std::fprintf(stderr, "entcam download: not implemented yet\n");
            return int(kExitBadInput);
          }};
}

}  // namespace entcam::cli
