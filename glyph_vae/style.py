"""`glyph_vae.style`, an import path the README or the published model cards give: glyph_vae.pipelines.style's
public names."""
from .pipelines.style import *  # noqa: F403
