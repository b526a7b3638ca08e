"""`glyph_vae.muddle`, an import path the README or the published model cards give: glyph_vae.models.muddle's
public names."""
from .models.muddle import *  # noqa: F403
