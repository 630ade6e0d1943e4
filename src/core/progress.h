#pragma once
// A progress bar on stderr for long work. Draws in place when stderr is a terminal;
// otherwise prints a plain line at most every few seconds (for logs and CI).
#include <chrono>
#include <cstdint>
#include <string>

namespace entcam {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t n = 1);
  void set(int64_t done);
  void set_note(std::string note);  // e.g. "loss 0.41 acc 0.87"
  void finish();

  static void set_enabled(bool enabled);  // --quiet turns every bar off

 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_, finished_ = false;
};

std::string format_seconds(double seconds);

}  // namespace entcam
