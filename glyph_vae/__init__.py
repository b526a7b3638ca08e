"""GlyphVAE: read handwritten characters and write like their writer."""
from .hub import ModelLoadError
from .model import CHARSET, GlyphVAE, GlyphVAEConfig, glyph_vae_loss
from .preprocess import BlankDrawingError, GlyphError, UnreadableImageError, normalize_glyph
from .reading import Reading, read, read_glyphs

__all__ = [
    "CHARSET", "GlyphVAE", "GlyphVAEConfig", "glyph_vae_loss", "ModelLoadError",
    "BlankDrawingError", "GlyphError", "UnreadableImageError", "normalize_glyph",
    "Reading", "read", "read_glyphs",
]
