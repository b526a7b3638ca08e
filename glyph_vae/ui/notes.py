"""Warnings that travel with an answer: the notes a call gathers, written into the files it returns.

Gradio shows `gr.Warning` as a toast on the page and sends it as a `log` message in the
queue's event stream, but its plain HTTP API (`/gradio_api/call/...`) leaves those
messages out, gradio_client's `predict` returns only the result, and the MCP server
returns only the outputs. So a warning an API caller must be able to read also goes into
the file it concerns, where every caller finds it: a PNG's `Warning` text chunk (a
keyword the PNG specification defines for this), an SVG's `<metadata id="warnings">`, a
GIF's comment.

    with collecting() as notes:   # each handler call (glyph_vae.ui.common.user_errors)
        warn("Left as gaps ...")   # a toast, a log line, and a note
    png_bytes(image, notes)        # the PNG carries them
"""
from __future__ import annotations

import contextlib
import html
import io
from contextvars import ContextVar

from PIL import PngImagePlugin

_notes: ContextVar[list[str] | None] = ContextVar("glyph_vae_notes", default=None)
PNG_KEYWORD = "Warning"
GAPS = "Left as gaps (not printable ASCII): "


def gaps_note(unknown) -> str:
    """The warning for characters a text had that were left as gaps (the first 20 of them)."""
    return GAPS + " ".join(repr(c) for c in unknown[:20])


@contextlib.contextmanager
def collecting():
    """Gather the notes of what runs inside (a handler call); yields the list they go into.
    Nested, the inner call's notes are the outer's too."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)
        for message in notes:
            record(message)


def record(message: str) -> None:
    """A note for the answer being made (outside `collecting`, nothing gathers it)."""
    notes = _notes.get()
    if notes is not None and message not in notes:
        notes.append(message)


def current() -> list[str]:
    """The notes gathered so far in this call."""
    return list(_notes.get() or [])


def png_bytes(image, notes: list[str] | None = None) -> bytes:
    """A PIL image as PNG bytes, the notes (if any) in its `Warning` text chunk, one a line."""
    info = None
    if notes:
        info = PngImagePlugin.PngInfo()
        info.add_itxt(PNG_KEYWORD, "\n".join(notes))  # iTXt: UTF-8, so '😀' survives
    buffer = io.BytesIO()
    # zlib level 1 (as OutputFiles.png): a request's time is what a user waits for.
    image.save(buffer, format="PNG", compress_level=1, pnginfo=info)
    return buffer.getvalue()


def png_notes(path) -> list[str]:
    """The notes a PNG carries (what a client reads: `Image.open(path).text.get("Warning")`)."""
    from PIL import Image

    with Image.open(path) as image:
        text = image.text.get(PNG_KEYWORD, "")
    return text.splitlines() if text else []


def svg_with_notes(svg: str, notes: list[str] | None) -> str:
    """An SVG document with the notes in `<metadata id="warnings">`, one a line."""
    if not notes:
        return svg
    end = svg.index(">", svg.index("<svg")) + 1
    block = '<metadata id="warnings">' + "\n".join(html.escape(n, quote=False) for n in notes) + "</metadata>"
    return svg[:end] + block + svg[end:]


def gif_with_notes(gif: bytes, notes: list[str] | None) -> bytes:
    """A GIF with the notes in a Comment Extension right after its header and colour table (where
    readers find it first: Pillow's `Image.open(path).info["comment"]`), one a line."""
    if not notes:
        return gif
    if gif[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    packed = gif[10]
    end = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)  # header, screen, global colours
    text = "\n".join(notes).encode("utf-8")
    blocks = b"".join(bytes([len(text[i:i + 255])]) + text[i:i + 255] for i in range(0, len(text), 255))
    return b"GIF89a" + gif[6:end] + b"\x21\xfe" + blocks + b"\x00" + gif[end:]
