"""Confuse this digit: the muddle autoencoder, its stored centroids, and the muddle search."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from glyph_vae.confuse import (CriterionError, far_from_both, is_between, make_confuser, mutual_information,
                               nearest_other_centroid, reads_as_pair)
from glyph_vae.errors import UserInputError
from glyph_vae.hub import ASSETS_DIR
from glyph_vae.muddle import MuddleAutoencoder, MuddleConfig
from glyph_vae.strokes import render_drawing
from glyph_vae.preprocess import normalize_glyph


@pytest.fixture(scope="module")
def confuser():
    pool = np.load(ASSETS_DIR / "muddle" / "test_digits.npz")
    return make_confuser(pool["images"], pool["labels"])


def test_architecture_four_conv_blocks_and_a_10d_latent():
    model = MuddleAutoencoder()
    convs = [m for m in model.encoder if isinstance(m, torch.nn.Conv2d)]
    deconvs = [m for m in model.decoder if isinstance(m, torch.nn.ConvTranspose2d)]
    assert len(convs) == 4 and len(deconvs) == 4
    z = model.encode(torch.rand(3, 1, 28, 28))
    assert z.shape == (3, 10)
    assert model.decode(z).shape == (3, 1, 28, 28)


def test_centroids_are_computed_once_saved_and_loaded(tmp_path):
    torch.manual_seed(0)
    model = MuddleAutoencoder(MuddleConfig(channels=4))
    x, y = torch.rand(50, 1, 28, 28), torch.arange(50) % 10
    model.fit_centroids(x, y)
    z = model.encode(x).detach()
    assert torch.allclose(model.centroids[3], z[y == 3].mean(0), atol=1e-5)
    model.save_pretrained(tmp_path)
    loaded = MuddleAutoencoder.from_pretrained(tmp_path)
    assert torch.equal(loaded.centroids, model.centroids)
    assert torch.equal(loaded.map_axes, model.map_axes)


def test_bundled_model_has_distinct_centroids():
    centroids = MuddleAutoencoder.from_pretrained().centroids
    assert centroids.shape == (10, 10)
    distances = torch.cdist(centroids, centroids) + torch.eye(10) * 1e9
    assert distances.min() > 1e-3  # computed at training time, not zeros


def test_nearest_other_class_rule():
    centroids = np.array([[0.0, 0], [1, 0], [5, 5], [0.2, 0.1]])
    # z sits on centroid 0: the nearest *other* class is 3, not 0 itself
    assert nearest_other_centroid(np.array([0.0, 0]), centroids, digit=0) == 3
    assert nearest_other_centroid(np.array([0.9, 0]), centroids, digit=1) == 3
    assert nearest_other_centroid(np.array([4.0, 4]), centroids, digit=2) == 1


def test_is_between():
    p = np.zeros(10)
    p[3], p[5], p[8] = 0.48, 0.47, 0.05
    assert is_between(p, 3, 5) and not is_between(p, 3, 8)
    p[3], p[5] = 0.75, 0.2
    assert not is_between(p, 3, 5)


def test_same_seed_same_muddle_and_partner_is_nearest_centroid(confuser):
    a = confuser.confuse(4, seed=7)
    b = confuser.confuse(4, seed=7)
    assert np.array_equal(a.muddle.image, b.muddle.image) and a.partner == b.partner
    assert a.partner != 4
    assert a.partner == nearest_other_centroid(a.z_a, confuser.centroids, 4)
    assert len(a.path) >= 15
    other = confuser.confuse(4, seed=8)
    assert not np.array_equal(other.a, a.a)


def test_muddles_are_read_as_the_pair_by_every_scorer_that_chose_them(confuser):
    results = [confuser.confuse(d, seed=s) for d in range(10) for s in range(3)]
    assert all(len(r.muddle.each) == 5 for r in results)  # the app's five scorers

    def score(f, r):
        return abs(f.probs[r.digit] - f.probs[r.partner]) + 0.5 * mutual_information(f.each)

    for r in results:
        frames = r.path + r.extra_frames + r.off_line_frames
        assert any(r.muddle is f for f in frames)  # a frame of the path, found by bisecting it, or off it
        readable = [f for f in frames if all(reads_as_pair(p, r.digit, r.partner) for p in f.each)]
        if readable:  # when every scorer reads some frame as a d or an e, the muddle is the most even of them
            assert any(r.muddle is f for f in readable)
            assert score(r.muddle, r) == min(score(f, r) for f in readable)
    assert np.mean([r.good for r in results]) >= 0.6
    assert any(r.off_line for r in results)


def test_the_search_off_the_path_stays_where_real_codes_live(confuser):
    density = confuser.density
    results = [confuser.confuse(d, seed=s) for d in range(10) for s in range(2)]
    for r in results:
        for f in r.off_line_frames:  # each candidate: as dense as 90% of real codes, or as where it started
            start = (1 - f.weight) * r.z_a + f.weight * r.z_b
            floor = min(density.floor, density.log_density(start[None])[0])
            assert f.z is not None and density.log_density(f.z[None])[0] >= floor - 1e-9
        if r.off_line:
            assert any(r.muddle is f for f in r.off_line_frames) and r.summary()["off_line"]
    assert any(r.off_line for r in results)
    # a point far from every code is not where real digits live; 90% of the codes themselves are
    assert not density.real(density.codes[:1] + 50 * density.spread)[0]
    assert density.real(density.codes).mean() >= 0.9 - 1e-9


def test_without_the_search_off_the_path_the_muddle_is_on_it():
    pool = np.load(ASSETS_DIR / "muddle" / "test_digits.npz")
    on_path = make_confuser(pool["images"], pool["labels"])
    on_path.off_line = 0
    for d in range(10):
        r = on_path.confuse(d, seed=5)
        assert not r.off_line and not r.off_line_frames and r.muddle.z is None


def test_a_drawn_digit_is_the_starting_point(confuser):
    glyph = normalize_glyph(render_drawing("7", seed=3, canvas=300, brush=22))
    result = confuser.confuse(7, seed=1, drawing=glyph)
    assert np.array_equal(result.a, glyph)
    assert result.partner != 7


def test_digit_outside_0_9_is_refused(confuser):
    with pytest.raises(ValueError, match="0-9"):
        confuser.confuse(12, seed=0)


def test_bundled_digit_classifier_reads_the_pool():
    from glyph_vae.digits import DigitClassifier

    pool = np.load(ASSETS_DIR / "muddle" / "test_digits.npz")
    model = DigitClassifier.from_pretrained()
    probs = model.probabilities(torch.from_numpy(pool["images"]).float().div(255).unsqueeze(1))
    assert (probs.argmax(1).numpy() == pool["labels"]).mean() > 0.97


def test_far_from_both_picks_the_frame_farthest_from_a_and_b():
    a = np.zeros((28, 28))
    a[4:24, 6:10] = 1.0  # a bar on the left
    b = np.zeros((28, 28))
    b[4:24, 18:22] = 1.0  # and one on the right
    w = np.linspace(0, 1, 9)
    path = [(1 - t) * a + t * b for t in w]
    across = np.zeros((28, 28))
    across[12:16, 4:24] = 1.0  # a bar across: ink where neither a nor b has any
    path[6] = across
    assert far_from_both(np.stack(path), a, b) == 6
    # on a plain pixel blend of two disjoint strokes, d(t) = (t^2 + (1-t)^2) mse(a, b) is least at
    # the midpoint: the criterion means something only on a decoded path, whose endpoints are a and b
    blend = np.stack([(1 - t) * a + t * b for t in w])
    assert far_from_both(blend, a, b) == 0
    distances = [((f - a) ** 2).mean() + ((f - b) ** 2).mean() for f in blend]
    assert far_from_both(blend, a, b) == int(np.argmax(distances))


def test_the_far_from_both_criterion_chooses_from_the_same_path(confuser):
    balanced = confuser.confuse(6, seed=3)
    far = confuser.confuse(6, seed=3, criterion="far_from_both")
    assert far.partner == balanced.partner and np.array_equal(far.a, balanced.a) and np.array_equal(far.b, balanced.b)
    assert any(far.muddle is f for f in far.path) and not far.extra_frames and not far.refined
    distances = [((f.image - far.a) ** 2).mean() + ((f.image - far.b) ** 2).mean() for f in far.path]
    assert far.muddle is far.path[int(np.argmax(distances))]
    again = confuser.confuse(6, seed=3, criterion="far_from_both")
    assert np.array_equal(again.muddle.image, far.muddle.image)  # the same seed, the same muddle
    assert far.summary()["criterion"] == "far_from_both" and balanced.summary()["criterion"] == "balance"


def test_an_unknown_criterion_is_the_users_error(confuser):
    with pytest.raises(CriterionError, match="balance, far_from_both") as caught:
        confuser.confuse(3, seed=0, criterion="farthest")
    assert isinstance(caught.value, UserInputError)
