"""GlyphVAE: read handwritten characters and write like their writer."""
from .errors import (BlankDrawingError, GlyphError, UnreadableImageError, UnsupportedCharactersError,
                     UserInputError)
from .models.hub import ModelLoadError, bundled_path
from .models.model import CHARSET, GlyphVAE, GlyphVAEConfig, glyph_vae_loss
from .glyphs.preprocess import normalize_glyph
from .pipelines.reading import Reading, read, read_glyphs
from .version import __version__

__all__ = [
    "CHARSET", "GlyphVAE", "GlyphVAEConfig", "glyph_vae_loss", "ModelLoadError", "bundled_path",
    "UserInputError", "BlankDrawingError", "GlyphError", "UnreadableImageError", "UnsupportedCharactersError",
    "normalize_glyph", "Reading", "read", "read_glyphs", "__version__",
]
