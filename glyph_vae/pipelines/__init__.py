"""The tasks built from models and glyphs: reading (also on the ruled pads' lines), styles and
style files, writing and its layout, punctuation drawn by rule, everything written drawn from pen
strokes, and the muddle search (confusing)."""
