"""Files as the app receives uploads: copied into Gradio's upload folder, as Gradio does.

The app's handlers take a picture or a style file only as an upload (glyph_vae.ui.inputs);
in-process tests and benchmarks that call the handlers directly hand them files this way."""
from __future__ import annotations

import os

from gradio.processing_utils import save_file_to_cache
from gradio.utils import get_upload_folder


def uploaded(path: str | os.PathLike) -> str:
    """The path of an upload of the file at `path` (Gradio's own copy in its upload folder)."""
    return save_file_to_cache(path, cache_dir=get_upload_folder())


def all_uploaded(paths) -> list[str]:
    return [uploaded(p) for p in paths]
