"""The Gradio app: each tab in its own module, composed here with the queue and the limits.

    from glyph_vae.loading import app_confuser, load_models
    from glyph_vae.ui import build_demo, launch_options
    models = load_models()
    build_demo(models, confuser=app_confuser(models)).launch(**launch_options())

Each tab module has a class whose methods are the tab's handlers (plain functions of the
loaded models, testable without a browser) and a `render()` that builds its part of the
page and declares its API endpoints with `gr.api`.
"""
import html
import os

import gradio as gr
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..pipelines.confuse import Confuser
from ..loading import AppModels
from ..serving import OutputFiles, RequestLimits, health_record
from .confuse_tab import ConfuseTab
from .read_tab import ReadTab
from .write_tab import WriteTab

# Limits (docs/api.md, "Limits"): uploads over MAX_FILE_SIZE are refused with HTTP 413; at most
# QUEUE_SIZE requests wait in the queue (more get "Queue is full"); each endpoint runs up
# to CONCURRENCY calls at once.
MAX_FILE_SIZE = "10mb"
QUEUE_SIZE = 64
CONCURRENCY = 8
# Gradio recomputes a traffic summary (a pandas table of the last 10,000 events, for its
# /monitoring page) after every event, a cost that grows with the events served. Once every
# 1,000 events is enough for that page, and a call is faster (docs/experiments/choices.md).
ANALYTICS_EVERY = "1000"
# Gradio's copies of the files the app answers with, and the uploads: every ten minutes,
# those older than half an hour go (a long-running Space would otherwise fill its disk, and
# a visitor's pictures need not stay longer than a visit).
DELETE_CACHE = (600, 1800)
# A request body (the JSON of a call: texts, settings, the pads' drawings as data URLs of
# about 7 KB each) is at most this; pictures and style files come as uploads, bounded by
# MAX_FILE_SIZE. A call's inputs stay in memory with its session, so this bounds them too.
MAX_REQUEST_BODY = 1_000_000
# An MCP tool call carries its pictures inline (base64), so its body may hold an upload's worth.
MAX_MCP_BODY = 14_000_000
# Sessions whose page state Gradio keeps (each plain-HTTP call opens one, about 0.3 MB in
# this app; the least recently used goes first). Gradio's default, 10,000, is 3 GB. A host
# with more memory and many visitors can raise it (GLYPHVAE_SESSIONS_HELD).
SESSIONS_HELD = int(os.environ.get("GLYPHVAE_SESSIONS_HELD", "1000"))
# A local instance answers only requests addressed to the loopback host: a web page elsewhere
# cannot reach it through a DNS name that it points at 127.0.0.1 (DNS rebinding).
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]

# A system font stack: the page renders in the visitor's own UI font, which has every
# capital (the theme's web font is not there offline and its fallback lacked some).
FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
THEME = gr.themes.Default(font=FONTS, font_mono=MONO)

CSS = """
.glyph-preview img { image-rendering: pixelated; }
/* A style pad's correction: a slim box beside what it read. */
.style-read-row { gap: 4px !important; flex-wrap: nowrap !important; align-items: center; }
.style-read-row > .prose { flex: 1 1 auto !important; min-width: 0 !important; font-size: 13px; }
.style-fix { flex: 0 0 74px !important; min-width: 0 !important; }
.style-fix .wrap { min-height: 0 !important; padding: 0 4px !important; }
.style-fix input { height: 24px !important; font-size: 12px !important; }
@media (max-width: 640px) {  /* three pads to a row: the box goes under what was read */
  .style-read-row { flex-wrap: wrap !important; }
  .style-read-row > .prose { flex-basis: 100% !important; font-size: 12px; }
  .style-fix { flex: 1 1 100% !important; margin-top: -6px !important; }
}
/* A cleared Read pad: what was read from the drawing that is gone stays hidden until the pad's own answer. */
.gradio-container:has(#read-pad [data-cleared]) :is(#read-label .container, #read-seen img, #read-redrawn img) {
  visibility: hidden; }
footer { visibility: hidden; }
/* The written page starts under its label chip and buttons, which Gradio floats over the image. */
#write-output .image-container { padding-top: 34px; }
/* A phone: every tab in view (not behind "..."), a shorter header, the reading close under the pad. */
@media (max-width: 640px) {
  .tab-wrapper .tab-container button { padding: 6px 4px; font-size: 12.5px; }
  #app-title h1 { font-size: 1.5rem; margin-bottom: 0; }
  #app-title p { font-size: 0.85rem; margin-top: 2px; }
  .style-pad-row { flex-wrap: nowrap !important; gap: 6px !important; }  /* three pads to a row */
  .style-pad-row > div { min-width: 0 !important; }
  .style-pad .pad-tools { gap: 3px !important; }
  .style-pad .pad-tools button { padding: 3px 0 !important; font-size: 11px !important; min-width: 0 !important; }
  .style-pad .pad-hint { font-size: 11px !important; }
  #read-pad .pad-frame, #read-pad .pad-tools, #confuse-pad .pad-frame, #confuse-pad .pad-tools {
    max-width: min(100%, 300px) !important; }
  /* Write like me, its columns stacked: the pads, the written page, the style examples, the
     text and settings, then uploads and the style file tools (folded). */
  #write-layout { flex-direction: column !important; }
  #write-style-column, #write-page-column { display: contents !important; }
  #write-page-column > * { order: 4; }
  #write-page-column > #write-output { order: 2; }
  #write-style-try { order: 3; }
  #write-style-keep { order: 5; }
}
.prose.load-warning { border-left: 4px solid #f59e0b; background: #fffbeb; padding: 6px 12px; border-radius: 4px; }
"""


# Run once when the page loads:
# - Enter in a slider's number box applies the number, as leaving the box does: Gradio's slider
#   box fires its `release` event only on blur, so Enter blurs it (the seed box, a gr.Number,
#   has Enter of its own: its `submit`).
# - On a phone, messages (toasts) show at the bottom of the screen, the newest only: Gradio
#   stacks them at the top, over the page. A <style> of its own, since Gradio scopes the
#   app's CSS to its container, and the toasts lie outside it.
PAGE_JS = """() => {
  document.addEventListener('keydown', (event) => {
    const box = event.target;
    if (event.key === 'Enter' && box instanceof HTMLInputElement && box.dataset.testid === 'number-input') box.blur();
  }, true);
  const style = document.createElement('style');
  style.textContent = `@media (max-width: 640px) {
    .toast-wrap { top: auto !important; bottom: 12px; }
    .toast-wrap > :not(:last-child) { display: none; } }`;
  document.head.appendChild(style);
}"""


class Health:
    """/health: computed once at start-up, so it answers at the framework's own speed."""

    def __init__(self, models: AppModels):
        self.record = health_record(models)

    def health(self) -> dict:
        """Whether the app is up, its version, and which weights each of its models runs.

        Returns:
            {"status": "ok", "app_version", "gradio", "torch", "models": {name: {"source", "config", "sha256"}}, "warnings"}
        """
        return self.record


def build_demo(models: AppModels, files: OutputFiles | None = None, *, confuser: Confuser) -> gr.Blocks:
    """The whole app for these models and the Confuse tab's confuser (`app_confuser(models)`),
    its queue and concurrency limits set."""
    files = files or OutputFiles.for_this_process()
    with gr.Blocks(title="GlyphVAE: read and write handwriting", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# GlyphVAE\nA variational autoencoder that reads what you draw, writes like you, "
                    "and makes digits nobody can tell apart.", elem_id="app-title")
        if models.warnings:
            # One box (gr.HTML: no border of its own), one paragraph per warning.
            gr.HTML("".join(f"<p>⚠️ {html.escape(w)}</p>" for w in models.warnings),
                    elem_classes=["load-warning"], elem_id="load-warning")
        with gr.Tab("Read my writing", id="read"):
            ReadTab(models.glyph_vae.model, files).render()
        with gr.Tab("Write like me", id="write"):
            WriteTab(models.glyph_vae.model, files).render(demo)
        with gr.Tab("Confuse this digit", id="confuse"):
            ConfuseTab(confuser, models.glyph_vae.model, files).render(demo)
        gr.api(Health(models).health, api_name="health")
        demo.load(None, js=PAGE_JS)
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", ANALYTICS_EVERY)  # read when the queue is made
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo


def launch_options(server_name: str = "127.0.0.1") -> dict:
    """What `launch()` takes in Gradio 6 and the app needs: its theme and CSS, the upload
    limit, the request and session limits, the loopback-only host check of a local instance
    (`server_name` is where it listens), and the MCP server (every public endpoint becomes a tool)."""
    middleware = [Middleware(RequestLimits, max_body=MAX_REQUEST_BODY,
                             own_limits={"/gradio_api/upload": None, "/gradio_api/mcp": MAX_MCP_BODY})]
    if server_name in LOOPBACK_HOSTS:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS))
    return {"theme": THEME, "css": CSS, "max_file_size": MAX_FILE_SIZE, "mcp_server": True,
            "state_session_capacity": SESSIONS_HELD, "app_kwargs": {"middleware": middleware}}
