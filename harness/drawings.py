"""Image files of characters drawn the way a user draws them on a canvas (glyph_vae.glyphs.strokes)."""
from __future__ import annotations

from pathlib import Path

from glyph_vae.testing.drawings import render_drawing


def drawing_files(folder: Path, characters: str, first_seed: int, *, canvas: int, brush: int) -> list[str]:
    """Each character drawn as a user draws it, saved as folder/<character>.png; the paths, in order."""
    paths = []
    for i, char in enumerate(characters):
        path = Path(folder) / f"{char}.png"
        render_drawing(char, first_seed + i, canvas=canvas, brush=brush).save(path)
        paths.append(str(path))
    return paths
