"""Writing leaves the app as vectors (traced outlines, centre lines, SVG pages) and fonts."""
