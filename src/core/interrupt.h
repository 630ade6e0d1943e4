#pragma once
// Ctrl-C handling: the first SIGINT/SIGTERM sets a flag that long loops check between
// batches (check_interrupt throws Interrupted), so a run stops at a clean point; every
// output is written atomically, so nothing half-written is left. A second signal kills.
#include <stdexcept>

namespace entcam {

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted (Ctrl-C): stopped between batches; rerun to continue") {}
};

void install_interrupt_handler();
bool interrupt_requested();
void check_interrupt();  // throws Interrupted when a signal arrived

}  // namespace entcam
