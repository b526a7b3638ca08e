"""How well "Write like me" writes: readability, style transfer and Frechet distance.

    python -m bench.write_like_me [--model assets/glyph_vae] [--data-dir ../shared/data]

It measures the bundled GlyphVAE (assets/glyph_vae, which the app reads and writes
with) unless --model names another folder or Hub id.

Everything is judged by the independent classifier of `bench/char_classifier.py`
(trained if its weights are missing), on the EMNIST ByClass test split, and
written to the "Write like me" section of BENCHMARKS.md.

(a) Readability: is a generated glyph read as the character it was asked for
    (case-folded), as often as real test glyphs of the same characters are?
    With z from the prior, and with z inferred from ONE real test glyph of
    another character (EMNIST has no writer ids; a random glyph of another
    character is almost surely another writer's), and from 5-glyph prompt sets.
(b) Style transfer: prompt sets of 5 real glyphs, neutral and made narrow, wide,
    bold, light and italic (bench/style_transfer.py); the same characters drawn
    from each set's style; ratio = (change of the generated measure) / (change of
    the prompts' measure) relative to neutral, on width, stroke thickness, slant.
(c) Frechet distance between generated and real glyphs in the classifier's
    128-d feature space, with two disjoint halves of the real test set for scale.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from glyph_vae import GlyphVAE
from glyph_vae.glyphs.measures import measure_all
from glyph_vae.models.model import CHARSET
from glyph_vae.pipelines.style import draw_glyphs, infer_style, ink, prior_style, written_probabilities

from . import char_classifier as judge
from .report import Headline, machine, write_section
from .style_transfer import (NARROW, SHEAR, STYLE_MEASURE, STYLES, WIDE, relative_ratios, styled_prompts,
                             summarise_ratios)

NUM_CLASSES = len(CHARSET)
TARGET_RATIO = 0.85
TARGET_FD_FACTOR = 2.0  # generated sets within this many times the real-vs-real floor
TARGET_MERGED = 0.97


# -- data ----------------------------------------------------------------------
def load_test(data_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EMNIST ByClass test: (normalised glyphs (N, 28, 28) float, labels (N,), raw uint8 images (N, 28, 28)).

    The normalised glyphs come through train.data's loader, the app's one
    normalisation; the raw images are kept for the style transforms, which
    must come before the normalisation, as a user's drawing does.
    """
    from train.data import load_npz

    with np.load(data_dir / "emnist_byclass_test.npz") as archive:
        raw, raw_labels = archive["x_test"], archive["y_test"].astype(np.int64)
    data = load_npz(data_dir / "emnist_byclass_test.npz", "test")
    if len(data) != len(raw) or not np.array_equal(data.labels, raw_labels):
        raise RuntimeError("the loader dropped blank test images; raw and normalised sets no longer line up")
    return data.images.astype(np.float32) / 255.0, data.labels, raw


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Up to `per_class` random indices of each class, all classes present."""
    picks = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(NUM_CLASSES)]
    return np.concatenate(picks)


def disjoint_halves(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint index sets, each with up to `per_class` glyphs of every class (half of the class at most)."""
    a, b = [], []
    for c in range(NUM_CLASSES):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = min(per_class, len(idx) // 2)
        a.append(idx[:k])
        b.append(idx[k:2 * k])
    return np.concatenate(a), np.concatenate(b)


def class_balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Weights that give every class the same total weight (sum 1)."""
    counts = np.bincount(labels, minlength=NUM_CLASSES).astype(np.float64)
    present = (counts > 0).sum()
    return 1.0 / (counts[labels] * present)


# -- (a) readability ---------------------------------------------------------------
def reading_accuracy(targets: np.ndarray, predicted: np.ndarray) -> dict:
    """Class-balanced accuracies (mean over characters of each one's accuracy)."""
    targets, predicted = np.asarray(targets), np.asarray(predicted)
    chars = np.unique(targets)
    cf = judge.correct_casefolded(targets, predicted)
    merged = judge.correct_merged(targets, predicted)
    per_char_cf = np.array([cf[targets == c].mean() for c in chars])
    per_char_merged = np.array([merged[targets == c].mean() for c in chars])
    return {"n": len(targets), "chars": chars, "per_char_casefold": per_char_cf,
            "casefold": float(per_char_cf.mean()), "merged": float(per_char_merged.mean()),
            "exact": float(np.mean([(predicted[targets == c] == c).mean() for c in chars]))}


def generate_from_prior(model: GlyphVAE, per_char: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_char` glyphs of every character, z ~ N(0, I) (the app with no drawings, randomness 1)."""
    style = prior_style(model.config.latent_dim)
    glyphs = [draw_glyphs(model, ch * per_char, style, randomness=1.0, seed=seed + i) for i, ch in enumerate(CHARSET)]
    return np.concatenate(glyphs), np.repeat(np.arange(NUM_CLASSES), per_char)


def generate_from_one_glyph(model: GlyphVAE, glyphs: np.ndarray, labels: np.ndarray, per_char: int,
                            randomness: tuple[float, ...], seed: int
                            ) -> tuple[dict[float, np.ndarray], np.ndarray, np.ndarray]:
    """`per_char` glyphs of every character c, each drawn from the style of ONE real glyph of
    another character: infer_style on that glyph alone, then draw_glyphs.

    Each prompt glyph draws all 61 characters but its own in one call, which is
    61 times fewer model calls than one prompt per glyph and the same test: a
    character's glyphs still come from `per_char` different prompts, of every
    other character equally often (the prompts cycle through the 62 classes).
    Returns {randomness: glyphs (62 * per_char, 28, 28)}, the requested classes and
    each glyph's prompt class (to tell how often z carries the prompt's character along).
    """
    rng = np.random.default_rng(seed)
    rounds = -(-per_char // (NUM_CLASSES - 1))  # ceil: prompts per class so every character gets per_char
    prompt_classes = rng.permutation(np.tile(np.arange(NUM_CLASSES), rounds))
    drawn = {r: [[] for _ in range(NUM_CLASSES)] for r in randomness}
    sources = [[] for _ in range(NUM_CLASSES)]
    for k, other in enumerate(prompt_classes):
        prompt = glyphs[rng.choice(np.flatnonzero(labels == other))]
        style = infer_style(model, prompt[None])
        chars = CHARSET[:other] + CHARSET[other + 1:]
        for ch in chars:
            sources[CHARSET.index(ch)].append(other)
        for r in randomness:
            for ch, glyph in zip(chars, draw_glyphs(model, chars, style, randomness=r, seed=seed + k)):
                drawn[r][CHARSET.index(ch)].append(glyph)
    # Every character now has (rounds * 62 - rounds) glyphs from distinct prompts; keep per_char of them.
    keep = [rng.permutation(len(drawn[randomness[0]][c]))[:per_char] for c in range(NUM_CLASSES)]
    out = {r: np.concatenate([np.stack(drawn[r][c])[keep[c]] for c in range(NUM_CLASSES)]) for r in randomness}
    source = np.concatenate([np.asarray(sources[c])[keep[c]] for c in range(NUM_CLASSES)])
    return out, np.repeat(np.arange(NUM_CLASSES), per_char), source


# -- (b) style transfer ------------------------------------------------------------
def prompt_sets(labels: np.ndarray, sets: int, set_size: int, rng: np.random.Generator) -> np.ndarray:
    """(sets, set_size) test indices: each set holds glyphs of `set_size` different random characters."""
    by_class = [np.flatnonzero(labels == c) for c in range(NUM_CLASSES)]
    out = np.zeros((sets, set_size), np.int64)
    for s in range(sets):
        for k, c in enumerate(rng.choice(NUM_CLASSES, set_size, replace=False)):
            out[s, k] = rng.choice(by_class[c])
    return out


@torch.no_grad()
def style_transfer(model: GlyphVAE, raw: np.ndarray, labels: np.ndarray, index_sets: np.ndarray,
                   characters: str = CHARSET, seed: int = 0) -> dict:
    """Measure prompts and generated glyphs for every prompt set and style.

    Returns per style: "prompt" and "generated" dicts of (S,) set means of each
    measure, "redrawn" (each prompt's own character drawn from its own style,
    inferred from it alone: how much of the style survives the encoder and
    decoder, with no transfer to other characters involved), the generated
    glyphs' classes and the sets' generated glyphs (S, len(characters), 28, 28).
    """
    flat = np.unique(index_sets)
    where = {i: k for k, i in enumerate(flat)}
    pos = np.vectorize(where.get)(index_sets)
    targets = np.array([CHARSET.index(ch) for ch in characters])
    result = {}
    for style_name in STYLES:
        prompts_all = styled_prompts(raw[flat], style_name)
        prompt_m = {k: v[pos].mean(1) for k, v in measure_all(prompts_all).items()}  # (S,) per measure
        generated = np.zeros((len(index_sets), len(characters), 28, 28), np.float32)
        redrawn = np.zeros((len(index_sets), index_sets.shape[1], 28, 28), np.float32)
        for s, p in enumerate(pos):
            style = infer_style(model, prompts_all[p])
            # Randomness 0: the style's mean, so the set's style and nothing else decides the glyphs.
            generated[s] = draw_glyphs(model, characters, style, randomness=0.0, seed=seed)
            for k, (i, glyph) in enumerate(zip(index_sets[s], prompts_all[p])):
                redrawn[s, k] = draw_glyphs(model, CHARSET[labels[i]], infer_style(model, glyph[None]), 0.0, seed)[0]
        gen_m = measure_all(generated.reshape(-1, 28, 28))
        red_m = measure_all(redrawn.reshape(-1, 28, 28))
        result[style_name] = {
            "prompt": prompt_m,
            "generated": {k: v.reshape(len(index_sets), -1).mean(1) for k, v in gen_m.items()},
            "redrawn": {k: v.reshape(len(index_sets), -1).mean(1) for k, v in red_m.items()},
            "glyphs": generated, "targets": np.tile(targets, len(index_sets)),
        }
    return result


def transfer_summary(result: dict) -> dict[str, dict]:
    """Ratios per style on its own measure (median, mean, pooled), for generated and redrawn
    glyphs, and the median ratio of relative (log) changes for the scale measures."""
    out = {}
    for style_name, measure in STYLE_MEASURE.items():
        neutral, styled = result["neutral"], result[style_name]
        d_prompt = styled["prompt"][measure] - neutral["prompt"][measure]
        relative = None
        if measure != "slant":
            relative = float(np.nanmedian(relative_ratios(neutral["prompt"][measure], styled["prompt"][measure],
                                                          neutral["generated"][measure], styled["generated"][measure])))
        out[style_name] = {
            "measure": measure,
            "generated": summarise_ratios(d_prompt, styled["generated"][measure] - neutral["generated"][measure]),
            "redrawn": summarise_ratios(d_prompt, styled["redrawn"][measure] - neutral["redrawn"][measure]),
            "relative": relative,
        }
    return out


# -- (c) Frechet distance ----------------------------------------------------------
def _moments(features: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, np.float64)
    w = np.full(len(f), 1.0 / len(f)) if weights is None else np.asarray(weights, np.float64) / np.sum(weights)
    mean = w @ f
    centred = f - mean
    return mean, (centred * w[:, None]).T @ centred


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray,
                     weights_a: np.ndarray | None = None, weights_b: np.ndarray | None = None) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (optionally weighted):
    |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2).

    Symmetric eigendecompositions throughout, so no complex square roots.
    """
    mu_a, cov_a = _moments(features_a, weights_a)
    mu_b, cov_b = _moments(features_b, weights_b)
    vals, vecs = np.linalg.eigh(cov_a)
    root_a = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


# -- report ------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{x:.1%}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _worst(acc: dict, real: dict, k: int = 8) -> str:
    gap = acc["per_char_casefold"] - real["per_char_casefold"]
    order = np.argsort(gap)[:k]
    return ", ".join(f"{CHARSET[acc['chars'][i]]} {acc['per_char_casefold'][i]:.0%} (real {real['per_char_casefold'][i]:.0%})"
                     for i in order if gap[i] < 0)


def headline(fig: dict) -> list[Headline]:
    """The weakest generated condition against each reading target, and each style's transfer ratio."""
    real, conditions = fig["real"], fig["conditions"]
    fd_target = TARGET_FD_FACTOR * fig["fd"]["real (other half)"]
    low = min(conditions, key=lambda name: conditions[name]["casefold"])
    low_merged = min(conditions, key=lambda name: conditions[name]["merged"])
    far = max(conditions, key=lambda name: fig["fd"].get(name, float("inf")))
    far_fd = fig["fd"].get(far, float("inf"))
    rows = [Headline(f"written glyphs read as asked, case-folded (lowest condition: {low})",
                     _pct(conditions[low]["casefold"]), f">= real glyphs' {_pct(real['casefold'])}",
                     conditions[low]["casefold"] >= real["casefold"]),
            Headline(f"written glyphs read as asked, {{0,O,o}} {{1,I,l}} merged (lowest: {low_merged})",
                     _pct(conditions[low_merged]["merged"]), f">= {TARGET_MERGED:.0%}",
                     conditions[low_merged]["merged"] >= TARGET_MERGED),
            Headline(f"Frechet distance of written glyphs to real (farthest: {far})", f"{far_fd:.1f}",
                     f"<= {fd_target:.1f} ({TARGET_FD_FACTOR:g}x the real floor)", far_fd <= fd_target)]
    rows += [Headline(f"style transfer ratio, {style_name} ({s['measure']}), median over sets",
                      f"{s['generated']['median']:.2f}", f">= {TARGET_RATIO}", s["generated"]["median"] >= TARGET_RATIO)
             for style_name, s in fig["ratios"].items()]
    return rows


def render_report(args, model: GlyphVAE, fig: dict) -> str:
    real = fig["real"]
    c = model.config
    fd_target = TARGET_FD_FACTOR * fig["fd"]["real (other half)"]
    rows = []
    for name, acc in fig["conditions"].items():
        diff = acc["casefold"] - real["casefold"]
        as_prompt = "" if acc.get("as_prompt") is None else _pct(acc["as_prompt"])
        rows.append(f"| {name} | {acc['n']:,} | {_pct(acc['casefold'])} ({diff * 100:+.1f} pts: {_met(diff >= 0)}) "
                    f"| {_pct(acc['merged'])} ({_met(acc['merged'] >= TARGET_MERGED)}) | {_pct(acc['exact'])} "
                    f"| {as_prompt} | {fig['fd'].get(name, float('nan')):.1f} "
                    f"({_met(fig['fd'].get(name, float('inf')) <= fd_target)}) |")
    below = "\n".join(f"- {name}: {_worst(acc, real) or 'none'}" for name, acc in fig["conditions"].items())

    ratio_rows = []
    for style_name, s in fig["ratios"].items():
        g, r = s["generated"], s["redrawn"]
        relative = "" if s["relative"] is None else f"{s['relative']:.2f}"
        ratio_rows.append(f"| {style_name} | {s['measure']} | {g['median']:.2f} ({_met(g['median'] >= TARGET_RATIO)}) "
                          f"| {g['mean']:.2f} | {g['pooled']:.2f} | {relative} | {r['median']:.2f} "
                          f"| {_pct(fig['style_acc'][style_name])} |")
    abs_rows = []
    for style_name in STYLES:
        st = fig["transfer"][style_name]
        cells = " | ".join(f"{st['prompt'][m].mean():.2f} / {st['generated'][m].mean():.2f}"
                           for m in ("width", "height", "stroke_thickness", "slant"))
        abs_rows.append(f"| {style_name} | {cells} |")

    return f"""## Write like me (`python -m bench.write_like_me`)

Machine: {machine()}. Model: `{args.model or 'assets/glyph_vae'}` (the one the app writes with; channels {c.channels},
hidden {c.hidden}, latent {c.latent_dim}, encoder_sees_class {c.encoder_sees_class}, decoder_hidden {c.decoder_hidden}).
Glyphs as `draw_glyphs` returns them (inked). Judge: the independent character CNN of "Character classifier" (not GlyphVAE's head).
Real glyphs: EMNIST ByClass test, up to {args.real_per_class} per character ({real['n']:,} glyphs). Generated:
{args.per_char} glyphs per character and condition ({NUM_CLASSES * args.per_char:,}). Accuracies are class-balanced (the mean over
the 62 characters of each one's accuracy). "One glyph of another character": random test glyphs, the same number
of every character, each one's style inferred alone (`infer_style` on that one glyph) and used to draw the 61 other
characters (`draw_glyphs`); every character keeps {args.per_char} glyphs, each from a different prompt. EMNIST has no
writer ids, so "another writer" means another random test glyph. Seed {args.seed}; the whole benchmark took {fig['seconds']:.0f} s.

### Read as the character asked for (targets: case-folded >= real glyphs; merged >= 97%; Frechet distance <= {TARGET_FD_FACTOR:g}x the real floor, {fd_target:.1f})

| glyphs | n | case-folded | {{0,O,o}}, {{1,I,l}} merged | exact (62-way) | read as the prompt's character instead | Frechet distance to real |
| --- | --- | --- | --- | --- | --- | --- |
| real test glyphs | {real['n']:,} | {_pct(real['casefold'])} | {_pct(real['merged'])} | {_pct(real['exact'])} | | {fig['fd']['real (other half)']:.1f} (the other half) |
{chr(10).join(rows)}

The judge checked: it reads the real glyphs above inked by `glyph_vae.pipelines.style.ink` (the look of generated glyphs) at
{_pct(fig['checks']['real_inked'])} case-folded (plain: {_pct(real['casefold'])}), and GlyphVAE's reading checkpoint
(`assets/glyph_vae`), a second opinion, reads the prior glyphs at {_pct(fig['checks']['prior_by_reader'])} (judge:
{_pct(fig['conditions']['prior z, randomness 1']['casefold'])}).

Frechet distance: in the judge's 128-d feature layer, each set against one half of the real test glyphs
({fig['fd_n'][0]:,} glyphs, up to {args.fd_per_class} per character, weighted so every character counts the same);
"real" is the disjoint other half ({fig['fd_n'][1]:,}), the floor for sets of this size. What bounds it whatever the
style, on that other half:

| the other half's real glyphs | Frechet distance to real |
| --- | --- |
{chr(10).join(f"| {name} | {value:.1f} |" for name, value in fig["fd_bounds"].items())}

Characters generated less readably than real ones (generated vs real, case-folded; worst first):
{below}

### Style transfer (target: ratio >= {TARGET_RATIO} for every style)

{args.sets} prompt sets of 5 real test glyphs of 5 different random characters; each style is the same 5 glyphs
changed before the normalisation (narrow: width x{NARROW}, wide: x{WIDE}, bold: 3x3 grey dilation, light: plus-shaped
grey erosion, italic: shear {SHEAR}, top to the right; `bench/style_transfer.py`), then normalised as a drawing is.
From each set, `infer_style` of the 5 and all 62 characters drawn at randomness 0. Ratio per set =
(generated mean - neutral set's generated mean) / (prompts' mean - neutral prompts' mean) on the style's measure
(`glyph_vae/glyphs/measures.py`); "pooled" = sum of generated changes / sum of prompt changes; "relative" = median of
log(generated styled / neutral) / log(prompts styled / neutral), the same question asked of proportions (it does not
count against the writer that its glyphs are smaller than the prompts to begin with). "Redrawn": each prompt's own
character drawn from its own style, inferred from it alone: how much of the style survives the encoder and decoder at
all, with no carrying over to other characters.

| style | measure | ratio, median over sets | mean | pooled | relative, median | redrawn, median | generated read right (case-folded, first {fig['style_acc_glyphs']:,}) |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(ratio_rows)}

Mean measures, prompts / generated (pixels of the 28x28 normalised glyph; slant = dx/dy of the ink, right-leaning > 0):

| style | width | height | stroke thickness | slant |
| --- | --- | --- | --- | --- |
{chr(10).join(abs_rows)}
"""


def run(args, model: GlyphVAE) -> dict:
    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    classifier = judge.load(args.data_dir)
    glyphs, labels, raw = load_test(args.data_dir)

    fig: dict = {"conditions": {}, "fd": {}}
    real_idx = balanced_indices(labels, args.real_per_class, rng)
    real_pred, _ = judge.predict(classifier, glyphs[real_idx])
    fig["real"] = reading_accuracy(labels[real_idx], real_pred)

    # Frechet reference: two disjoint class-balanced halves of the real test set.
    half_a, half_b = disjoint_halves(labels, args.fd_per_class, rng)
    _, feat_a = judge.predict(classifier, glyphs[half_a])
    _, feat_b = judge.predict(classifier, glyphs[half_b])
    w_a, w_b = class_balanced_weights(labels[half_a]), class_balanced_weights(labels[half_b])
    fig["fd"]["real (other half)"] = frechet_distance(feat_b, feat_a, w_b, w_a)
    fig["fd_n"] = (len(half_a), len(half_b))
    # What bounds the distance whatever the style: the other half's real glyphs inked as written
    # glyphs are, and each of them redrawn by the decoder from its own posterior (the best any
    # style inference could ask of this decoder), as written.
    with torch.no_grad():
        y_b = torch.from_numpy(labels[half_b])
        _, mu_b, _ = model.encode(torch.from_numpy(glyphs[half_b])[:, None], y_b)
    redrawn = written_probabilities(model, y_b, mu_b)
    fig["fd_bounds"] = {}
    for name, images in (("real glyphs, inked as written glyphs are", ink(glyphs[half_b])),
                         ("real glyphs redrawn from their own posterior, as written", ink(redrawn))):
        fig["fd_bounds"][name] = frechet_distance(judge.predict(classifier, images)[1], feat_a, w_b, w_a)

    def judge_set(name: str, gen: np.ndarray, targets: np.ndarray, sources: np.ndarray | None = None) -> None:
        pred, feats = judge.predict(classifier, gen)
        fig["conditions"][name] = reading_accuracy(targets, pred)
        # How often the glyph reads as the prompt's character instead: the share of
        # the prompt's identity that z carries into a character it was not asked for.
        fig["conditions"][name]["as_prompt"] = (
            float(judge.correct_casefolded(sources, pred)[~judge.correct_casefolded(sources, targets)].mean())
            if sources is not None else None)
        fig["fd"][name] = frechet_distance(feats, feat_a, None, w_a)
        print(f"{name}: case-folded {fig['conditions'][name]['casefold']:.3f}, "
              f"merged {fig['conditions'][name]['merged']:.3f}, FD {fig['fd'][name]:.1f}", flush=True)

    gen, targets = generate_from_prior(model, args.per_char, args.seed)
    judge_set("prior z, randomness 1", gen, targets)
    # Is the judge fair to generated glyphs? Their inked look on real glyphs, and a second reader.
    inked_pred, _ = judge.predict(classifier, ink(glyphs[real_idx]))
    with torch.no_grad():
        reader = GlyphVAE.from_pretrained().eval()
        reader_pred = np.concatenate([reader.classify(torch.from_numpy(gen[i:i + 2048])[:, None]).argmax(1).numpy()
                                      for i in range(0, len(gen), 2048)])
    fig["checks"] = {"real_inked": reading_accuracy(labels[real_idx], inked_pred)["casefold"],
                     "prior_by_reader": reading_accuracy(targets, reader_pred)["casefold"]}
    by_r, targets, sources = generate_from_one_glyph(model, glyphs, labels, args.per_char, (0.0, 1.0), args.seed)
    judge_set("z from one glyph of another character, randomness 0", by_r[0.0], targets, sources)
    judge_set("z from one glyph of another character, randomness 1", by_r[1.0], targets, sources)

    sets = prompt_sets(labels, args.sets, 5, rng)
    transfer = style_transfer(model, raw, labels, sets, seed=args.seed)
    fig["transfer"] = transfer
    fig["ratios"] = transfer_summary(transfer)
    fig["style_acc"] = {}
    read_sets = min(args.sets, 50)  # readability per style from the first 50 sets: plenty, and 4x faster
    fig["style_acc_glyphs"] = read_sets * NUM_CLASSES
    for style_name in STYLES:
        pred, _ = judge.predict(classifier, transfer[style_name]["glyphs"][:read_sets].reshape(-1, 28, 28))
        targets = transfer[style_name]["targets"][:read_sets * NUM_CLASSES]
        fig["style_acc"][style_name] = reading_accuracy(targets, pred)["casefold"]
    neutral = transfer["neutral"]
    judge_set("z from 5 glyphs (neutral prompt sets), randomness 0", neutral["glyphs"].reshape(-1, 28, 28),
              neutral["targets"])
    for style_name, s in fig["ratios"].items():
        print(f"{style_name}: ratio median {s['generated']['median']:.2f}, pooled {s['generated']['pooled']:.2f}, "
              f"redrawn {s['redrawn']['median']:.2f}", flush=True)
    fig["seconds"] = time.time() - t0
    return fig


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None,
                   help="GlyphVAE folder or Hub id to write with (default: the bundled assets/glyph_vae)")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    p.add_argument("--per-char", type=int, default=100, help="generated glyphs per character and condition")
    p.add_argument("--real-per-class", type=int, default=200)
    p.add_argument("--fd-per-class", type=int, default=100, help="real glyphs per character in each Frechet half")
    p.add_argument("--sets", type=int, default=200, help="style-transfer prompt sets")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads; the model calls are single glyphs or small batches, which a second thread "
                        "does not speed up and which stall when another job shares the cores")
    p.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = GlyphVAE.from_pretrained(args.model).eval()
    fig = run(args, model)
    body = render_report(args, model, fig)
    if not args.no_write:
        write_section("write_like_me", body, headline(fig))
    print(body)
    return fig


if __name__ == "__main__":
    main()
