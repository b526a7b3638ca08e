"""A style as a file: a small JSON a user keeps, shares and loads again, in the app or its API.

    >>> from glyph_vae.pipelines.style_file import style_from_file, style_to_file
    >>> data = style_to_file(style, model, offsets={"slant": 0.5}, name="My hand")   # bytes of JSON
    >>> style, offsets, info, warnings = style_from_file(data, model)

The file holds the style's posterior over the latent (its mean and log-variance per
dimension, the number of drawings, and one drawing's spread), the slider offsets (how far
the user moved each slider from the style's own place, by axis name), the model it belongs
to (the first 16 hex digits of its weights' sha256, as /health shows them, and its config),
the characters it was read from, the writer's proportions (glyph_vae.glyphs.proportions: the
heights where the drawings were made on the ruled pads, and how wide the hand writes; null for a
typical hand), a name and the format version:

    {"format": "glyphvae-style", "version": 3, "name": "My hand", "characters": "AK7",
     "model": {"sha256": "d0dec0840da11410", "config": {"latent_dim": 64, ...}},
     "posterior": {"mean": [...], "logvar": [...], "count": 3, "hand_logvar": [...]},
     "offsets": {"width": 0.0, "stroke_thickness": 0.0, "slant": 0.5, "height": 0.0},
     "proportions": {"x_height": 0.55, "ascender": 1.05, "descender": -0.42, "width": 0.82}}

A version 1 file (before proportions) loads as a typical hand's proportions, a version 2 file
(before the width) as the width the model draws.

Loading gives back exactly the float32 values that were saved, so a loaded style writes the
same PNG, byte for byte: the mean is written as the float64 value of each float32 (whose
repr reads back to it), the log-variance as float64 2 x log(std), from which exp(logvar / 2)
rounds back to the same float32 std (float64's error is far inside float32's rounding).

Everything in a file is checked before it is used (it comes from anyone): its size, that it
is a JSON object with exactly the known keys, the version, every number finite and in a sane
range, every array as long as the latent. A problem raises StyleFileError saying what is
wrong; a style of another model is refused or loaded with a warning (see `check_model`).
"""
from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np

from ..errors import StyleFileError, StyleModelError, shown
from ..models.model import CHARSET
from ..glyphs.proportions import ASCENDER_RANGE, DESCENDER_RANGE, WIDTH_RANGE, X_HEIGHT_RANGE, Proportions
from .style import Style

FORMAT = "glyphvae-style"
FORMAT_VERSION = 3  # 2 added the writer's proportions, 3 their width; older files still load
READABLE_VERSIONS = (1, 2, 3)
MAX_STYLE_FILE_BYTES = 256 * 1024  # a 64-d style is about 6 KB; 1,024 dimensions fit with room to spare
MAX_LATENT_LENGTH = 1024  # numbers per array: checked before any is converted
MAX_NAME_LENGTH = 60
DEFAULT_NAME = "My style"
MAX_CHARACTERS = 256  # what the style was read from (a mix is read from both styles' characters)
MAX_COUNT = 10_000
MAX_ABS_MEAN = 100.0  # the prior is N(0, 1): a mean this far out is no style, only a broken file
LOGVAR_RANGE = (-30.0, 10.0)  # spreads from 3e-7 to 150; the bundled model's lie within -7 and 0.1
MAX_OFFSET = 12.0  # a move from the style's own place spans at most a slider's range (-3 to 3 unless measured)
MAX_AXES = 32
MAX_CONFIG_KEYS = 64

KEYS = {"format", "version", "name", "characters", "model", "posterior", "offsets", "proportions"}
KEYS_OF_VERSION = {1: KEYS - {"proportions"}, 2: KEYS, 3: KEYS}
PROPORTION_KEYS = {"x_height", "ascender", "descender", "width"}
PROPORTION_KEYS_OF_VERSION = {2: PROPORTION_KEYS - {"width"}, 3: PROPORTION_KEYS}
MODEL_KEYS = {"sha256", "config"}
POSTERIOR_KEYS = {"mean", "logvar", "count", "hand_logvar"}


@dataclass(frozen=True)
class StyleInfo:
    """What a style file says about itself, beside the style."""

    name: str
    characters: str  # what the drawings were read as
    sha256: str  # the model's weights, first 16 hex digits ("" where unknown)
    config: dict
    version: int = FORMAT_VERSION

    @property
    def latent_dim(self) -> int:
        return int(self.config.get("latent_dim", 0))


class LoadedStyle(NamedTuple):
    style: Style
    offsets: dict[str, float]  # slider moves by axis name, for the axes this model has
    info: StyleInfo
    warnings: list[str]  # for the user: another model's weights, sliders this model lacks


def model_identity(model) -> dict:
    """The model as /health names it: the first 16 hex digits of its weights' sha256 and its config."""
    return model.identity()


def model_description(sha256: str, config: Mapping) -> str:
    return f"GlyphVAE weights {sha256 or 'of unknown sha256'} ({config.get('latent_dim', '?')}-d latent)"


# -- writing --------------------------------------------------------------------------------

def check_style_name(name) -> str:
    """A style's name: up to 60 printable characters; empty means "My style"."""
    if name is None:
        return DEFAULT_NAME
    if not isinstance(name, str):
        raise StyleFileError(f"A style's name must be text, not {type(name).__name__}.")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise StyleFileError(f"A style's name has at most {MAX_NAME_LENGTH} characters, not {len(name):,}.")
    if not name.isprintable():
        raise StyleFileError("A style's name must be printable text, without control characters or new lines.")
    return name or DEFAULT_NAME


def style_document(style: Style, model, *, offsets: Mapping[str, float] | None = None,
                   name: str | None = None) -> dict:
    """The style file's content as a dict (what `style_to_file` writes as JSON)."""
    identity = model_identity(model)
    axes = [axis.name for axis in model.style_axes]
    offsets = dict(offsets or {})
    unknown = sorted(set(offsets) - set(axes))
    if unknown:
        raise ValueError(f"No slider named {', '.join(map(repr, unknown))}: this model's are {', '.join(axes)}.")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": check_style_name(name),
        "characters": style.characters[:MAX_CHARACTERS],
        "model": {"sha256": identity["sha256"], "config": identity["config"]},
        "posterior": {
            "mean": [float(v) for v in np.asarray(style.mean, np.float32)],  # a float32's exact value
            "logvar": _logvar(style.std),
            "count": int(style.count),
            "hand_logvar": None if style.variation is None else _logvar(style.variation),
        },
        "offsets": {axis: float(offsets.get(axis, 0.0)) for axis in axes},
        "proportions": None if style.proportions is None else style.proportions.as_dict(),
    }


def style_to_file(style: Style, model, *, offsets: Mapping[str, float] | None = None,
                  name: str | None = None) -> bytes:
    """The style file (UTF-8 JSON) of a style of `model`, with the user's slider moves
    (`offsets`, by axis name; missing ones are 0) and a name. The same style gives the same
    bytes. It is checked as a loaded file would be, so that what is saved can be loaded."""
    document = style_document(style, model, offsets=offsets, name=name)
    check_document(document)
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def _logvar(std: np.ndarray) -> list[float]:
    # math.log, not np.log: NumPy picks a vectorised log by CPU and version, and one that
    # differs in the last bit makes a loaded style save back to other bytes than its file.
    return [2.0 * math.log(float(v)) for v in np.asarray(std, np.float32)]


# -- reading --------------------------------------------------------------------------------

def read_style_bytes(source) -> bytes:
    """The bytes of a style file given as bytes, a path, or a Gradio file value (a dict or
    FileData with a path), its size checked before it is read."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if len(data) > MAX_STYLE_FILE_BYTES:
            raise _too_large(len(data))
        return data
    path = source
    if isinstance(source, Mapping):
        path = source.get("path")
    elif hasattr(source, "path") and not isinstance(source, (str, os.PathLike)):
        path = source.path
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise StyleFileError("Send a style file (the .json that \"Save my style\" or /style makes).")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise StyleFileError(f"The style file {os.path.basename(str(path))} is not a regular file.")
        size = info.st_size
        if size > MAX_STYLE_FILE_BYTES:
            raise _too_large(size)
        with open(path, "rb") as fh:
            return fh.read(MAX_STYLE_FILE_BYTES + 1)
    except OSError as exc:
        raise StyleFileError(f"The style file {os.path.basename(str(path))} cannot be read: {exc.strerror}.") from None


def _too_large(size: int) -> StyleFileError:
    return StyleFileError(f"The style file has {size:,} bytes; a style file has at most {MAX_STYLE_FILE_BYTES:,}.")


def _no_constants(name: str):
    raise StyleFileError(f"The style file has {name}, which is not a number: every value must be finite.")


def parse_style_file(data: bytes | str) -> dict:
    """JSON text -> the document, checked (see `check_document`)."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_STYLE_FILE_BYTES:
        raise _too_large(len(data))
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise StyleFileError("The style file is not text (UTF-8 JSON): is it the .json that "
                             "\"Save my style\" made?") from None
    except json.JSONDecodeError as exc:
        raise StyleFileError(f"The style file is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                             f"{exc.msg}).") from None
    except RecursionError:
        raise StyleFileError("The style file is nested too deeply to be a style.") from None
    except StyleFileError:  # NaN or Infinity: its own message, said once
        raise
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise StyleFileError(f"The style file is not valid JSON: {exc}.") from None
    check_document(document)
    return document


def check_document(document: Any) -> None:
    """Raise StyleFileError naming the first thing wrong with a style file's content."""
    if not isinstance(document, dict):
        raise StyleFileError(f"The style file must hold a JSON object (a GlyphVAE style), "
                             f"not {_json_kind(document)}.")
    version = document.get("version")
    _exact_keys(document, KEYS_OF_VERSION.get(version, KEYS) if _is_int(version) else KEYS, "The style file")
    if document["format"] != FORMAT:
        raise StyleFileError(f"This is not a GlyphVAE style file: its format is {shown(document['format'])}, "
                             f"not {FORMAT!r}.")
    if not _is_int(version) or version not in READABLE_VERSIONS:
        newer = " (made by a newer GlyphVAE)" if _is_int(version) and version > FORMAT_VERSION else ""
        raise StyleFileError(f"The style file is format version {shown(version)}{newer}; "
                             f"this app reads versions {READABLE_VERSIONS[0]} to {READABLE_VERSIONS[-1]}.")
    name = document["name"]
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise StyleFileError(f"The style file's name must be printable text of at most {MAX_NAME_LENGTH} "
                             "characters.")
    characters = document["characters"]
    if not isinstance(characters, str) or len(characters) > MAX_CHARACTERS or any(c not in CHARSET for c in characters):
        raise StyleFileError(f"The style file's characters must be at most {MAX_CHARACTERS} of 0-9, A-Z, a-z.")

    model = document["model"]
    if not isinstance(model, dict):
        raise StyleFileError(f"The style file's model must be an object, not {_json_kind(model)}.")
    _exact_keys(model, MODEL_KEYS, "The style file's model")
    sha = model["sha256"]
    if not isinstance(sha, str) or len(sha) > 64 or any(c not in "0123456789abcdef" for c in sha):
        raise StyleFileError("The style file's model sha256 must be hexadecimal digits (as /health shows them).")
    config = model["config"]
    if not isinstance(config, dict) or len(config) > MAX_CONFIG_KEYS:
        raise StyleFileError(f"The style file's model config must be an object of at most {MAX_CONFIG_KEYS} "
                             "settings.")
    for key, value in config.items():
        if len(key) > 64 or not (value is None or isinstance(value, (bool, str)) and len(str(value)) <= 200
                                 or _is_finite(value)):
            raise StyleFileError(f"The style file's model config has a setting {shown(key[:64])} that is not a "
                                 "short text or a finite number.")
    latent = config.get("latent_dim")
    if not _is_int(latent) or not 1 <= latent <= MAX_LATENT_LENGTH:
        raise StyleFileError(f"The style file's model config must give latent_dim, a whole number from 1 to "
                             f"{MAX_LATENT_LENGTH}, not {shown(latent)}.")

    posterior = document["posterior"]
    if not isinstance(posterior, dict):
        raise StyleFileError(f"The style file's posterior must be an object, not {_json_kind(posterior)}.")
    _exact_keys(posterior, POSTERIOR_KEYS, "The style file's posterior")
    _check_array(posterior["mean"], "mean", latent, (-MAX_ABS_MEAN, MAX_ABS_MEAN))
    _check_array(posterior["logvar"], "log-variance (logvar)", latent, LOGVAR_RANGE)
    if posterior["hand_logvar"] is not None:
        _check_array(posterior["hand_logvar"], "hand log-variance (hand_logvar)", latent, LOGVAR_RANGE)
    count = posterior["count"]
    if not _is_int(count) or not 0 <= count <= MAX_COUNT:
        raise StyleFileError(f"The style file's count (of drawings) must be a whole number from 0 to "
                             f"{MAX_COUNT:,}, not {shown(count)}.")

    offsets = document["offsets"]
    if not isinstance(offsets, dict) or len(offsets) > MAX_AXES:
        raise StyleFileError(f"The style file's offsets must be an object of at most {MAX_AXES} slider moves.")
    for axis, value in offsets.items():
        if len(axis) > 64 or not _is_finite(value) or abs(value) > MAX_OFFSET:
            raise StyleFileError(f"The style file's offset of the slider {shown(axis[:64])} must be a number "
                                 f"from -{MAX_OFFSET:g} to {MAX_OFFSET:g}, not {shown(value)}.")

    proportions = document.get("proportions")
    if proportions is not None:
        if not isinstance(proportions, dict):
            raise StyleFileError(f"The style file's proportions must be an object or null, not "
                                 f"{_json_kind(proportions)}.")
        keys = PROPORTION_KEYS_OF_VERSION[document["version"]]
        _exact_keys(proportions, keys, "The style file's proportions")
        for key, bounds, unit in (("x_height", X_HEIGHT_RANGE, "capital heights"),
                                  ("ascender", ASCENDER_RANGE, "capital heights"),
                                  ("descender", DESCENDER_RANGE, "capital heights"),
                                  ("width", WIDTH_RANGE, "of the model's width")):
            if key not in keys:
                continue
            value = proportions[key]
            if not _is_finite(value) or not bounds[0] <= value <= bounds[1]:
                raise StyleFileError(f"The style file's proportions give {key} {shown(value)}: it must be a number "
                                     f"from {bounds[0]:g} to {bounds[1]:g} ({unit}).")


def _check_array(values: Any, what: str, length: int, bounds: tuple[float, float]) -> None:
    if not isinstance(values, list):
        raise StyleFileError(f"The style file's {what} must be a list of numbers, not {_json_kind(values)}.")
    if len(values) > MAX_LATENT_LENGTH:
        raise StyleFileError(f"The style file's {what} has {len(values):,} numbers; at most {MAX_LATENT_LENGTH:,}.")
    if len(values) != length:
        raise StyleFileError(f"The style file's {what} has {len(values)} numbers for its model's "
                             f"{length}-d latent.")
    low, high = bounds
    for i, value in enumerate(values):
        if not _is_number(value):
            raise StyleFileError(f"The style file's {what} has {_json_kind(value)} at position {i}, not a number.")
        if not _is_finite(value):
            raise StyleFileError(f"The style file's {what} has a value that is not finite (NaN or infinity) "
                                 f"at position {i}.")
        if not low <= value <= high:
            raise StyleFileError(f"The style file's {what} has {value:g} at position {i}, outside "
                                 f"{low:g} to {high:g}.")


def _exact_keys(obj: dict, keys: set[str], what: str) -> None:
    missing, unknown = keys - set(obj), set(obj) - keys
    if missing:
        raise StyleFileError(f"{what} lacks {', '.join(map(repr, sorted(missing)))}.")
    if unknown:
        shown = ", ".join(repr(k[:40]) for k in sorted(unknown)[:5])
        raise StyleFileError(f"{what} has unknown keys: {shown}{' ...' if len(unknown) > 5 else ''}.")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_finite(value) -> bool:
    """A JSON number that is a finite float (an integer too large for a float is not)."""
    if not _is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _json_kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true or false"}.get(type(value), "a number")


def check_model(info: StyleInfo, model) -> list[str]:
    """Whether a style of the model `info` names can be used with `model`: warnings, or a refusal.

    The policy: a style is a point in a latent space, and what a point means is set by the
    weights. Another model with the same latent size can place the point (the numbers fit),
    but its dimensions mean other things, so the hand will look different: that loads, with a
    warning naming both models, because a user who moved to new weights (the app's weights
    are retrained now and then) still gets a style to start from, rather than nothing. A
    latent of another size cannot place it at all: that is refused, naming both models.
    """
    here = model_identity(model)
    if info.sha256 == here["sha256"] and info.config == here["config"]:
        return []
    theirs, ours = model_description(info.sha256, info.config), model_description(here["sha256"], here["config"])
    if info.latent_dim != model.config.latent_dim:
        raise StyleModelError(f"This style was made with {theirs}, and this app runs {ours}: a style of one "
                              "cannot be used with the other. Make the style again from its drawings here.")
    return [f"This style was made with {theirs}, and this app runs {ours}. The latent sizes match, so it "
            "loads, but the other weights give its numbers other meanings: the hand will look different. "
            "Make the style again from its drawings here to get it back."]


def style_from_document(document: dict, model) -> LoadedStyle:
    """A checked document -> the style, the slider offsets, what it says about itself, warnings."""
    check_document(document)
    posterior, model_info = document["posterior"], document["model"]
    info = StyleInfo(document["name"], document["characters"], model_info["sha256"], dict(model_info["config"]),
                     document["version"])
    warnings = check_model(info, model)
    # A same-sized latent (check_model) with a config that says another size: the arrays
    # were checked against the config's size, so check them against this model's too.
    if len(posterior["mean"]) != model.config.latent_dim:
        raise StyleModelError(f"The style file has {len(posterior['mean'])} numbers per array; this app's "
                              f"GlyphVAE has a {model.config.latent_dim}-d latent.")

    def std(logvar: list[float]) -> np.ndarray:
        return np.float32(np.exp(0.5 * np.asarray(logvar, np.float64)))

    hand = posterior["hand_logvar"]
    proportions = document.get("proportions")
    style = Style(np.asarray(posterior["mean"], np.float64).astype(np.float32), std(posterior["logvar"]),
                  int(posterior["count"]), None if hand is None else std(hand), document["characters"],
                  None if proportions is None else Proportions(**{k: float(v) for k, v in proportions.items()}))
    axes = [axis.name for axis in model.style_axes]
    offsets = {axis: float(document["offsets"].get(axis, 0.0)) for axis in axes}
    ignored = [axis for axis, value in document["offsets"].items() if axis not in axes and value != 0]
    if ignored:
        warnings.append(f"This model has no slider {', '.join(map(repr, ignored))}: the style file's move of it "
                        "is left out.")
    return LoadedStyle(style, offsets, info, warnings)


def style_from_file(data, model) -> LoadedStyle:
    """A style file (its bytes or JSON text, a path, a Gradio file value, or the parsed dict)
    -> (style, offsets, info, warnings). Raises StyleFileError for a malformed file and
    StyleModelError for a style of a latent of another size (see `check_model`)."""
    if isinstance(data, dict) and "path" not in data:
        document = data
    elif isinstance(data, str) and data.lstrip().startswith("{"):
        document = parse_style_file(data)
    else:
        document = parse_style_file(read_style_bytes(data))
    return style_from_document(document, model)
