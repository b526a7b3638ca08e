"""What can be wrong with what a user gives: one family of exceptions, with messages for people.

Every check of user input in the package (a drawing, a text, a seed, a setting) raises a
`UserInputError`. The app turns exactly these into messages on the page and in API
answers; any other exception is a fault of the program, shown as such and logged with its
traceback. They subclass ValueError, so Python callers who catch ValueError keep working.

    >>> from glyph_vae.errors import UserInputError
    >>> try:
    ...     check_seed(1.5)
    ... except UserInputError as exc:
    ...     print(exc)          # The seed must be a whole number from 0 to 2^63-1, not 1.5.
"""
from __future__ import annotations

import math

MAX_SEED = 2**63 - 1


class UserInputError(ValueError):
    """An input that cannot be used as given; the message says what is wrong and how to fix it."""


class GlyphError(UserInputError):
    """An image or drawing that cannot be turned into a glyph."""


class BlankDrawingError(GlyphError):
    def __init__(self, message: str = "Draw a character first: the canvas is blank."):
        super().__init__(message)


class UnreadableImageError(GlyphError):
    """A file or value that is not a readable image (or too large to decode safely)."""


class TextTooLongError(UserInputError):
    pass


class NoTextError(UserInputError):
    """A text with nothing GlyphVAE can draw in it."""


class TooManyDrawingsError(UserInputError):
    pass


class UnsupportedCharactersError(UserInputError):
    """Characters that GlyphVAE cannot draw (outside 0-9, A-Z, a-z)."""

    def __init__(self, characters: str):
        self.characters = "".join(dict.fromkeys(characters))
        shown = " ".join(repr(c) for c in self.characters[:20])
        more = f" and {len(self.characters) - 20} more" if len(self.characters) > 20 else ""
        super().__init__(f"GlyphVAE draws only 0-9, A-Z and a-z; it cannot draw {shown}{more}.")


class StyleFileError(UserInputError):
    """A style file that cannot be read as one: not JSON, wrong keys, shapes or numbers, too large."""


class StyleModelError(StyleFileError):
    """A style file made for a model whose latent cannot hold it (another latent size)."""


class SettingError(UserInputError):
    """A number or choice outside what it may be (seed, randomness, digit, page size...)."""


def shown(value, limit: int = 40) -> str:
    """A value as an error message echoes it: its repr, cut to `limit` characters, so that a
    50 MB input is not sent back as a 50 MB message (nor written to the log)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        # str() of a huge int is slow and refused past 4,300 digits
        return f"a whole number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def check_seed(seed) -> int:
    """A seed as a whole number from 0 to 2^63-1; anything else (1.5, -1, "abc", NaN) is refused."""
    return check_whole_number(seed, "The seed", 0, MAX_SEED, shown_range="0 to 2^63-1")


def check_fraction(value, name: str, meaning: str) -> float:
    """A finite number from 0 to 1 (randomness, a mixing weight); `meaning` explains the ends."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not 0.0 <= number <= 1.0:  # also false for NaN
        raise SettingError(f"{name} must be between 0 and 1 ({meaning}), not {shown(value)}.")
    return number


def check_randomness(randomness) -> float:
    return check_fraction(randomness, "Randomness", "0: the style's mean, 1: a full sample")


def check_whole_number(value, name: str, low: int, high: int, *, shown_range: str | None = None) -> int:
    """A whole number from `low` to `high` (a seed, a page size, a count). A float that is whole
    (7.0) or a numeral ("12") is taken; 1.5, NaN, True or None are refused, never rounded."""
    message = f"{name} must be a whole number from {shown_range or f'{low} to {high}'}, not {shown(value)}."
    if isinstance(value, bool) or value is None:
        raise SettingError(message)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise SettingError(message)
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SettingError(message) from None
    if not isinstance(value, int) or not low <= value <= high:
        raise SettingError(message)
    return value
