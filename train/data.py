"""Training data: local .npz archives or Hugging Face datasets, all normalised the same way.

A source is either a path to an .npz with x_train/y_train/x_test/y_test (white
ink on black, uint8, like ../shared/data) or anything `datasets.load_dataset`
accepts (a Hub id such as "ylecun/mnist", or a local folder of parquet files)
with an image column and an integer label column.

Labels end up in the 62-class set (0-9, A-Z = 10-35, a-z = 36-61): a source's own
labels are moved there by an offset (`--label-offset 10`: a letters set labelled
0-25 becomes A-Z) or a mapping (`--label-map letters`: EMNIST Letters' 1-26 become
A-Z; or explicit pairs such as "0:10,1:11").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glyph_vae.glyphs.preprocess import GlyphError, normalize_batch, normalize_glyph

NUM_CLASSES = 62
# EMNIST Letters (and the Hub copies of it) label a/A as 1 ... z/Z as 26, upper and
# lower case merged; they are read as the capitals A-Z, classes 10-35.
LABEL_MAP_PRESETS = {"letters": {i: 9 + i for i in range(1, 27)}}


@dataclass
class GlyphSet:
    images: np.ndarray  # (N, 28, 28) uint8, normalised glyphs
    labels: np.ndarray  # (N,) int64 in [0, 62)

    def __len__(self) -> int:
        return len(self.labels)


def _to_uint8(glyphs: np.ndarray) -> np.ndarray:
    return np.round(np.clip(glyphs, 0, 1) * 255).astype(np.uint8)


def parse_label_map(text: str | None) -> dict[int, int] | None:
    """"letters" or "SOURCE:TARGET,..." -> {source label: class}; None stays None."""
    if not text:
        return None
    if text in LABEL_MAP_PRESETS:
        return LABEL_MAP_PRESETS[text]
    try:
        pairs = [item.split(":") for item in text.split(",") if item.strip()]
        mapping = {int(source): int(target) for source, target in pairs}
    except ValueError:
        raise ValueError(f"--label-map {text!r}: expected a preset ({', '.join(LABEL_MAP_PRESETS)}) "
                         "or pairs like '0:10,1:11'") from None
    return mapping


def relabel(labels: np.ndarray, name: str, label_offset: int = 0,
            label_map: dict[int, int] | None = None) -> np.ndarray:
    """A source's labels in the 62-class set: mapped (when a map is given), then offset."""
    labels = np.asarray(labels, np.int64)
    if label_map is not None:
        unmapped = sorted(set(np.unique(labels).tolist()) - set(label_map))
        if unmapped:
            raise ValueError(f"{name}: labels {unmapped[:10]} are not in --label-map")
        labels = np.array([label_map[label] for label in labels.tolist()], np.int64)
    return labels + label_offset


def load_npz(path: str | Path, split: str, label_offset: int = 0,
             label_map: dict[int, int] | None = None) -> GlyphSet:
    with np.load(path) as archive:
        key = {"train": "train", "test": "test"}[split]
        if f"x_{key}" not in archive:
            raise KeyError(f"{path} has no x_{key} array (found {sorted(archive.files)})")
        raw, labels = archive[f"x_{key}"], relabel(archive[f"y_{key}"], str(path), label_offset, label_map)
    glyphs = normalize_batch(raw)
    return _checked(GlyphSet(_to_uint8(glyphs), labels), str(path))


def load_hf(spec: str, split: str, label_offset: int = 0, label_map: dict[int, int] | None = None,
            image_column: str = "image", label_column: str = "label") -> GlyphSet:
    import datasets  # lazy: npz-only training does not need it

    ds = datasets.load_dataset(spec, split=split)
    missing = [c for c in (image_column, label_column) if c not in ds.column_names]
    if missing:
        raise KeyError(f"dataset {spec} has no column(s) {missing}; it has {ds.column_names}")
    images, labels = [], []
    for row in ds:
        try:
            images.append(normalize_glyph(row[image_column]))
        except GlyphError:
            continue  # a blank image teaches nothing
        labels.append(int(row[label_column]))
    glyphs = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return _checked(GlyphSet(_to_uint8(glyphs), relabel(labels, spec, label_offset, label_map)), spec)


def load_source(spec: str, split: str, label_offset: int = 0, label_map: dict[int, int] | None = None) -> GlyphSet:
    if spec.endswith(".npz"):
        return load_npz(spec, split, label_offset, label_map)
    return load_hf(spec, split, label_offset, label_map)


def _checked(data: GlyphSet, name: str) -> GlyphSet:
    if len(data.labels) and (data.labels.min() < 0 or data.labels.max() >= NUM_CLASSES):
        raise ValueError(f"{name}: labels must fall in 0..61 after the offset/map, got "
                         f"{data.labels.min()}..{data.labels.max()}")
    keep = data.images.reshape(len(data), -1).max(1) > 0  # drop images that were blank
    return GlyphSet(data.images[keep], data.labels[keep])


def concat(sets: list[GlyphSet]) -> GlyphSet:
    return GlyphSet(np.concatenate([s.images for s in sets]), np.concatenate([s.labels for s in sets]))


def split_validation(data: GlyphSet, fraction: float, seed: int) -> tuple[GlyphSet, GlyphSet]:
    order = np.random.default_rng(seed).permutation(len(data))
    n_val = int(round(fraction * len(data)))
    val, train = order[:n_val], order[n_val:]
    return GlyphSet(data.images[train], data.labels[train]), GlyphSet(data.images[val], data.labels[val])


def train_tensors(specs: list[str]):
    """The train splits of `specs`, concatenated: (N, 28, 28) uint8 images and (N,) long labels
    as tensors, for the fine-tuning steps (train.tune_head, train.tune_decoder)."""
    import torch

    data = concat([load_source(spec, "train", 0) for spec in specs])
    return torch.from_numpy(data.images), torch.from_numpy(data.labels).long()
