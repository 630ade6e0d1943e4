// The `entcam` binary: subcommands over the entcam library (docs/spec.md §1).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/allocator.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "models/threads.h"

int main(int argc, char** argv) {
  using namespace entcam;
  tune_allocator();
  CLI::App app{"entcam: class activation maps (Grad-CAM, HiResCAM, entropy CAMs, ...) and their evaluation"};
  app.set_version_flag("--version", std::string("entcam ") + ENTCAM_VERSION);
  app.require_subcommand(1);
  bool quiet = false, debug = false;
  // LibTorch defaults to one thread per physical core; on small VMs with hyper-threads
  // that leaves half the CPUs idle, so entcam uses every hardware thread unless
  // OMP_NUM_THREADS or --threads says otherwise.
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) threads = std::atoi(env);
  app.add_flag("-q,--quiet", quiet, "No progress bars");
  app.add_flag("--debug", debug, "On an internal error, print the library's full message (LibTorch: with its stack trace)");
  app.add_option("--threads", threads, "CPU threads for tensor work (default: $OMP_NUM_THREADS, else all hardware threads)")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  std::vector<cli::Command> commands = {cli::add_run(app),     cli::add_explain(app),  cli::add_predict(app),
                                        cli::add_score(app),   cli::add_compare(app),  cli::add_download(app),
                                        cli::add_merge(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  Progress::set_enabled(!quiet);
  install_interrupt_handler();
  set_torch_threads(threads);
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (...) {
    const cli::ExitReport r = cli::report_exception(std::current_exception(), debug);
    std::fputs(r.text.c_str(), stderr);
    return r.code;
  }
  return cli::kExitInternal;
}
