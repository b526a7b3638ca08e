"""Serving concerns of the app, apart from any tab: output files, memory, health.

- `OutputFiles`: where the app writes the files it answers with (PNG, GIF...): named by
  their content, written once and atomically, and bounded in total size; folders left by a
  process that was killed are removed at the next start;
- `RequestLimits`: request bodies bounded, responses never content-sniffed (ASGI middleware);
- `stop_on_sigterm`: a container's stop cleans up as Ctrl-C does;
- `tune_malloc`: keeps a long-running server's resident memory flat (glibc);
- `health_record`: what /health answers, computed once at start-up.
"""
from __future__ import annotations

import atexit
import ctypes
import hashlib
import io
import logging
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from .version import __version__

log = logging.getLogger(__name__)

APP_VERSION = __version__  # pyproject.toml's


class OutputFiles:
    """Content-addressed output files in one folder, at most `max_bytes` in all.

    Why files and not PIL images: given a PIL image, Gradio writes it to a content-named
    file in place, so two concurrent requests with the same picture can serve a
    half-written file ("Too much data for declared Content-Length"). A path we return is
    copied into Gradio's own cache instead. Writing through a temp file and a rename means
    no reader ever sees half a file, and the same content is stored once however often it
    is asked for. When the folder outgrows `max_bytes`, the files used longest ago go
    first (Gradio has its copy by then); the folder is removed when the process exits.
    """

    def __init__(self, folder: str | os.PathLike | None = None, max_bytes: int = 512 * 2**20):
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="glyphvae_outputs_"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._sizes: OrderedDict[Path, int] = OrderedDict()  # least recently used first
        self._total = 0
        self._lock = threading.Lock()

    def save(self, data: bytes, filename: str) -> str:
        """Store `data` as `filename` in a folder named by its content; returns the path."""
        path = self.folder / hashlib.sha256(data).hexdigest()[:32] / filename
        with self._lock:
            if path in self._sizes:
                self._sizes.move_to_end(path)
                if path.exists():
                    return str(path)
                self._total -= self._sizes.pop(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{filename}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            self._sizes[path] = len(data)
            self._total += len(data)
            self._evict()
        return str(path)

    def png(self, image, name: str = "image") -> str:
        """A PIL image as a content-named PNG file."""
        buffer = io.BytesIO()
        # zlib level 1, not PIL's 6: a few times faster for a slightly larger file, and a
        # request's time is what a user waits for (docs/experiments/choices.md).
        image.save(buffer, format="PNG", compress_level=1)
        return self.save(buffer.getvalue(), f"{name}.png")

    @property
    def total_bytes(self) -> int:
        return self._total

    def _evict(self) -> None:
        while self._total > self.max_bytes and len(self._sizes) > 1:
            old, size = self._sizes.popitem(last=False)
            self._total -= size
            shutil.rmtree(old.parent, ignore_errors=True)

    def clean_up(self) -> None:
        """Remove the folder and everything in it."""
        with self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._sizes.clear()
            self._total = 0

    @classmethod
    def for_this_process(cls, max_bytes: int = 512 * 2**20) -> "OutputFiles":
        """A fresh folder named with this process's id, removed again when the process exits;
        the folders of earlier processes that are gone (killed, so their exit handler never
        ran) are removed first."""
        remove_stale_output_folders()
        files = cls(tempfile.mkdtemp(prefix=f"{OUTPUT_PREFIX}{os.getpid()}_"), max_bytes=max_bytes)
        atexit.register(files.clean_up)
        return files


OUTPUT_PREFIX = "glyphvae_outputs_"


def remove_stale_output_folders(parent: str | os.PathLike | None = None) -> list[Path]:
    """Remove the output folders (`glyphvae_outputs_<pid>_...`) whose process no longer runs; -> those removed."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{OUTPUT_PREFIX}*"):
        match = re.match(rf"{OUTPUT_PREFIX}(\d+)_", folder.name)
        pid = int(match.group(1)) if match else None
        # A folder named with this very pid was left by an earlier process (a container's
        # app often runs as the same pid each time): ours is made after this runs.
        if pid is None or not folder.is_dir() or (pid != os.getpid() and _running(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stop_on_sigterm() -> None:
    """Treat SIGTERM (what `docker stop` and a Space's restart send) as Ctrl-C: Gradio then
    closes the server and deletes its cache copies, and the exit handlers remove the app's
    output folder. Without this a SIGTERM ends the process with both left on disk."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


class RequestLimits:
    """ASGI middleware: request bodies over `max_body` bytes are refused with HTTP 413 before
    Gradio reads them (Gradio keeps a call's inputs with its session, so a 20 MB text would
    stay in memory), except on the routes in `own_limits`, whose own limit applies (uploads:
    `launch(max_file_size=...)`); and every response carries `X-Content-Type-Options:
    nosniff`, so a browser never runs an uploaded file as a page or a script."""

    def __init__(self, app, max_body: int, own_limits: dict[str, int | None] | None = None):
        self.app, self.max_body, self.own_limits = app, max_body, own_limits or {}

    def limit(self, path: str) -> int | None:
        for prefix, limit in self.own_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_nosniff(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*[(k, v) for k, v in message.get("headers", [])
                                                    if k.lower() != b"x-content-type-options"],
                                                  (b"x-content-type-options", b"nosniff")]}
            await send(message)

        limit = self.limit(scope["path"])
        if limit is None or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send_nosniff)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self.refuse(limit, send_nosniff)
        # Read the body (at most `limit` bytes) before the app sees it: a body sent without a
        # length (chunked) is bounded too.
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await self.refuse(limit, send_nosniff)
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send_nosniff)

    @staticmethod
    async def refuse(limit: int, send) -> None:
        body = json.dumps({"detail": f"The request is larger than {limit:,} bytes, this route's limit: send "
                                     "pictures and style files as uploads."}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


TORCH_THREADS_VARIABLE = "GLYPHVAE_TORCH_THREADS"


def set_torch_threads(environ=None) -> int:
    """Torch's intra-op threads for serving: GLYPHVAE_TORCH_THREADS, default 1.

    A request's tensors are small (one glyph, a page's few dozen strokes): split over threads
    they cost more in hand-offs than they save, and requests served at once then fight for the
    same cores (bench/strokes measures a page both ways). Requests run side by side on Gradio's
    worker threads instead. Returns the number set."""
    import torch

    environ = os.environ if environ is None else environ
    raw = environ.get(TORCH_THREADS_VARIABLE, "1")
    try:
        threads = int(raw)
    except ValueError:
        raise ValueError(f"{TORCH_THREADS_VARIABLE} must be a whole number of threads, not {raw!r}.") from None
    if threads < 1:
        raise ValueError(f"{TORCH_THREADS_VARIABLE} must be at least 1, not {threads}.")
    torch.set_num_threads(threads)
    return threads


def tune_malloc(arenas: int = 2, trim_every_s: float = 5.0) -> bool:
    """Keep the server's resident memory flat under a long run of requests (glibc only).

    glibc gives each new thread its own malloc arena (up to 8 per core) and rarely hands
    their freed pages back, so a server whose requests run on a pool of worker threads
    creeps upwards: a couple of shared arenas, and malloc_trim now and then, stop that.
    (A fixed mmap threshold as well did no better, and every large tensor then came from a
    fresh mapping and its page faults, which slowed the handlers. The soak's figures are in
    docs/experiments/choices.md.)
    Must run before the worker threads start; returns False where there is no glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        return False

    def trim_now_and_then():
        # Free pages inside the heaps go back to the system only when the top of a heap
        # is free; malloc_trim hands back the free pages anywhere in them. A few ms, off
        # the request path, every few seconds.
        while True:
            time.sleep(trim_every_s)
            libc.malloc_trim(0)

    threading.Thread(target=trim_now_and_then, name="malloc_trim", daemon=True).start()
    return True


def health_record(models) -> dict:
    """/health's answer: the app's version, its libraries, and which weights each model runs."""
    import gradio
    import torch

    return {"status": "ok", "app_version": APP_VERSION, "gradio": gradio.__version__, "torch": torch.__version__,
            "models": {record.name: record.health() for record in models.records},
            "warnings": models.warnings}
