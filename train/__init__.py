"""Training, evaluation and Hub publishing for the glyph_vae models (`python -m train`, see train/fit.py)."""
