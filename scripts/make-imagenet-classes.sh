#!/bin/sh
# Regenerates datasets/imagenet-1k.tsv, the ImageNet-1k (ILSVRC-2012) class table entcam ships:
#   <index> TAB <WNID> TAB <name>, one line per class, index order.
# Source: Debian's `darknet` package, whose cfg/imagenet1k.data reads the first 1000 lines of
# data/imagenet.labels.list (WNIDs) and data/imagenet.shortnames.list (names, same order) as
# its 1000 ImageNet-1k classes. The index order used by torchvision and timm is the WNIDs
# sorted as strings (the ILSVRC-2012 devkit's order), so the pairs are sorted by WNID.
# darknet is licensed GPL-3.0+ or MIT or WTFPL (debian/copyright); the names are darknet's
# short names (e.g. 948 "Granny Smith", 1 "goldfish").
#   scripts/make-imagenet-classes.sh > datasets/imagenet-1k.tsv
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download darknet >/dev/null 2>&1
dpkg-deb -x darknet_*.deb x
d=x/usr/share/darknet/data
echo "# ImageNet-1k classes: index, WNID, name (scripts/make-imagenet-classes.sh; from Debian's darknet package)"
paste "$d/imagenet.labels.list" "$d/imagenet.shortnames.list" | head -n 1000 | LC_ALL=C sort | awk -F'\t' '{print NR-1 "\t" $1 "\t" $2}'
