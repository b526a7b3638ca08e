"""`glyph_vae.digits`, an import path the README or the published model cards give: glyph_vae.models.digits's
public names."""
from .models.digits import *  # noqa: F403
