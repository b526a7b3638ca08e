"""Write the app's one-click style examples: five drawings per style in assets/style_examples/,
written on the lines of the Write tab's ruled pads (`glyph_vae.testing.ruled_drawings.ruled_style_example`).

    python -m train.examples
"""
from __future__ import annotations

from pathlib import Path

from glyph_vae.models.hub import ASSETS_DIR
from glyph_vae.testing.ruled_drawings import ruled_style_example
from glyph_vae.testing.drawings import STYLE_EXAMPLES

CHARACTERS = "AGK47"  # straight and round strokes, letters and digits


def main(out: Path = ASSETS_DIR / "style_examples") -> None:
    for style in STYLE_EXAMPLES:
        folder = out / style
        folder.mkdir(parents=True, exist_ok=True)
        for i, char in enumerate(CHARACTERS):
            ruled_style_example(style, char, 500 + i).convert("L").save(folder / f"{char}.png", optimize=True)


if __name__ == "__main__":
    main()
