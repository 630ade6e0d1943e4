// Issue 13 "Resume": `entcam run --resume` after kill -9 in the middle of the explain stage
// continues from the last finished batch and gives the same report.json, timings aside.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <functional>
#include <sstream>
#include <thread>

#include "core/fs.h"
#include "support/test_support.h"

extern char** environ;

using namespace entcam;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ci-regression with 8 images per batch: 6 explain batches of all twelve methods.
std::string run_args(const test::TempDir& dir, const std::string& results) {
  return (test::source_dir() / "experiments/ci-regression.yaml").string() + " --run-id r --data-root " +
         (dir / "data").string() + " --set results=" + (dir / results).string() + " --set cam.batch_size=8";
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

size_t count_lines(const fs::path& f) {
  std::ifstream in(f);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The report without what legitimately differs between two runs: wall times, the machine,
// and where the run folders are.
json comparable(json j) {
  std::function<void(json&)> strip = [&](json& v) {
    if (v.is_object()) {
      for (const char* k : {"timing", "seconds", "environment", "created", "run_dir", "records", "results"}) v.erase(k);
      for (auto& [k, x] : v.items()) strip(x);
    } else if (v.is_array()) {
      for (auto& x : v) strip(x);
    }
  };
  strip(j);
  return j;
}

}  // namespace

TEST(RunCli, ResumeAfterKill9MidExplainContinuesFromTheLastFinishedBatch) {
  test::TempDir dir;
  // The reference: the same experiment run in one go.
  const auto fresh = test::run_entcam("-q run " + run_args(dir, "fresh"));
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;

  // Start the run, wait for the explain journal's first finished batch, then SIGKILL it.
  std::vector<std::string> words = split_words(std::string("-q run ") + run_args(dir, "killed"));
  std::vector<char*> argv{const_cast<char*>(ENTCAM_BINARY)};
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "killed.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, ENTCAM_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  fs::path journal;
  size_t lines_at_kill = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (lines_at_kill == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (fs::exists(dir / "killed/cache"))
      for (const auto& e : fs::recursive_directory_iterator(dir / "killed/cache"))
        if (e.path().extension() == ".journal") {
          journal = e.path();
          lines_at_kill = count_lines(journal);
        }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the run ended before a batch was journalled";
  }
  ASSERT_GT(lines_at_kill, 0u) << "no explain batch finished within 5 minutes";
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_FALSE(fs::exists(dir / "killed/ci-regression/r/report.json"));
  const size_t journalled = count_lines(journal);  // the kill may land after a later batch ended
  ASSERT_GE(journalled, lines_at_kill);
  ASSERT_LT(journalled, 6u) << "the explain stage had finished before the kill";

  // A torn last line, as a kill in the middle of an append leaves one, is dropped.
  append_file(journal, "{\"batch\": 5, \"records\": {\"form");

  const auto resumed = test::run_entcam("run " + run_args(dir, "killed") + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const std::string expected_note = "resuming explain fashion-scenes after " + std::to_string(journalled) + " of 6 batches";
  EXPECT_NE(resumed.err.find(expected_note), std::string::npos) << resumed.err;
  EXPECT_FALSE(fs::exists(journal)) << "the journal outlived its finished stage";

  const json a = json::parse(read_file(dir / "fresh/ci-regression/r/report.json"));
  const json b = json::parse(read_file(dir / "killed/ci-regression/r/report.json"));
  EXPECT_TRUE(comparable(a) == comparable(b))
      << "resumed report differs from the uninterrupted run: " << json::diff(comparable(a), comparable(b)).dump().substr(0, 2000);
  EXPECT_EQ(read_file(dir / "fresh/ci-regression/r/per_image.jsonl"), read_file(dir / "killed/ci-regression/r/per_image.jsonl"));
}

// Without --resume a left-over journal is not trusted: the stage starts over.
TEST(RunCli, RunWithoutResumeIgnoresALeftOverJournal) {
  test::TempDir dir;
  const auto first = test::run_entcam("-q run " + run_args(dir, "res") + " --set datasets.0.explain_images=8");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  fs::path records;
  for (const auto& e : fs::recursive_directory_iterator(dir / "res/cache"))
    if (e.path().filename().string().rfind("explain-", 0) == 0 && e.path().extension() == ".json") records = e.path();
  ASSERT_FALSE(records.empty());
  // A journal claiming batch 0 is done with no items, and no finished records.
  const json stage = json::parse(read_file(records));
  json part = stage;
  part["items"] = json::array();
  fs::remove(records);
  append_file(records.string() + ".journal", json{{"batch", 0}, {"records", part}}.dump() + "\n");
  const auto again = test::run_entcam("run " + run_args(dir, "res") + " --set datasets.0.explain_images=8");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("resuming explain"), std::string::npos) << again.err;
  EXPECT_EQ(json::parse(read_file(records))["items"].size(), 8u);
}
