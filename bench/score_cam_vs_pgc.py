#!/usr/bin/python3
"""Benchmark (not a test): entcam's Score-CAM against pytorch-grad-cam's ScoreCAM on the same
model, layer, inputs and targets; prints both times, their ratio and the largest difference
between the two maps (min-max normalised at the layer's resolution). Asserts nothing.

Model: torchvision resnet18 (seeded random weights; no download), exported as a TorchScript
module with features(x) = conv1..layer4 and head(a) = avgpool, flatten, fc (docs/spec.md §1
`torchscript:`); target layer layer4; N images of S px (seeded random, ImageNet-normalised).
entcam runs `entcam explain --methods score_cam --score-cam-variant pytorch-grad-cam` as a
whole process (start-up, model loading, capture and writing included); pytorch-grad-cam's
time is one `ScoreCAM(...)(input_tensor, targets=None)` call on the eager model (its default
batch of 16 masked inputs per pass), model construction excluded.

  PGC_PATH=/path/to/pytorch-grad-cam /usr/bin/python3 bench/score_cam_vs_pgc.py \
      [--entcam build/bin/entcam] [--images 4] [--size 128] [--threads 2] [--repeats 1]

Without PGC_PATH (a checkout of jacobgil/pytorch-grad-cam) only entcam is timed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import numpy as np
import torch
import torchvision


class FeaturesHead(torch.nn.Module):
    """resnet18 split at layer4: forward(x) == head(features(x))."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    @torch.jit.export
    def features(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        return n.layer4(n.layer3(n.layer2(n.layer1(x))))

    @torch.jit.export
    def head(self, a):
        return self.net.fc(torch.flatten(self.net.avgpool(a), 1))

    def forward(self, x):
        return self.head(self.features(x))


def normalised(m):
    m = m.reshape(m.shape[0], -1).astype(np.float64)
    lo, hi = m.min(1, keepdims=True), m.max(1, keepdims=True)
    return np.where(hi > lo, (m - lo) / np.where(hi > lo, hi - lo, 1), 0)


def run_entcam(args, model_path, x_path, out):
    cmd = [args.entcam, "--quiet", "--threads", str(args.threads), "explain", "--model", "torchscript:" + model_path,
           "--tensor", x_path, "--methods", "score_cam", "--score-cam-variant", "pytorch-grad-cam",
           "--batch-size", str(args.images), "--out", out]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    report = json.load(open(os.path.join(out, "explain.json")))
    method_seconds = sum(item["methods"]["score_cam"]["seconds"] for item in report["items"])
    maps = np.stack([np.load(os.path.join(out, item["methods"]["score_cam"]["file"])) for item in report["items"]])
    return seconds, method_seconds, maps


def import_pgc():
    """The pytorch_grad_cam package from the checkout at $PGC_PATH (ttach stubbed if absent)."""
    sys.path.insert(0, os.environ["PGC_PATH"])
    try:
        import ttach  # noqa: F401  (pytorch-grad-cam imports it for test-time augmentation only)
    except ImportError:
        class Unused:  # built by BaseCAM's constructor, used only with aug_smooth=True
            def __init__(self, *args, **kwargs):
                pass

        stub = types.ModuleType("ttach")
        stub.Compose = stub.HorizontalFlip = stub.Multiply = Unused
        sys.modules["ttach"] = stub
    import pytorch_grad_cam
    return pytorch_grad_cam


def keep_layer_maps(cam, sign_correction=False):
    """Makes `cam` append each layer-resolution map, before pytorch-grad-cam's ReLU and resize,
    to the returned list (with the ReLU applied). sign_correction: first flip each image's map
    whose minimum is larger in magnitude than its maximum (the rule of pytorch-grad-cam's
    get_2d_projection_with_sign_correction, for EigenCAM's arbitrary SVD sign)."""
    raw = []
    inner = cam.get_cam_image

    def keep(*a, **k):
        out = inner(*a, **k)
        m = np.array(out)
        if sign_correction:
            flip = np.abs(m.min(axis=(1, 2))) > np.abs(m.max(axis=(1, 2)))
            m[flip] = -m[flip]
        raw.append(np.maximum(m, 0))
        return out

    cam.get_cam_image = keep
    return raw


def run_pgc(args, model, x):
    ScoreCAM = import_pgc().ScoreCAM
    cam = ScoreCAM(model=model.net, target_layers=[model.net.layer4])
    raw = keep_layer_maps(cam)
    t0 = time.perf_counter()
    cam(input_tensor=x, targets=None)
    seconds = time.perf_counter() - t0
    return seconds, raw[-1]


def parse_bench_args(images, size):
    """The options both pytorch-grad-cam benchmarks take; sets torch's threads and seed."""
    p = argparse.ArgumentParser()
    p.add_argument("--entcam", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "entcam"))
    p.add_argument("--images", type=int, default=images)
    p.add_argument("--size", type=int, default=size)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1, help="best of N for each side")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return args


def main():
    args = parse_bench_args(images=4, size=128)
    model = FeaturesHead(torchvision.models.resnet18()).eval()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = ((torch.rand(args.images, 3, args.size, args.size) - mean) / std).contiguous()
    with torch.no_grad():
        A = model.features(x)
    constant = int((A.flatten(2).amax(2) == A.flatten(2).amin(2)).sum())
    print(f"resnet18 (seeded random weights), layer4, {args.images} images of {args.size} px, {args.threads} threads; "
          f"{A.shape[1]} channels of {A.shape[2]}x{A.shape[3]}, {constant} of {A.shape[0] * A.shape[1]} constant")
    with tempfile.TemporaryDirectory() as tmp:
        model_path, x_path = os.path.join(tmp, "resnet18.pt"), os.path.join(tmp, "x.npy")
        torch.jit.script(model).save(model_path)
        np.save(x_path, x.numpy())
        best = None
        for r in range(args.repeats):
            res = run_entcam(args, model_path, x_path, os.path.join(tmp, f"out{r}"))
            best = res if best is None or res[0] < best[0] else best
        ent_seconds, ent_method, ent_maps = best
    print(f"entcam explain score_cam (whole process): {ent_seconds:.2f} s (score_cam itself {ent_method:.2f} s)")
    if not os.environ.get("PGC_PATH"):
        print("pytorch-grad-cam: skipped (set PGC_PATH to a checkout of jacobgil/pytorch-grad-cam)")
        return
    pgc_seconds, pgc_maps = min((run_pgc(args, model, x) for _ in range(args.repeats)), key=lambda r: r[0])
    diff = np.abs(normalised(ent_maps) - normalised(pgc_maps)).max()
    print(f"pytorch-grad-cam ScoreCAM:                 {pgc_seconds:.2f} s")
    print(f"speed-up (pytorch-grad-cam / entcam whole process): {pgc_seconds / ent_seconds:.2f}x")
    print(f"max |difference| of the min-max normalised maps: {diff:.2e}")


if __name__ == "__main__":
    main()
