"""Operations on single glyphs: the one normalisation, pictures, a hand's proportions, style
measures, pen-stroke skeletons and the round pen, letters as pen strokes fitted to the decoder.
They use the models, never the tasks above them."""
