#!/usr/bin/env bash
# Makes the seed corpora fuzz/corpus/<target>/ from the test fixtures and the shipped
# manifests and experiments (rerun when those change; libFuzzer mutates from these).
# Generators use /usr/bin/python3's standard library only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
c="$root/fuzz/corpus"
mkdir -p "$c"/{safetensors,npy,boxes_json,voc_xml,manifest_yaml,experiment_yaml,archive}

cp "$root"/tests/fixtures/entropy_{grid,ties,constant}.npy "$c/npy/"
cp "$root/tests/fixtures/score/boxes.json" "$c/boxes_json/score_fixture.json"
printf '{"images": [{"id": "a", "width": 10, "height": 8, "boxes": [[1, 2, 3, 4]], "class": 3}, {"id": "b", "width": 5, "height": 5, "boxes": []}]}' \
  >"$c/boxes_json/two_images.json"
cp "$root"/datasets/*.yaml "$c/manifest_yaml/"
cp "$root"/experiments/*.yaml "$c/experiment_yaml/"
cp "$root/configs/defaults.yaml" "$c/experiment_yaml/defaults.yaml"

/usr/bin/python3 - "$c" <<'PY'
import io, json, os, struct, sys, tarfile, zipfile
c = sys.argv[1]

# safetensors (tests/core/test_safetensors.cpp's layout): F32, F16 and an I64 counter
def safetensors(tensors, meta):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data
open(f"{c}/safetensors/small.safetensors", "wb").write(safetensors({
    "fc.weight": ("F32", [2, 3], struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
    "fc.bias": ("F16", [2], struct.pack("<2e", 0.5, -1.0)),
    "bn.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
}, {"entcam.arch": "xception-mini", "entcam.width_divisor": "8"}))
open(f"{c}/safetensors/empty.safetensors", "wb").write(safetensors({}, None))

# VOC XML as Stanford Dogs writes it (tests/support/dataset_fixtures.h make_voc)
open(f"{c}/voc_xml/dogs.xml", "w").write(
    "<annotation>\n\t<folder>02085620</folder>\n\t<filename>n02085620_2</filename>\n\t<source>\n"
    "\t\t<database>ImageNet database</database>\n\t</source>\n\t<size>\n\t\t<width>140</width>\n"
    "\t\t<height>100</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segment>0</segment>\n"
    "\t<object>\n\t\t<name>Chihuahua</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
    "\t\t<difficult>1</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>10</xmin>\n\t\t\t<ymin>12.0</ymin>\n"
    "\t\t\t<xmax>70</xmax>\n\t\t\t<ymax>90</ymax>\n\t\t</bndbox>\n\t</object>\n</annotation>\n")
open(f"{c}/voc_xml/entities.xml", "w").write(
    "<?xml version='1.0'?><!-- c --><annotation><filename>a&amp;b&#65;</filename>"
    "<object><name><![CDATA[cat]]></name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax>"
    "</bndbox></object></annotation>")

# archives: tar, tar.gz, zip; folders, an in-bounds symlink and a hardlink
def tar(name, mode, entries):
    with tarfile.open(f"{c}/archive/{name}", mode) as t:
        for path, kind, payload in entries:
            info = tarfile.TarInfo(path)
            info.mtime = 0
            if kind == "file":
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                t.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                t.addfile(info)
entries = [("top", "dir", None), ("top/a.txt", "file", b"alpha"), ("top/sub/b.txt", "file", b"beta"),
           ("top/link", "symlink", "sub/b.txt"), ("top/hard", "hardlink", "top/a.txt")]
tar("folders.tar", "w", entries)
tar("folders.tar.gz", "w:gz", entries)
tar("chain.tar", "w", [("a", "symlink", "."), ("a/b", "symlink", ".."), ("a/b/c", "file", b"x")])
with zipfile.ZipFile(f"{c}/archive/folders.zip", "w") as z:
    z.writestr("top/a.txt", "alpha")
    z.writestr("top/sub/b.txt", "beta")
PY
echo "corpus: $(find "$c" -type f | wc -l) seed files under $c"
