#include "core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <mutex>

namespace entcam {
namespace {
bool g_enabled = true;
std::mutex g_mutex;
}  // namespace

void Progress::set_enabled(bool enabled) { g_enabled = enabled; }

std::string format_seconds(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_), tty_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n) { set(done_ + n); }

void Progress::set(int64_t done) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if ((tty_ && since >= 0.1) || (!tty_ && since >= 5.0)) draw(false);
}

void Progress::set_note(std::string note) { note_ = std::move(note); }

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (!g_enabled) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  last_draw_ = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  const double eta = (rate > 0 && total_ > 0) ? (total_ - done_) / rate : NAN;
  std::string bar;
  if (total_ > 0) {
    const int width = 24;
    const int filled = static_cast<int>(width * std::min<double>(1.0, double(done_) / double(total_)));
    bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
  }
  char line[512];
  std::snprintf(line, sizeof line, "%s %s%lld/%lld %s  %.1f %s/s  %s %s  %s", label_.c_str(), bar.c_str(),
                static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(),
                final ? "took" : "eta", format_seconds(final ? elapsed : eta).c_str(), note_.c_str());
  if (tty_) std::fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
  else std::fprintf(stderr, "%s\n", line);
  std::fflush(stderr);
}

}  // namespace entcam
