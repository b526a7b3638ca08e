"""What a client may send the app as a drawing or a style: the one door every handler uses.

The library's loaders (`preprocess.load_image`, `style_file.style_from_file`) take paths, for
Python callers on their own machine. A client of the app must not be able to name a file on
the server: Gradio checks that a file was uploaded to it only for file dicts that carry
`"meta": {"_type": "gradio.FileData"}`, and passes a dict without `meta`, or a plain string,
to the handler as it was sent (measured on Gradio 6.31 over the plain HTTP API and MCP). So
every handler that takes a drawing or a style passes it through here first, and what reaches
the library is one of:

- a `data:` URL (what the pads send; its size is bounded by the request-body limit);
- a file that lies inside Gradio's upload folder (an upload, or Gradio's copy of a URL or a
  data URL an MCP client sent), named by its resolved path, so `..` and links cannot leave it;
- for a style, also inline JSON (the text, or the parsed object).

Anything else is a `UserInputError` that says what to send and names no server path, so the
answer tells a prober nothing about the server's files.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradio.utils import get_upload_folder

from ..errors import StyleFileError, UnreadableImageError, UserInputError
from ..glyphs.preprocess import MAX_LAYERS


_HOW_TO_SEND_IMAGE = ("upload the file (gradio_client's handle_file does), or send the picture as a "
                      "data:image/png;base64 URL; paths on the server are not accepted")
_HOW_TO_SEND_STYLE = ("upload the .json file (gradio_client's handle_file does), or send the JSON text "
                      "itself; paths on the server are not accepted")


def upload_folder() -> Path:
    """Gradio's upload folder, resolved (read each time: tests and Spaces set GRADIO_TEMP_DIR)."""
    return Path(get_upload_folder()).resolve()


def uploaded_path(value: Any) -> Path | None:
    """The file an upload names, if it is one: a str path or a file dict / FileData whose
    resolved path lies inside Gradio's upload folder and is a regular file; else None."""
    path = value.get("path") if isinstance(value, Mapping) else getattr(value, "path", value)
    if not isinstance(path, (str, os.PathLike)) or not str(path) or "\x00" in str(path):
        return None
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a name too long
        return None
    if not resolved.is_relative_to(upload_folder()) or not resolved.is_file():
        return None
    return resolved


def _names_a_file(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike, Mapping)) or hasattr(value, "path")


def _upload(value: Any, error: type[UserInputError], what: str, how: str) -> str:
    """The upload's path, or `error` saying how to send a file (and naming no path)."""
    path = uploaded_path(value)
    if path is None:
        raise error(f"{what} is not a file uploaded to the app: {how}.")
    return str(path)


def _kind(value: Any) -> str:
    return {str: "text", dict: "an object", list: "a list", bool: "true or false"}.get(type(value), "a number") \
        if isinstance(value, (str, dict, list, bool, int, float)) else type(value).__name__


def client_image(value: Any, what: str = "The drawing") -> Any:
    """A drawing or picture as a client sent it -> a value `load_image` may open.

    None and "" (an empty pad) pass unchanged, as do data: URLs. A file (a path string, a
    file dict, FileData) must be an upload; a sketchpad value's background, layers and
    composite are each checked the same way."""
    if value is None or (isinstance(value, str) and (not value.strip() or value.startswith("data:"))):
        return value
    if isinstance(value, Mapping) and "path" not in value and {"background", "layers", "composite"} & set(value):
        layers = value.get("layers") or []
        if not isinstance(layers, list):
            raise UnreadableImageError(f"{what}'s layers must be a list of images, not {_kind(layers)}.")
        if len(layers) > MAX_LAYERS:
            raise UnreadableImageError(f"{what} has {len(layers):,} layers; at most {MAX_LAYERS} are read.")
        return {"background": client_image(value.get("background"), what),
                "layers": [client_image(layer, what) for layer in layers],
                "composite": client_image(value.get("composite"), what)}
    if _names_a_file(value):
        return _upload(value, UnreadableImageError, what, _HOW_TO_SEND_IMAGE)
    raise UnreadableImageError(f"{what} must be an image file or a data:image URL, not {_kind(value)}.")


def client_images(values: Any, what: str = "Style drawing") -> list:
    """A list of drawings (the style drawings of /write, /font...) -> each checked by `client_image`."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise UnreadableImageError(f"The drawings must be a list of image files, not {_kind(values)}.")
    return [client_image(value, f"{what} {number}") for number, value in enumerate(values, 1)]


def client_style(value: Any, what: str = "The style file") -> Any:
    """A style as a client sent it -> a value `style_file.style_from_file` may read: an
    uploaded file's path, JSON text, or the parsed JSON object; None passes (the caller says
    what is missing)."""
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return value
    if isinstance(value, Mapping) and "path" not in value and "meta" not in value:
        return dict(value)  # the style file's JSON object itself
    if _names_a_file(value):
        return _upload(value, StyleFileError, what, _HOW_TO_SEND_STYLE)
    raise StyleFileError(f"{what} must be a style file (.json) or its JSON text, not {_kind(value)}.")
