"""GlyphVAE: a Gradio app that reads handwritten characters, writes like you, and makes ambiguous digits.

    python app.py            # http://127.0.0.1:7860

The models are named by GLYPH_VAE_MODEL, MUDDLE_MODEL and DIGIT_CLASSIFIER_MODEL (a Hub
repo id, optionally @revision, or a folder); unset means the bundled weights. The tabs
live in glyph_vae/ui/, one module each.
"""
import logging
import os

from glyph_vae.loading import app_confuser, load_models
from glyph_vae.serving import set_torch_threads, stop_on_sigterm, tune_malloc
from glyph_vae.ui import build_demo, launch_options

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
logging.getLogger("glyph_vae").setLevel(logging.INFO)  # one line per user error or warning
tune_malloc()  # before the server's worker threads start
set_torch_threads()  # one per request unless GLYPHVAE_TORCH_THREADS says otherwise
models = load_models()
demo = build_demo(models, confuser=app_confuser(models))

if __name__ == "__main__":
    stop_on_sigterm()  # a container's stop cleans up the app's files as Ctrl-C does
    server_name = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    demo.launch(server_name=server_name, **launch_options(server_name))
