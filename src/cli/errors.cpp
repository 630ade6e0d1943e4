#include "cli/errors.h"

#include <c10/util/Exception.h>

#include <filesystem>

#include "core/error.h"
#include "core/interrupt.h"

namespace entcam::cli {
namespace {

// The first line of a message: library messages (LibTorch's above all) run over many lines.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 400) line = line.substr(0, 400) + "...";
  return line;
}

ExitReport internal(const std::string& what, bool debug) {
  std::string text = "entcam: internal error (a bug, please report it): " + (debug ? what : first_line(what)) + "\n";
  if (!debug) text += "entcam: rerun with --debug for the full message\n";
  return {kExitInternal, text};
}

}  // namespace

ExitReport report_exception(std::exception_ptr error, bool debug) {
  try {
    std::rethrow_exception(error);
  } catch (const Interrupted& e) {
    return {kExitInterrupted, std::string("\nentcam: ") + e.what() + "\n"};
  } catch (const InputError& e) {
    return {kExitBadInput, std::string("entcam: error: ") + e.what() + "\n"};
  } catch (const CheckFailed& e) {
    return {kExitCheckFailed, std::string("entcam: check failed: ") + e.what() + "\n"};
  } catch (const std::filesystem::filesystem_error& e) {
    // The operating system refused a file operation (a path that is a file, too long, a
    // symlink loop, no space, no permission): the user's environment, not a bug, and the
    // exception carries the path.
    return {kExitBadInput, "entcam: error: " + e.path1().string() + ": " + e.code().message() + "\n"};
  } catch (const c10::Error& e) {
    return internal(debug ? e.what() : e.what_without_backtrace(), debug);
  } catch (const std::exception& e) {
    return internal(e.what(), debug);
  } catch (...) {
    return internal("an exception that is not a std::exception", debug);
  }
}

}  // namespace entcam::cli
