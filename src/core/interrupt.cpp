#include "core/interrupt.h"

#include <csignal>

namespace entcam {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_signal(int sig) {
  if (g_interrupted) {  // second signal: the default action (terminate now)
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_interrupted = 1;
}
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return g_interrupted != 0; }

void check_interrupt() {
  if (g_interrupted) throw Interrupted();
}

}  // namespace entcam
