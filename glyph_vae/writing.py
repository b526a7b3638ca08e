"""`glyph_vae.writing`, an import path the README or the published model cards give: glyph_vae.pipelines.writing's
public names."""
from .pipelines.writing import *  # noqa: F403
