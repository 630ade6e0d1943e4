#!/usr/bin/python3
"""Benchmark (not a test): the seven gradient/activation methods that entcam and
pytorch-grad-cam share, on the same Xception, layer, inputs and classes. Prints both times,
their ratio and, per method, the largest difference between the two maps (min-max normalised
at the layer's resolution). Asserts nothing.

Model: Xception (299 px, 1000 classes, seeded random weights with randomised batch-norm
statistics), the PyTorch transcription of timm's legacy_xception in
tests/fixtures/make_fixtures.py, written as a safetensors file that entcam loads natively
(`xception:FILE`); target layer act4; the predicted class of each image.
- entcam: one `entcam explain` process for the seven methods (start-up, weight loading, one
  forward and backward, the maps, writing them), and one for all ten one-pass methods.
- pytorch-grad-cam: for each method, constructing the CAM object and one call on the batch
  (each call runs its own forward and backward), on the eager model; building the model is
  excluded. EigenCAM and EigenGradCAM leave the SVD's sign arbitrary; their maps are compared
  after the sign correction docs/spec.md prescribes (that of pytorch-grad-cam's
  get_2d_projection_with_sign_correction). The issue's reference measurement (session 2) was pgc 38.6 s, entcam 3.6 s.

  PGC_PATH=/path/to/pytorch-grad-cam /usr/bin/python3 bench/seven_methods_vs_pgc.py \
      [--entcam build/bin/entcam] [--images 8] [--size 299] [--threads 2] [--repeats 1]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
from score_cam_vs_pgc import import_pgc, keep_layer_maps, normalised, parse_bench_args  # noqa: E402
from make_fixtures import Xception, randomize_bn, save_safetensors  # noqa: E402

# entcam method id -> pytorch-grad-cam class name
SHARED = {"grad_cam": "GradCAM", "hires_cam": "HiResCAM", "grad_cam_pp": "GradCAMPlusPlus",
          "xgrad_cam": "XGradCAM", "layer_cam": "LayerCAM", "eigen_cam": "EigenCAM",
          "eigen_grad_cam": "EigenGradCAM"}
ONE_PASS = list(SHARED) + ["respond_cam", "grad_entropy_cam", "feature_entropy_cam"]


def run_entcam(args, model_path, x_path, methods, out):
    cmd = [args.entcam, "--quiet", "--threads", str(args.threads), "explain", "--model", "xception:" + model_path,
           "--tensor", x_path, "--layer", "act4", "--methods", ",".join(methods),
           "--batch-size", str(args.images), "--out", out]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    report = json.load(open(os.path.join(out, "explain.json")))
    maps = {m: np.stack([np.load(os.path.join(out, item["methods"][m]["file"])) for item in report["items"]])
            for m in methods}
    return seconds, maps


def run_pgc(model, x):
    pgc = import_pgc()
    seconds, maps = {}, {}
    for method, cls in SHARED.items():
        t0 = time.perf_counter()
        cam = getattr(pgc, cls)(model=model, target_layers=[model.act4])
        raw = keep_layer_maps(cam, sign_correction=cls.startswith("Eigen"))
        cam(input_tensor=x, targets=None)
        seconds[method] = time.perf_counter() - t0
        maps[method] = raw[-1]
        cam.activations_and_grads.release()
    return seconds, maps


def main():
    args = parse_bench_args(images=8, size=299)
    model = Xception(1000)
    randomize_bn(model)
    model.eval()
    mean = torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1)
    x = ((torch.rand(args.images, 3, args.size, args.size) - mean) / 0.5).contiguous()
    print(f"Xception (seeded random weights), act4, {args.images} images of {args.size} px, {args.threads} threads")
    with tempfile.TemporaryDirectory() as tmp:
        model_path, x_path = os.path.join(tmp, "xception.safetensors"), os.path.join(tmp, "x.npy")
        save_safetensors(model_path, {k: v.numpy() for k, v in model.state_dict().items()
                                      if not k.endswith("num_batches_tracked")}, {})
        np.save(x_path, x.numpy())
        runs = {}
        for label, methods in (("seven", list(SHARED)), ("ten", ONE_PASS)):
            runs[label] = min((run_entcam(args, model_path, x_path, methods, os.path.join(tmp, f"{label}{r}"))
                               for r in range(args.repeats)), key=lambda r: r[0])
    ent_seconds, ent_maps = runs["seven"]
    print(f"entcam explain, the seven methods (whole process): {ent_seconds:.2f} s")
    print(f"entcam explain, all ten one-pass methods (whole process): {runs['ten'][0]:.2f} s")
    if not os.environ.get("PGC_PATH"):
        print("pytorch-grad-cam: skipped (set PGC_PATH to a checkout of jacobgil/pytorch-grad-cam)")
        return
    pgc_seconds, pgc_maps = min((run_pgc(model, x) for _ in range(args.repeats)), key=lambda r: sum(r[0].values()))
    total = sum(pgc_seconds.values())
    for method in SHARED:
        diff = np.abs(normalised(ent_maps[method]) - normalised(pgc_maps[method])).max()
        print(f"  {SHARED[method]:16s} pgc {pgc_seconds[method]:6.2f} s   max |difference| of the maps {diff:.2e}")
    print(f"pytorch-grad-cam, the seven methods: {total:.2f} s")
    print(f"speed-up (pytorch-grad-cam / entcam whole process): {total / ent_seconds:.1f}x "
          f"(ten methods: {total / runs['ten'][0]:.1f}x)")


if __name__ == "__main__":
    main()
