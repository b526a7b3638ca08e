"""The models and their life on the Hub: GlyphVAE, its ruled-line reader and style axes, the muddle
autoencoder, the digit classifier, the chooser ensemble, the registry of model types, what their
forward passes return, and the model cards' templates (`cards/`). Nothing here imports the layers above."""
