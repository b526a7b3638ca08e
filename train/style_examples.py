"""Write the style files of the app's example styles, beside their drawings:
assets/style_examples/<name>.json, read from assets/style_examples/<name>/*.png by the
bundled GlyphVAE (run it again whenever the bundled weights or the drawings change; a test
checks that the shipped files are what this makes).

    python -m train.style_examples
"""
from __future__ import annotations

from pathlib import Path

from glyph_vae.models.hub import ASSETS_DIR
from glyph_vae.testing.drawings import STYLE_EXAMPLES
from glyph_vae.pipelines.style_file import style_to_file
from glyph_vae.pipelines.writing import style_from_drawings

from .examples import CHARACTERS


def example_style_file(model, name: str, folder: Path = ASSETS_DIR / "style_examples") -> bytes:
    """The style file of one example style: its five drawings read by `model`, no slider moves."""
    # read as the Write tab reads them once they are in its ruled pads
    style, _ = style_from_drawings(model, [str(folder / name / f"{char}.png") for char in CHARACTERS],
                                   ruled=[True] * len(CHARACTERS))
    return style_to_file(style, model, name=name.capitalize())


def main(folder: Path = ASSETS_DIR / "style_examples") -> None:
    from glyph_vae.loading import load_models

    model = load_models({}).glyph_vae.model
    for name in STYLE_EXAMPLES:
        data = example_style_file(model, name, folder)
        (folder / f"{name}.json").write_bytes(data)
        print(f"{folder / f'{name}.json'}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
