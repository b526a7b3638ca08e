"""Drawings made the way the app's users make them, for the tests, the benchmarks and training.

Nothing the app runs imports this folder: the mouse-style drawings of every character
(`drawings`, with the mouse-drawn test set and the example styles' drawings) and the
drawings written on a ruled pad's lines (`ruled_drawings`, with the ruled test set), each
test set with a seed no training step draws with.
"""
