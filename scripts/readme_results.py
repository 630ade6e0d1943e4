#!/usr/bin/env python3
"""Regenerate README.md's quickstart results from the run they describe.

Replaces everything between the lines
    <!-- quickstart-results:begin -->
    <!-- quickstart-results:end -->
in README.md with a paragraph, the methods x metrics tables, the MPRT curves and the figure grid
of RUN_DIR (report.json, figures/), and copies those figures to docs/ (quickstart-grid.png,
quickstart-mprt.png, figure1-grid.pdf, bars-instance_recall.pdf).
With --screenshots it also photographs RUN_DIR/report.html with headless chromium into
docs/report-summary.png and docs/report-gallery.png.

    python3 scripts/readme_results.py results/quickstart/<run-id> [--screenshots]

Run it after every change that moves the quickstart's numbers, and commit README.md and docs/.
Uses only the Python standard library.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

BEGIN = "<!-- quickstart-results:begin -->"
END = "<!-- quickstart-results:end -->"
# The table's columns, when the run has them (others are in summary.md and report.html).
COLUMNS = ["pointing_game", "energy_pointing_game", "max_box_acc_v2", "instance_recall", "all_instances_hit",
           "deletion_auc", "insertion_auc"]
# The second table: sanity checks, ROAD and the map's own statistics (docs/spec.md §3).
CHECK_COLUMNS = ["mprt_spearman", "mprt_ssim", "random_logit_ssim", "road_morf", "road_lerf", "road_gap",
                 "sparseness", "complexity"]
# Lower is better for these (src/metrics/registry.cpp's higher_is_better = false).
LOWER_IS_BETTER = {"deletion_auc", "average_drop", "road_morf", "complexity", "mprt_spearman", "mprt_ssim",
                   "random_logit_ssim"}
PERCENT = {"average_drop", "increase_in_confidence"}


def fail(message):
    print(f"readme_results: error: {message}", file=sys.stderr)
    sys.exit(2)


def fmt(metric, v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.2f}" if metric in PERCENT else f"{v:.3f}"


def table(methods, order, columns, n_in_header=False):
    """Markdown rows of the methods x columns means, the best of each column in bold."""
    best = {}
    for c in columns:
        vals = [methods[m][c]["mean"] for m in order if c in methods[m] and methods[m][c]["mean"] is not None]
        if vals:
            best[c] = min(vals) if c in LOWER_IS_BETTER else max(vals)

    def header(c):
        n = {methods[m][c]["n"] for m in order if c in methods[m]}
        label = c + (" ↓" if c in LOWER_IS_BETTER else "")
        return label + (f" (n={max(n)})" if n_in_header and n else "")

    lines = ["| method | " + " | ".join(header(c) for c in columns) + " |", "|---|" + "---|" * len(columns)]
    for m in order:
        cells = []
        for c in columns:
            v = methods[m].get(c, {}).get("mean")
            text = fmt(c, v)
            cells.append(f"**{text}**" if v is not None and best.get(c) is not None and fmt(c, best[c]) == text else text)
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return lines


def results_block(run_dir, report, dataset, repo):
    d = report["datasets"][dataset]
    methods = d["methods"]
    cfg = report.get("config", {})
    present = {m for per in methods.values() for m in per}
    columns = [c for c in COLUMNS if c in present]
    # Rows in the run's method order (per_image.jsonl lists methods in table order).
    order = []
    try:
        with open(os.path.join(run_dir, "per_image.jsonl")) as f:
            for line in f:
                row = json.loads(line) if line.strip() else {}
                if row.get("dataset") == dataset and row.get("method") in methods and row["method"] not in order:
                    order.append(row["method"])
    except (OSError, ValueError):
        pass
    order += [m for m in methods if m not in order]
    training = d.get("training", {})
    acc = training.get("test_accuracy")
    model = cfg.get("model", {})
    env = report.get("environment", {})
    lines = []
    what = (f"{model.get('arch', 'the model')} for {training.get('epochs', '?')} epochs to "
            f"**{100 * acc:.1f}% test accuracy**" if acc is not None else "the model")
    lines.append(f"The quickstart run `{report.get('run_id', '?')}` (entcam {env.get('entcam', '?')}, git "
                 f"{env.get('git', '?')}, {env.get('threads', '?')} threads on {env.get('device', '?')}) trained "
                 f"{what} ({d.get('n_train', '?')} training / {d.get('n_test', '?')} test images, "
                 f"{len(d.get('classes', []))} classes) and explained {d.get('n_explained', '?')} test images at "
                 f"`{d.get('layer', '?')}` with {len(order)} methods. Mean of each metric; the best of each column "
                 f"in bold; `summary.md` and `report.html` add the 95% CIs, `report.json` the paired tests against "
                 f"Grad-CAM:")
    lines.append("")
    lines += table(methods, order, columns)
    lines.append("")
    metrics_cfg = cfg.get("metrics", {})
    if "faithfulness_images" in metrics_cfg or "steps" in metrics_cfg:
        lines.append(f"(Faithfulness metrics on the first {metrics_cfg.get('faithfulness_images', '?')} explained "
                     f"images, {metrics_cfg.get('steps', '?')} steps, as the quickstart sets.)")
    checks = [c for c in CHECK_COLUMNS if c in present]
    if checks:
        lines.append("")
        lines.append("Sanity checks (MPRT's similarity after the whole cascade, random-logit SSIM), ROAD and the "
                     "maps' sparseness and complexity, on the subset of images the quickstart sets (n per column); "
                     "lower MPRT and random-logit similarity means a map that depends more on the model and the "
                     "class:")
        lines.append("")
        lines += table(methods, order, checks, n_in_header=True)
    mprt = os.path.join(run_dir, "figures", f"mprt-{dataset}.png")
    if os.path.exists(mprt):
        os.makedirs(os.path.join(repo, "docs"), exist_ok=True)
        shutil.copyfile(mprt, os.path.join(repo, "docs", "quickstart-mprt.png"))
        lines.append("")
        lines.append("The MPRT curves (`figures/mprt-" + dataset + ".png`, also as PDF and SVG): one panel per method, "
                     "its SSIM to its original map as the layers are randomised from the classifier down, with the 95% "
                     "CI band:")
        lines.append("")
        lines.append("![quickstart MPRT curves](docs/quickstart-mprt.png)")
    timing = report.get("timing", {})
    if "total" in timing:
        parts = ", ".join(f"{k} {timing[k]:.0f} s" for k in ("download+split", "train", "explain", "report") if k in timing)
        lines.append("")
        lines.append(f"The run took {timing['total']:.0f} s ({parts}).")
    lines.append("")
    # The vector figures README links: the Figure-1 grid and one bar chart, as PDF.
    for src, dst in [(f"grid-{dataset}.pdf", "figure1-grid.pdf"), (f"bars-{dataset}-instance_recall.pdf",
                                                                    "bars-instance_recall.pdf")]:
        if os.path.exists(os.path.join(run_dir, "figures", src)):
            shutil.copyfile(os.path.join(run_dir, "figures", src), os.path.join(repo, "docs", dst))
    grid = os.path.join(run_dir, "figures", f"grid-{dataset}.png")
    if os.path.exists(grid):
        os.makedirs(os.path.join(repo, "docs"), exist_ok=True)
        shutil.copyfile(grid, os.path.join(repo, "docs", "quickstart-grid.png"))
        lines.append(f"The figure grid (`figures/grid-{dataset}.png`, also as PDF and SVG) shows each image with its "
                     "boxes and every method's map over it, as in the paper's Figure 1:")
        lines.append("")
        lines.append("![quickstart figure grid](docs/quickstart-grid.png)")
    return "\n".join(lines)


def screenshots(run_dir, repo):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        fail("--screenshots needs chromium (scripts/install-deps.sh installs it)")
    page = "file://" + os.path.abspath(os.path.join(run_dir, "report.html"))
    for name, hash_, height in [("report-summary", "view=summary", 1500),
                                ("report-gallery", "view=gallery&per=10&fon=1&fa=grad_entropy_cam&fb=grad_cam"
                                                  "&fk=instance_recall&fby=0&gsk=instance_recall"
                                                  "&show=instance_recall,all_instances_hit,pointing_game", 1500)]:
        with tempfile.TemporaryDirectory() as profile:
            out = os.path.join(repo, "docs", name + ".png")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size=1400,{height}",
                            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000", f"--screenshot={out}", page + "#" + hash_],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
            print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", help="results/quickstart/<run-id>")
    p.add_argument("--dataset", help="dataset of report.json (default: the first)")
    p.add_argument("--readme", default=None, help="README.md to update (default: the repository's)")
    p.add_argument("--screenshots", action="store_true", help="also photograph report.html into docs/")
    args = p.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    readme = args.readme or os.path.join(repo, "README.md")
    report_file = os.path.join(args.run_dir, "report.json")
    try:
        with open(report_file) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{report_file}: {e}; expected the report.json of an entcam run")
    datasets = list(report.get("datasets", {}))
    if not datasets:
        fail(f"{report_file}: no datasets")
    dataset = args.dataset or datasets[0]
    if dataset not in report["datasets"]:
        fail(f"--dataset {dataset}: not in {report_file}; expected one of {', '.join(datasets)}")
    with open(readme) as f:
        text = f.read()
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        fail(f"{readme}: no '{BEGIN}' ... '{END}' block")
    block = results_block(args.run_dir, report, dataset, repo)
    text = text[: text.index(BEGIN) + len(BEGIN)] + "\n" + block + "\n" + text[text.index(END):]
    with open(readme + ".tmp", "w") as f:
        f.write(text)
    os.replace(readme + ".tmp", readme)
    print(f"updated {readme} from {report_file}")
    if args.screenshots:
        screenshots(args.run_dir, repo)


if __name__ == "__main__":
    main()
