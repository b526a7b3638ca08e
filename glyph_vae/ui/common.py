"""What the tabs share: turning input errors into messages, output files for the API, a
client's drawings read as a style."""
import functools
import html
import logging
import re
from typing import Callable

import gradio as gr
from gradio.data_classes import FileData

from ..errors import UserInputError
from ..models.model import GlyphVAE
from ..pipelines.style import Style, prior_style
from ..pipelines.writing import style_from_drawings
from . import notes
from .inputs import client_images

log = logging.getLogger("glyph_vae.app")


def user_errors(fn: Callable) -> Callable:
    """Show a UserInputError to the user as a message (page toast or API error), without a
    traceback in the log; let every other exception through as the program fault it is."""

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        try:
            with notes.collecting():  # the call's warnings, for the files it answers with
                return fn(*args, **kwargs)
        except UserInputError as exc:
            log.info("%s: %s", fn.__name__, exc)
            raise gr.Error(str(exc), print_exception=False) from None

    return handler


def warn(message: str) -> None:
    """A warning on the page (a toast) or in the API's event stream, one line in the log, and a
    note for the files the call answers with (glyph_vae.ui.notes: the channel every API and MCP
    caller can read)."""
    log.info("warning: %s", message)
    notes.record(message)
    gr.Warning(message)


def file_data(path: str) -> dict:
    """An output file of an API endpoint (gr.api) as Gradio's file dict: Gradio copies it into
    its cache and serves it, and the client downloads it. A dict, not a FileData object, so
    that it is found also where it is nested (the /glyphs gallery)."""
    return FileData(path=str(path)).model_dump()


def markdown_text(text: str) -> str:
    """Text from a user or a file, to show inside Markdown as the characters it is: no link,
    image or HTML in it takes effect (a shared style's name `![x](http://host/p.png)` would
    otherwise make every viewer's browser fetch that address)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", html.escape(str(text), quote=False))


def as_text(value) -> str | None:
    """A text an endpoint was sent, as the text box gives it: a number or other value as its
    str(), so that the API writes what it was sent; None (no text) stays None, for the library
    to refuse with its message."""
    return None if value is None else str(value)


def drawings_style(model: GlyphVAE, drawings) -> Style:
    """The style of the drawings a client sent an endpoint (uploaded pictures, one character
    each; none: the average style)."""
    images = client_images(drawings, "Uploaded drawing")
    return style_from_drawings(model, images, ruled=[False] * len(images), characters=[None] * len(images))[0]


def style_or_average(style: Style | None, model: GlyphVAE) -> Style:
    """The Write tab's style as it stands: None (nothing drawn yet) is the average style."""
    return style if style is not None else prior_style(model.config.latent_dim)
