#!/usr/bin/env python3
"""Export a torchvision (or timm) classifier as the `torchscript:FILE.pt` model entcam reads.

entcam's TorchScript model (docs/spec.md, "Model specs") exposes two methods:
  features(x) -> Tensor[B,K,h,w]   the network up to and including the target layer
  head(a)     -> Tensor[B,C]       the rest of the network, from that layer's output to the logits
with forward(x) == head(features(x)). This script cuts a model at a named module with
torch.fx: the module becomes one node of the traced graph; everything it depends on goes to
`features`, everything after it to `head`. The cut must be clean: when a later node also
reads a tensor from before the layer (a skip connection over the cut), the script stops and
says so (choose a layer at a block boundary, e.g. ResNet's layer4, VGG's features).

It then checks head(features(x)) == model(x) on random inputs (max abs difference <= --atol)
and checks the saved file again after torch.jit.load, and prints the model spec to use.

Examples:
  /usr/bin/python3 scripts/export_torchscript.py --model resnet50 --weights DEFAULT --layer layer4 --out resnet50.pt
  /usr/bin/python3 scripts/export_torchscript.py --model vgg16 --weights DEFAULT --layer features --out vgg16.pt
  /usr/bin/python3 scripts/export_torchscript.py --model resnet18 --weights none --num-classes 4 --layer layer4 \\
      --out r18.pt                      # random weights (the test suite does this)
  python3 scripts/export_torchscript.py --timm --model resnet50 --weights DEFAULT --layer layer4 --out r50-timm.pt

torchvision comes with Debian (python3-torchvision). timm models need timm installed (pip),
because the export runs the model's own Python code; the written .pt file does not need timm.
Some timm models use operations that torch.fx cannot trace symbolically (data-dependent
control flow, e.g. in some attention blocks); those cannot be cut by this script.

The model's input transform is stored in the module as attributes `entcam_input_size`,
`entcam_mean`, `entcam_std`, `entcam_crop_pct` and `entcam_interpolation` (torchvision's
eval transform for torchvision models, the pretrained config for timm models); entcam reads
all but the interpolation (informative) for image inputs.
"""
import argparse
import sys
from typing import List

import torch
import torch.fx
from torch import nn

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def fail(message):
    print(f"export_torchscript: error: {message}", file=sys.stderr)
    sys.exit(2)


def build_torchvision(name, weights, num_classes):
    import torchvision

    if not hasattr(torchvision.models, name):
        fail(f"--model {name}: not a torchvision model; expected one of torchvision.models (resnet50, vgg16, ...)")
    kwargs = {}
    if weights and weights.lower() != "none":
        kwargs["weights"] = weights
    else:
        kwargs["weights"] = None
        if num_classes:
            kwargs["num_classes"] = num_classes
    model = getattr(torchvision.models, name)(**kwargs)
    if weights and weights.lower() != "none" and num_classes:
        fail("--num-classes only with --weights none (pretrained heads keep their 1000 classes)")
    # torchvision's eval transform: resize the shorter side to 256 (bilinear), centre-crop 224.
    return model, {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "crop_pct": 0.875,
                   "interpolation": "bilinear"}


def build_timm(name, weights, num_classes):
    try:
        import timm
    except ImportError:
        fail("--timm needs timm installed (pip install timm): the export runs the model's own code")
    pretrained = bool(weights) and weights.lower() != "none"
    model = timm.create_model(name, pretrained=pretrained, num_classes=num_classes or None) if num_classes else \
        timm.create_model(name, pretrained=pretrained)
    cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", {}) or {}
    return model, {"size": cfg.get("input_size", (3, 224, 224))[-1], "mean": list(cfg.get("mean", IMAGENET_MEAN)),
                   "std": list(cfg.get("std", IMAGENET_STD)), "crop_pct": float(cfg.get("crop_pct", 0.875)),
                   "interpolation": cfg.get("interpolation", "bicubic")}


class LeafTracer(torch.fx.Tracer):
    """Traces through every module except the target layer, which stays one call_module node."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def is_leaf_module(self, m, qualified_name):
        return qualified_name == self.layer or super().is_leaf_module(m, qualified_name)


def split(model, layer):
    names = dict(model.named_modules())
    if layer not in names or layer == "":
        candidates = [n for n, _ in model.named_children()]
        fail(f"--layer {layer}: no such module; the model's top-level modules are {', '.join(candidates)}")
    graph = LeafTracer(layer).trace(model)
    cut = [n for n in graph.nodes if n.op == "call_module" and n.target == layer]
    if len(cut) != 1:
        fail(f"--layer {layer}: the module is called {len(cut)} times in forward; expected once")
    cut = cut[0]
    nodes = list(graph.nodes)
    position = nodes.index(cut)
    before = set(nodes[: position + 1])
    # Every node after the cut may read only the cut's output, nodes after the cut, or
    # parameters/constants (get_attr): anything else crosses the cut.
    for n in nodes[position + 1:]:
        for arg in n.all_input_nodes:
            if arg in before and arg is not cut and arg.op != "get_attr":
                fail(f"--layer {layer}: '{n.name}' after the layer also reads '{arg.name}' from before it "
                     "(a connection across the cut); choose a layer at a block boundary")

    features_graph = torch.fx.Graph()
    env = {}
    for n in nodes[: position + 1]:
        env[n] = features_graph.node_copy(n, lambda a: env[a])
    features_graph.output(env[cut])

    head_graph = torch.fx.Graph()
    env = {cut: head_graph.placeholder("a")}
    for n in nodes[position + 1:]:
        if n.op == "placeholder":
            fail(f"--layer {layer}: the model takes more than one input")
        if n.op == "get_attr" or all(a in env for a in n.all_input_nodes):
            env[n] = head_graph.node_copy(n, lambda a: env[a])
        else:
            fail(f"--layer {layer}: cannot place '{n.name}' after the cut")
    features = torch.fx.GraphModule(model, features_graph)
    head = torch.fx.GraphModule(model, head_graph)
    features.graph.eliminate_dead_code()
    head.graph.eliminate_dead_code()
    features.recompile()
    head.recompile()
    return features, head


class Split(nn.Module):
    entcam_input_size: int
    entcam_mean: List[float]
    entcam_std: List[float]
    entcam_crop_pct: float
    entcam_interpolation: str

    def __init__(self, features, head, spec):
        super().__init__()
        self.feature_net = features
        self.head_net = head
        self.entcam_input_size = int(spec["size"])
        self.entcam_mean = [float(v) for v in spec["mean"]]
        self.entcam_std = [float(v) for v in spec["std"]]
        self.entcam_crop_pct = float(spec["crop_pct"])
        self.entcam_interpolation = str(spec["interpolation"])

    @torch.jit.export
    def features(self, x):
        return self.feature_net(x)

    @torch.jit.export
    def head(self, a):
        return self.head_net(a)

    def forward(self, x):
        return self.head_net(self.feature_net(x))


def to_torchscript(wrapper, size):
    try:
        return torch.jit.script(wrapper)
    except Exception as script_error:  # noqa: BLE001 - fall back to tracing, say why
        print(f"export_torchscript: torch.jit.script failed ({type(script_error).__name__}); tracing instead",
              file=sys.stderr)
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        a = wrapper.features(x)
    return torch.jit.trace_module(wrapper, {"forward": x, "features": x, "head": a})


def max_diff(a, b):
    return (a - b).abs().max().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="torchvision model name (resnet50, vgg16, ...) or timm name with --timm")
    p.add_argument("--layer", required=True, help="module to cut at (its output is the CAM target layer)")
    p.add_argument("--out", required=True, help="the .pt file to write")
    p.add_argument("--weights", default="none", help="torchvision weights enum name (DEFAULT, IMAGENET1K_V1) or none")
    p.add_argument("--num-classes", type=int, default=0, help="classes of a randomly initialised head")
    p.add_argument("--timm", action="store_true", help="build the model with timm.create_model")
    p.add_argument("--input-size", type=int, default=0, help="input size (default: the model's, 224 for torchvision)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--atol", type=float, default=1e-4)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    if args.timm:
        model, spec = build_timm(args.model, args.weights, args.num_classes)
    else:
        model, spec = build_torchvision(args.model, args.weights, args.num_classes)
    if args.input_size:
        spec["size"] = args.input_size
    size = spec["size"]
    model.eval()
    features, head = split(model, args.layer)
    wrapper = Split(features, head, spec).eval()
    scripted = to_torchscript(wrapper, size)
    scripted.save(args.out)

    x = torch.rand(2, 3, size, size) * 2 - 1
    loaded = torch.jit.load(args.out)
    with torch.no_grad():
        expected = model(x)
        a = loaded.features(x)
        if a.dim() != 4:
            fail(f"--layer {args.layer}: its output has shape {list(a.shape)}; expected [B,K,h,w]")
        checks = {"head(features(x))": loaded.head(a), "forward(x)": loaded(x)}
    for name, got in checks.items():
        d = max_diff(got, expected)
        if not d <= args.atol:
            fail(f"{name} differs from the model's output by {d:g} (more than --atol {args.atol:g})")
    print(f"features: {list(a.shape)}  logits: {list(expected.shape)}  "
          f"max |head(features(x)) - model(x)| = {max_diff(checks['head(features(x))'], expected):.3g}")
    print(f"model spec: torchscript:{args.out}")


if __name__ == "__main__":
    main()
