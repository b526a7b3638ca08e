"""`glyph_vae.font`, an import path the README or the published model cards give: glyph_vae.export.font's
public names."""
from .export.font import *  # noqa: F403
