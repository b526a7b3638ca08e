"""Fit the reader of ruled drawings (`glyph_vae.pipelines.ruled.RuledReader`) to a GlyphVAE's shape reader.

    python -m train.ruled assets/glyph_vae --per-char 120 --val-per-char 30 --cache /tmp/ruled.npz

Drawings of all 62 characters are made on the lines (`glyph_vae.testing.ruled_drawings.ruled_drawing`, seeds of
their own: never `glyph_vae.testing.ruled_drawings.TEST_SEED`), each turned into what the app sees of it (the
normalised glyph and the ink's geometry against the guides). The combiner is trained on the
first set by cross-entropy with weight decay (its geometry MLP is small, and the drawings are
many), then its temperature alone is fitted on the second set (Guo et al. 2017), whose
accuracy and expected calibration error are printed and recorded. The weights go beside the
model as ruled.safetensors, with a fingerprint of the reader they were fitted to; the step is
recorded in the model's training.json.

`--cache` keeps the drawings' glyphs and geometry, so that fitting again to a retrained reader
does not draw them again.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from glyph_vae.models.model import CHARSET, GlyphVAE
from glyph_vae.glyphs.preprocess import ink_map, normalize_ink
from glyph_vae.pipelines.ruled import RULED_NAME, RuledReader, expected_calibration_error, measure, reader_fingerprint, shape_log_probs
from glyph_vae.testing.ruled_drawings import TEST_SEED, ruled_drawing

from .fine_tune import record_step
from .records import this_command


def drawings(per_char: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(glyphs (N, 28, 28), geometry (N, features), labels (N,)) of per_char ruled drawings of each
    character; drawings too small or blank (none are made so) are skipped."""
    if seed == TEST_SEED:
        raise SystemExit(f"seed {TEST_SEED} is the ruled test set's: train with another")
    glyphs, features, labels = [], [], []
    for label, char in enumerate(CHARSET):
        for i in range(per_char):
            ink = ink_map(ruled_drawing(char, seed * 100_003 + i * 131 + ord(char)))
            glyphs.append(normalize_ink(ink))
            features.append(measure(ink).vector())
            labels.append(label)
    return np.stack(glyphs), np.stack(features), np.array(labels)


def fit(model: GlyphVAE, train: tuple, val: tuple, *, epochs: int = 300, hidden: int = 48,
        weight_decay: float = 1e-3, seed: int = 0) -> tuple[RuledReader, dict]:
    torch.manual_seed(seed)
    reader = RuledReader(hidden=hidden)

    def inputs(part):
        glyphs, features, labels = part
        x = torch.from_numpy(glyphs).float().unsqueeze(1)
        logp = torch.cat([shape_log_probs(model, x[i:i + 2048]) for i in range(0, len(x), 2048)])
        return logp, torch.from_numpy(features).float(), torch.from_numpy(labels).long()

    (logp, feats, y), (vlogp, vfeats, vy) = inputs(train), inputs(val)
    reader.feature_mean.copy_(feats.mean(0))
    reader.feature_std.copy_(feats.std(0).clamp(min=1e-3))
    params = [reader.shape_weight, *reader.geometry.parameters()]
    optimizer = torch.optim.AdamW(params, lr=1e-2, weight_decay=weight_decay)
    for _ in range(epochs):  # full batch: a few thousand rows of 62 + 9 numbers
        loss = F.cross_entropy(reader(logp, feats), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # The temperature alone, on the held-out drawings (a 1-d search is enough and cannot overfit).
    with torch.no_grad():
        raw = reader(vlogp, vfeats)
        temps = torch.exp(torch.linspace(-1.5, 1.5, 301))
        nll = torch.stack([F.cross_entropy(raw / t, vy) for t in temps])
        reader.temperature.fill_(float(temps[nll.argmin()]))
        probs = reader(vlogp, vfeats).softmax(1).numpy()
        shape_probs = vlogp.exp().numpy()
    figures = {"train_accuracy": float((reader(logp, feats).argmax(1) == y).float().mean()),
               "val_accuracy": float((probs.argmax(1) == vy.numpy()).mean()),
               "val_shape_only_accuracy": float((shape_probs.argmax(1) == vy.numpy()).mean()),
               "val_ece": expected_calibration_error(probs, vy.numpy()),
               "temperature": float(reader.temperature), "shape_weight": float(reader.shape_weight.detach())}
    return reader.eval(), figures


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(prog="python -m train.ruled", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="GlyphVAE folder; ruled.safetensors is written into it")
    p.add_argument("--per-char", type=int, default=120, help="training drawings of each character")
    p.add_argument("--val-per-char", type=int, default=30, help="held-out drawings of each character")
    p.add_argument("--seed", type=int, default=11, help="the training drawings' seed (the held-out ones: +1)")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--hidden", type=int, default=48)
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--cache", default=None, help=".npz keeping the drawings' glyphs and geometry")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    folder = Path(args.model)
    model = GlyphVAE.from_pretrained(folder)
    started = time.perf_counter()
    cache = Path(args.cache) if args.cache else None
    key = {"per_char": args.per_char, "val_per_char": args.val_per_char, "seed": args.seed}
    if cache and cache.is_file():
        with np.load(cache) as saved:
            if json.loads(str(saved["key"])) != key:
                raise SystemExit(f"{cache} holds other drawings ({saved['key']}); give another --cache")
            train = (saved["train_glyphs"], saved["train_features"], saved["train_labels"])
            val = (saved["val_glyphs"], saved["val_features"], saved["val_labels"])
    else:
        train, val = drawings(args.per_char, args.seed), drawings(args.val_per_char, args.seed + 1)
        if cache:
            np.savez_compressed(cache, key=json.dumps(key), train_glyphs=train[0], train_features=train[1],
                                train_labels=train[2], val_glyphs=val[0], val_features=val[1], val_labels=val[2])
    reader, figures = fit(model, train, val, epochs=args.epochs, hidden=args.hidden,
                          weight_decay=args.weight_decay)
    state = {k: v.detach().contiguous() for k, v in reader.state_dict().items()}
    save_file(state, str(folder / RULED_NAME), metadata={"hidden": str(args.hidden),
                                                          "reader": reader_fingerprint(model)})
    model.files[RULED_NAME] = (folder / RULED_NAME).read_bytes()
    record_step(model, {"step": "ruled", "command": this_command("python -m train.ruled", argv),
                        **key, "seconds": round(time.perf_counter() - started), **{
                            k: round(v, 4) for k, v in figures.items()}}, weights_changed=False)
    from glyph_vae.models.hub import TRAINING_RECORD
    (folder / TRAINING_RECORD).write_bytes(model.files[TRAINING_RECORD])
    print(json.dumps(figures, indent=2))
    return folder


if __name__ == "__main__":
    main()
