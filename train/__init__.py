"""Training, evaluation and Hub publishing for the glyph_vae models."""
