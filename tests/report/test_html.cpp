// report.html (report/html.h): the writer's output, and the page in a real browser (Debian's
// chromium, headless): the DOM after the page's script ran (rows, a sort, a filter) and
// screenshots that must not be blank. Skips when chromium is not installed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "report/figures.h"
#include "report/html.h"
#include "report/report.h"
#include "support/test_support.h"

namespace entcam {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kMethods = {"grad_cam", "grad_entropy_cam", "layer_cam"};
constexpr int kImages = 30;

// Per-image values with no ties: instance_recall in thousandths, deletion_auc likewise.
double recall(int method, int i) { return ((i * 37 + method * 11) % 97) / 100.0 + method * 0.001; }
double deletion(int method, int i) { return ((i * 53 + method * 7) % 89) / 100.0 + 0.0005 * method; }

std::string image_id(int i) { return "class" + std::to_string(i % 3) + "/img " + std::to_string(i); }

DatasetScores scores() {
  DatasetScores d;
  d.dataset = "scenes";
  for (int i = 0; i < kImages; ++i) d.image_ids.push_back(image_id(i));
  for (int m = 0; m < int(kMethods.size()); ++m) {
    MethodScores ms{kMethods[size_t(m)], {{"pointing_game", {}}, {"instance_recall", {}}, {"deletion_auc", {}}}};
    for (int i = 0; i < kImages; ++i) {
      ms.metrics[0].second.push_back(recall(m, i) > 0.4 ? 1.0 : 0.0);
      ms.metrics[1].second.push_back(recall(m, i));
      ms.metrics[2].second.push_back(deletion(m, i));
    }
    d.methods.push_back(ms);
  }
  return d;
}

json mprt_point(const std::string& layer, double spearman) {
  return {{"layer", layer}, {"spearman", {{"n", 30}, {"mean", spearman}, {"ci95", {spearman - 0.1, spearman + 0.1}}}},
          {"ssim", {{"n", 30}, {"mean", spearman / 2}, {"ci95", {0, 1}}}}};
}

// A run folder as `entcam run` leaves it: report.json, per_image.jsonl, figures/, thumbs/,
// report.html.
struct SmallRun {
  test::TempDir dir;
  json report;
  std::vector<MethodAggregate> aggregates;
  SmallRun() {
    const DatasetScores s = scores();
    aggregates = aggregate_methods(s);
    const auto paired = paired_against(s);
    report = {{"schema_version", 1}, {"experiment", "html-test"}, {"run_id", "r1"},
              {"environment", {{"entcam", "test"}, {"git", "abc"}, {"libtorch", "x"}, {"device", "cpu"}, {"threads", 1}}},
              {"datasets",
               {{"scenes",
                 {{"n_train", 70}, {"n_test", 30}, {"n_explained", kImages}, {"classes", {"a", "b", "c"}},
                  {"training", {{"test_accuracy", 0.9}}}, {"layer", "conv4"}, {"methods", aggregates_json(aggregates)},
                  {"paired", paired_json(paired, "grad_cam")},
                  {"by_source", {{"dogs", {{"n_explained", 12}, {"methods", aggregates_json(aggregates)}}}}},
                  {"sanity", {{"mprt", {{"grad_cam", json::array({mprt_point("fc", 0.8), mprt_point("conv4", 0.25)})}}}}}}}}},
              {"timing", {{"total", 12.0}}}};
    write_file_atomic(dir / "report.json", report.dump(2));
    write_file_atomic(dir / "per_image.jsonl", per_image_jsonl(s));
    std::vector<std::pair<std::string, Summary>> bars;
    for (const auto& a : aggregates) bars.emplace_back(a.method, a.metrics[1].second);
    write_bar_chart(dir / "figures/bars-scenes-instance_recall", "instance_recall", bars);
    HtmlOptions opt;
    opt.thumb_methods["scenes"] = kMethods;
    for (int i = 0; i < kImages; ++i) {
      cv::Mat img(64, 80, CV_8UC3, cv::Scalar(200, 190, 180));
      const int x = 8 + (i * 7) % 40, y = 6 + (i * 5) % 30;
      cv::rectangle(img, {x, y}, {x + 24, y + 20}, cv::Scalar(40, 60, 150), cv::FILLED);
      std::vector<cv::Mat> maps;
      for (int m = 0; m < int(kMethods.size()); ++m) {
        cv::Mat map(8, 10, CV_32F);
        for (int r = 0; r < 8; ++r)
          for (int c = 0; c < 10; ++c)
            map.at<float>(r, c) = float(std::exp(-(std::pow(c - (x + 12) / 8.0 - m, 2) + std::pow(r - (y + 10) / 8.0, 2)) / 3));
        maps.push_back(map);
      }
      write_thumbnails(dir.path(), "scenes", image_id(i), img, {{x, y, x + 24, y + 20}}, maps);
      opt.image_info["scenes"][image_id(i)] = {{"class", "c" + std::to_string(i % 3)}};
    }
    write_report_html(dir.path(), report, read_per_image_jsonl(dir / "per_image.jsonl"), opt);
  }
  double mean(const std::string& method, const std::string& metric) const {
    for (const auto& a : aggregates)
      for (const auto& [k, s] : a.metrics)
        if (a.method == method && k == metric) return s.mean;
    return std::nan("");
  }
  // The methods ranked by `metric`'s mean (ascending).
  std::vector<std::string> ranked(const std::string& metric) const {
    std::vector<std::pair<double, std::string>> v;
    for (const auto& a : aggregates)
      for (const auto& [k, s] : a.metrics)
        if (k == metric) v.emplace_back(s.mean, a.method);
    std::sort(v.begin(), v.end());
    std::vector<std::string> out;
    for (const auto& [_, m] : v) out.push_back(m);
    return out;
  }
};

TEST(Html, FileStemsAreSafeAndDistinct) {
  EXPECT_EQ(file_stem("abc-1.x"), "abc-1.x");
  EXPECT_EQ(file_stem("a/b c"), "a_2Fb_20c");
  EXPECT_EQ(file_stem("a_b"), "a_5Fb");  // '_' itself is escaped, so "a/b" and "a_2Fb" differ
  EXPECT_NE(file_stem("a/b"), file_stem("a_2Fb"));
  EXPECT_EQ(file_stem("../x"), "_2E._2Fx");  // never a parent folder
  EXPECT_EQ(image_thumb_path("my set", "d/1"), "thumbs/my_20set/d_2F1.jpg");
  EXPECT_EQ(maps_thumb_path("s", "1"), "thumbs/s/1.maps.png");
}

TEST(Html, ThumbnailsAreSmallAndHoldEveryMap) {
  SmallRun run;
  const cv::Mat img = cv::imread((run.dir / image_thumb_path("scenes", image_id(3))).string());
  EXPECT_EQ(img.cols, 128);  // longer side
  EXPECT_EQ(img.rows, 102);  // 64 * 128 / 80, rounded
  const cv::Mat strip = cv::imread((run.dir / maps_thumb_path("scenes", image_id(3))).string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(strip.type(), CV_8UC1);
  EXPECT_EQ(strip.rows, 32);
  EXPECT_EQ(strip.cols, 32 * 3);
  for (int m = 0; m < 3; ++m) {  // each cell min-max normalised
    double lo, hi;
    cv::minMaxLoc(strip(cv::Rect(32 * m, 0, 32, 32)), &lo, &hi);
    EXPECT_EQ(lo, 0);
    EXPECT_EQ(hi, 255);
  }
  EXPECT_LT(fs::file_size(run.dir / maps_thumb_path("scenes", image_id(3))), 4000u);
}

TEST(Html, PageIsSelfContained) {
  SmallRun run;
  const std::string html = read_file(run.dir / "report.html");
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // The embedded data cannot close its script element early.
  const size_t data = html.find("id=\"report-data\">");
  ASSERT_NE(data, std::string::npos);
  const std::string embedded = html.substr(data, html.find("</script>", data) - data);
  const json parsed = json::parse(embedded.substr(embedded.find('>') + 1));
  EXPECT_EQ(parsed["datasets"][0]["gallery"]["images"].size(), size_t(kImages));
  EXPECT_EQ(parsed["datasets"][0]["gallery"]["methods"], json(kMethods));
  EXPECT_EQ(parsed["datasets"][0]["gallery"]["images"][1]["img"], image_thumb_path("scenes", image_id(1)));
  // Every thumbnail the data names exists inside the run folder.
  for (const auto& im : parsed["datasets"][0]["gallery"]["images"]) {
    EXPECT_TRUE(fs::exists(run.dir / im["img"].get<std::string>())) << im["img"];
    EXPECT_TRUE(fs::exists(run.dir / im["maps"].get<std::string>())) << im["maps"];
  }
  EXPECT_EQ(parsed["figures"], json({"figures/bars-scenes-instance_recall.png"}));
}

TEST(Html, ScriptEndTagInDataIsEscaped) {
  json report = {{"experiment", "x</script><script>alert(1)</script>"}, {"datasets", json::object()}};
  const std::string html = render_report_html(report, {});
  EXPECT_EQ(html.find("x</script>"), std::string::npos);
  EXPECT_NE(html.find("x<\\/script>"), std::string::npos);
  EXPECT_NE(html.find("<title>x&lt;/script&gt;"), std::string::npos);
}

TEST(Html, MalformedPerImageLineNamesFileAndLine) {
  test::TempDir tmp;
  write_file_atomic(tmp / "per_image.jsonl", "{\"a\": 1}\n\n{oops\n");
  try {
    read_per_image_jsonl(tmp / "per_image.jsonl");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              (tmp / "per_image.jsonl").string() + ":3: malformed JSON line; expected one JSON object per line");
  }
}

// ---- in a real browser ----

std::string chromium_binary() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return {};
}

// Runs headless chromium on the page with `hash`; returns stdout (the DOM with --dump-dom).
std::string run_chromium(const fs::path& page, const std::string& hash, const std::string& mode) {
  test::TempDir profile;
  const std::string cmd =
      "timeout 120 " + chromium_binary() +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
      " --disable-component-update --disable-sync --disable-extensions --hide-scrollbars --mute-audio"
      " --user-data-dir=" + (profile / "p").string() + " --window-size=1400,1000 --run-all-compositor-stages-before-draw --virtual-time-budget=5000 " + mode +
      " 'file://" + page.string() + "#" + hash + "' >" + (profile / "out").string() + " 2>" +
      (profile / "err").string();
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << read_file(profile / "err");
  return fs::exists(profile / "out") ? read_file(profile / "out") : std::string();
}

std::vector<std::string> attribute_values(const std::string& dom, const std::string& attribute) {
  std::vector<std::string> out;
  const std::regex re(attribute + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// Unescapes the few entities chromium writes in attribute values.
std::string unescape(std::string s) {
  for (auto [from, to] : {std::pair{"&amp;", "&"}, std::pair{"&quot;", "\""}, std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}}) {
    for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, std::strlen(from), to);
  }
  return s;
}

TEST(HtmlBrowser, SummaryTableRendersAndSorts) {
  if (chromium_binary().empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
  SmallRun run;
  const std::string dom = run_chromium(run.dir / "report.html", "view=summary&t0=deletion_auc:asc", "--dump-dom");
  // The summary table has one row per method (the paired table one per non-reference method).
  const size_t table = dom.find("class=\"summary\"");
  ASSERT_NE(table, std::string::npos) << dom.substr(0, 2000);
  const std::string summary = dom.substr(table, dom.find("</table>", table) - table);
  EXPECT_EQ(attribute_values(summary, "data-method"), run.ranked("deletion_auc"));
  // The best cell of each column is marked (ties all marked), by the metric's direction.
  size_t expected_best = 0;
  for (const std::string metric : {"pointing_game", "instance_recall", "deletion_auc"}) {
    const auto order = run.ranked(metric);
    const bool lower = metric == "deletion_auc";
    const double best = run.mean(lower ? order.front() : order.back(), metric);
    for (const auto& m : order) expected_best += run.mean(m, metric) == best;
  }
  const auto best = std::regex("<td class=\"best\"");
  EXPECT_EQ(size_t(std::distance(std::sregex_iterator(summary.begin(), summary.end(), best), std::sregex_iterator())),
            expected_best);
  // Descending by instance_recall (higher is better) puts the best first.
  const std::string dom2 = run_chromium(run.dir / "report.html", "view=summary&t0=instance_recall:desc", "--dump-dom");
  const size_t t2 = dom2.find("class=\"summary\"");
  ASSERT_NE(t2, std::string::npos);
  auto order = run.ranked("instance_recall");
  std::reverse(order.begin(), order.end());
  EXPECT_EQ(attribute_values(dom2.substr(t2, dom2.find("</table>", t2) - t2), "data-method"), order);
  // Pooled datasets: one more table per source.
  EXPECT_NE(dom.find("<h3>dogs · 12 images</h3>"), std::string::npos);
  const size_t source_table = dom.find("class=\"summary\"", table + 1);
  ASSERT_NE(source_table, std::string::npos);
  EXPECT_EQ(attribute_values(dom.substr(source_table, dom.find("</table>", source_table) - source_table), "data-method"),
            kMethods);
  // Paired tests against grad_cam are shown, and the MPRT curve as two tables (spearman, ssim).
  EXPECT_NE(dom.find("Paired tests against grad_cam"), std::string::npos);
  const size_t mprt = dom.find("class=\"mprt\"");
  ASSERT_NE(mprt, std::string::npos);
  const std::string spearman = dom.substr(mprt, dom.find("</table>", mprt) - mprt);
  EXPECT_NE(spearman.find("<th>conv4</th>"), std::string::npos);
  EXPECT_NE(spearman.find("0.800"), std::string::npos);
  EXPECT_NE(spearman.find("0.250"), std::string::npos);
  EXPECT_NE(dom.find("class=\"mprt\"", mprt + 1), std::string::npos);
}

TEST(HtmlBrowser, GalleryPagesSortsAndFilters) {
  if (chromium_binary().empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
  SmallRun run;
  // Page size 10: ten rows of 30, every row with one cell per method.
  const std::string dom = run_chromium(run.dir / "report.html", "view=gallery&per=10&gsk=instance_recall", "--dump-dom");
  const auto rows = attribute_values(dom, "data-image");
  EXPECT_EQ(rows.size(), 10u) << dom.substr(0, 3000);
  EXPECT_NE(dom.find("30 of 30 images"), std::string::npos);
  EXPECT_NE(dom.find("page 1 of 3"), std::string::npos);
  EXPECT_EQ(attribute_values(dom, "data-method").size(), 10u * kMethods.size());
  EXPECT_EQ(attribute_values(dom, "loading").size(), 10u * (1 + kMethods.size() * 2));  // image + (image, strip) per map

  // Sorted by grad_cam's instance_recall, ascending: the images in that order.
  std::vector<int> order(kImages);
  for (int i = 0; i < kImages; ++i) order[size_t(i)] = i;
  std::sort(order.begin(), order.end(), [](int a, int b) { return recall(0, a) < recall(0, b); });
  const std::string sorted =
      run_chromium(run.dir / "report.html", "view=gallery&per=100&gsm=grad_cam&gsk=instance_recall&gsd=asc", "--dump-dom");
  std::vector<std::string> expected;
  for (int i : order) expected.push_back(image_id(i));
  std::vector<std::string> got;
  for (const auto& r : attribute_values(sorted, "data-image")) got.push_back(unescape(r));
  EXPECT_EQ(got, expected);

  // "grad_entropy_cam beats grad_cam on instance_recall": exactly the images where it is higher.
  std::vector<std::string> beats;
  for (int i = 0; i < kImages; ++i)
    if (recall(1, i) > recall(0, i)) beats.push_back(image_id(i));
  ASSERT_GT(beats.size(), 0u);
  ASSERT_LT(beats.size(), size_t(kImages));
  const std::string filtered = run_chromium(
      run.dir / "report.html",
      "view=gallery&per=100&gsm=grad_cam&gsk=&fon=1&fa=grad_entropy_cam&fb=grad_cam&fk=instance_recall", "--dump-dom");
  got.clear();
  for (const auto& r : attribute_values(filtered, "data-image")) got.push_back(unescape(r));
  std::sort(got.begin(), got.end());
  std::sort(beats.begin(), beats.end());
  EXPECT_EQ(got, beats);
  EXPECT_NE(filtered.find(std::to_string(beats.size()) + " of 30 images"), std::string::npos);
  // Lower-is-better metrics filter the other way: "beats" on deletion_auc means lower.
  size_t lower = 0;
  for (int i = 0; i < kImages; ++i) lower += deletion(1, i) < deletion(0, i);
  const std::string del = run_chromium(
      run.dir / "report.html", "view=gallery&per=100&fon=1&fa=grad_entropy_cam&fb=grad_cam&fk=deletion_auc", "--dump-dom");
  EXPECT_EQ(attribute_values(del, "data-image").size(), lower);
  // A threshold on one method's metric: grad_cam's instance_recall <= 0.3.
  size_t at_most = 0;
  for (int i = 0; i < kImages; ++i) at_most += recall(0, i) <= 0.3;
  const std::string low = run_chromium(
      run.dir / "report.html", "view=gallery&per=100&von=1&vm=grad_cam&vk=instance_recall&vop=le&vv=0.3", "--dump-dom");
  EXPECT_EQ(attribute_values(low, "data-image").size(), at_most);
  EXPECT_NE(low.find(std::to_string(at_most) + " of 30 images"), std::string::npos);
}

// Share of pixels that differ clearly from the most common colour (the background).
double drawn_share(const cv::Mat& bgr) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  int hist[256] = {0};
  for (int y = 0; y < grey.rows; ++y)
    for (int x = 0; x < grey.cols; ++x) ++hist[grey.at<uint8_t>(y, x)];
  const int mode = int(std::max_element(hist, hist + 256) - hist);
  cv::Mat diff;
  cv::absdiff(grey, cv::Scalar(mode), diff);
  return double(cv::countNonZero(diff > 24)) / double(grey.total());
}

// Pixels a JET overlay makes strongly red or strongly blue (the page's own colours are not).
int jet_pixels(const cv::Mat& bgr) {
  int n = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      n += std::abs(int(p[2]) - int(p[0])) > 150;
    }
  return n;
}

TEST(HtmlBrowser, ScreenshotsAreNotBlank) {
  if (chromium_binary().empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
  SmallRun run;
  test::TempDir shots;
  for (const auto& [name, hash] : {std::pair{"summary", "view=summary"}, std::pair{"gallery", "view=gallery&per=10"}}) {
    const fs::path png = shots / (std::string(name) + ".png");
    run_chromium(run.dir / "report.html", hash, "--screenshot=" + png.string());
    const cv::Mat shot = cv::imread(png.string());
    ASSERT_FALSE(shot.empty()) << name;
    EXPECT_EQ(shot.cols, 1400);
    EXPECT_EQ(shot.rows, 1000);
    EXPECT_GT(drawn_share(shot), 0.05) << name;  // text, tables, header: not an empty page
    if (std::string(name) == "gallery") {
      EXPECT_GT(jet_pixels(shot), 2000) << "the map thumbnails did not load or were not coloured";
    }
    if (const char* keep = std::getenv("ENTCAM_KEEP_SCREENSHOTS"))
      fs::copy_file(png, fs::path(keep) / png.filename(), fs::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace entcam
