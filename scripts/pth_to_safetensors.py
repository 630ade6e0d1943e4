#!/usr/bin/env python3
"""Convert a PyTorch .pth/.pt/.bin state dict to a safetensors file entcam can load.

Optional helper for users who have Xception or ResNet-50 weights only as a PyTorch pickle (e.g.
timm's legacy_xception `pytorch_model.bin`, Cadene's `xception-43020ad28.pth`, or torchvision's
`resnet50-0676ba61.pth` / `resnet50-11ad3fa6.pth`). Needs Python 3
with torch (numpy not required). Writes float32 tensors with a `__metadata__` naming the
architecture, so `entcam ... --model FILE.safetensors` (or `xception:FILE.safetensors`,
`resnet50:FILE.safetensors`) works.

Usage:
    python3 scripts/pth_to_safetensors.py IN.pth OUT.safetensors [--arch xception|resnet50]
                                          [--strip-prefix module.] [--rename last_linear.=fc.]

- --arch defaults to resnet50 when the keys are torchvision's ResNet names (`layer4.2.bn3.weight`),
  else xception.
- A checkpoint dict holding the weights under "state_dict", "model" or "model_state_dict" is
  unwrapped.
- --strip-prefix removes a leading prefix from every key (repeatable; e.g. "module." from
  DataParallel checkpoints).
- --rename OLD=NEW replaces a key prefix (repeatable; Cadene's pretrainedmodels calls the
  classifier `last_linear`, timm calls it `fc`).
- Old Cadene files store the pointwise convolutions as [out, in] instead of [out, in, 1, 1];
  such 2-D `*.pointwise.weight` tensors are reshaped to 4-D.
- `num_batches_tracked` counters are dropped (entcam does not need them).
The file is written to OUT.tmp and renamed, so a failed run never leaves a half-written file.
"""
import argparse
import json
import os
import struct
import sys

import torch


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        sys.exit(f"{path}: not a state dict of tensors")
    return obj


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        raw = t.numpy().astype("<f4", copy=False).tobytes() if t.numel() else b""
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # align the data buffer to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--arch", help="value of metadata entcam.arch (default: resnet50 for torchvision ResNet keys, "
                    "else xception)")
    ap.add_argument("--strip-prefix", action="append", default=[])
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    args = ap.parse_args()

    sd = load_state_dict(args.input)
    renames = [r.split("=", 1) for r in args.rename]
    out = {}
    for key, value in sd.items():
        for p in args.strip_prefix:
            if key.startswith(p):
                key = key[len(p):]
        for old, new in renames:
            if key.startswith(old):
                key = new + key[len(old):]
        if key.endswith("num_batches_tracked"):
            continue
        if key.endswith("pointwise.weight") and value.dim() == 2:
            value = value[:, :, None, None]
        if not value.is_floating_point():
            sys.exit(f"{args.input}: tensor {key} has dtype {value.dtype}, expected floating point")
        out[key] = value
    arch = args.arch or ("resnet50" if "layer4.2.bn3.weight" in out else "xception")
    meta = {"entcam.arch": arch, "entcam.source": os.path.basename(args.input)}
    if "fc.weight" in out:
        meta["entcam.num_classes"] = str(out["fc.weight"].shape[0])
    write_safetensors(args.output, out, meta)
    print(f"wrote {args.output}: {len(out)} tensors")


if __name__ == "__main__":
    main()
