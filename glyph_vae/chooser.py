"""`glyph_vae.chooser`, an import path the README or the published model cards give: glyph_vae.models.chooser's
public names."""
from .models.chooser import *  # noqa: F403
