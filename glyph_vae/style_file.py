"""`glyph_vae.style_file`, an import path the README or the published model cards give: glyph_vae.pipelines.style_file's
public names."""
from .pipelines.style_file import *  # noqa: F403
