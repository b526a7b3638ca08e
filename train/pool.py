"""Bundle a pool of real test digits for the app's "Confuse this digit" tab.

    python -m train.pool --data ../shared/data/mnist.npz --out assets/muddle/test_digits.npz

The app picks its random digit images from this pool (normalised MNIST test
images, `--per-digit` of each), so it needs no data set at run time.
"""
from __future__ import annotations

import argparse

import numpy as np

from .data import load_npz


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="../shared/data/mnist.npz")
    p.add_argument("--out", default="assets/muddle/test_digits.npz")
    p.add_argument("--per-digit", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    test = load_npz(args.data, "test")
    rng = np.random.default_rng(args.seed)
    keep = np.concatenate([rng.choice(np.flatnonzero(test.labels == d), args.per_digit, replace=False)
                           for d in range(10)])
    np.savez_compressed(args.out, images=test.images[keep], labels=test.labels[keep].astype(np.uint8))
    print(f"wrote {len(keep)} digits to {args.out}")


if __name__ == "__main__":
    main()
