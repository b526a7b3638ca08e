"""Loading by Hub repo id, offline, from a prepared Hugging Face cache (the real layout)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from glyph_vae import GlyphVAE, GlyphVAEConfig

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def prepare_cache(cache: Path, repo_id: str, model: GlyphVAE, revision: str = "main", commit: str = COMMIT) -> Path:
    """A Hugging Face cache as huggingface_hub leaves it: the model saved as one commit's
    snapshot, and a ref naming that commit."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    model.save_pretrained(snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / revision).write_text(commit)
    return snapshot


def load_in_subprocess(cache: Path, source: str) -> subprocess.CompletedProcess:
    code = ("import sys, torch; from glyph_vae import GlyphVAE; m = GlyphVAE.from_pretrained(sys.argv[1]);"
            "print(m.config.hidden, float(m.class_head[0].bias.sum()))")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_HOME": str(cache.parent)}
    return subprocess.run([sys.executable, "-c", code, source], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return GlyphVAE(GlyphVAEConfig.published(hidden=16))


def test_repo_id_loads_from_the_offline_cache(tmp_path, small_model):
    cache = tmp_path / "hub"
    prepare_cache(cache, "someone/glyph-vae", small_model)
    result = load_in_subprocess(cache, "someone/glyph-vae")
    assert result.returncode == 0, result.stderr
    hidden, bias = result.stdout.split()
    assert int(hidden) == 16
    assert float(bias) == pytest.approx(float(small_model.class_head[0].bias.detach().sum()), rel=1e-5)


def test_revision_suffix_is_honoured(tmp_path, small_model):
    cache = tmp_path / "hub"
    prepare_cache(cache, "someone/glyph-vae", small_model, revision="v1")
    assert load_in_subprocess(cache, "someone/glyph-vae@v1").returncode == 0
    missing = load_in_subprocess(cache, "someone/glyph-vae@v2")
    assert missing.returncode != 0 and "could not download someone/glyph-vae@v2" in missing.stderr


def test_missing_repo_offline_is_a_clear_error(tmp_path):
    result = load_in_subprocess(tmp_path / "empty", "nobody/no-such-model")
    assert result.returncode != 0
    assert "ModelLoadError" in result.stderr and "could not download nobody/no-such-model" in result.stderr


def test_corrupted_weights_in_the_cache_are_refused(tmp_path, small_model):
    cache = tmp_path / "hub"
    snapshot = prepare_cache(cache, "someone/glyph-vae", small_model)
    weights = snapshot / "model.safetensors"
    weights.write_bytes(b"\x00" * 64 + weights.read_bytes()[64:])
    result = load_in_subprocess(cache, "someone/glyph-vae")
    assert result.returncode != 0 and "not a readable safetensors file" in result.stderr


def test_hf_token_is_sent_for_private_repos(tmp_path):
    """HF_TOKEN (how a Space passes its secret) reaches the Hub as a bearer token: a local
    stand-in for the Hub endpoint records the request's Authorization header."""
    import http.server
    import threading

    seen: list[tuple[str, str | None]] = []

    class Hub(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(401)  # what the Hub answers for a private repo without access
            self.send_header("X-Error-Code", "RepoNotFound")
            self.end_headers()

        do_GET = do_HEAD

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = "from glyph_vae import GlyphVAE; GlyphVAE.from_pretrained('someone/private-glyphs')"
        env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}", "HF_HUB_OFFLINE": "0",
               "HF_TOKEN": "hf_private_test", "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HOME": str(tmp_path),
               "HF_HUB_DISABLE_TELEMETRY": "1"}
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
    finally:
        server.shutdown()
    repo_requests = [header for path, header in seen if "/someone/private-glyphs/" in path]
    assert repo_requests and all(header == "Bearer hf_private_test" for header in repo_requests), seen
    assert result.returncode != 0 and "could not download someone/private-glyphs" in result.stderr


def test_config_weights_and_sidecars_come_from_one_revision(tmp_path, small_model):
    """Two commits in the cache: v1 has the style axes, main (newer) has other weights and none.
    Each load takes every file from its own commit, never a mix."""
    cache = tmp_path / "hub"
    bundled = GlyphVAE.from_pretrained()
    prepare_cache(cache, "someone/glyph-vae", bundled, revision="v1", commit="1" * 40)
    prepare_cache(cache, "someone/glyph-vae", small_model, revision="main", commit="2" * 40)
    v1 = GlyphVAE.from_pretrained("someone/glyph-vae@v1", cache_dir=cache, local_files_only=True)
    assert v1.config == bundled.config and len(v1.style_axes) == 4 and v1.load_warnings == []
    main = GlyphVAE.from_pretrained("someone/glyph-vae", cache_dir=cache, local_files_only=True)
    assert main.config.hidden == 16 and main.style_axes == []
    assert "has no style_axes.json" in main.load_warnings[0]  # missing: said, not silently ignored


def test_a_hub_load_is_one_snapshot_download_of_the_models_files(tmp_path, small_model, monkeypatch):
    import huggingface_hub

    snapshot = prepare_cache(tmp_path / "hub", "someone/glyph-vae", small_model)
    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        return str(snapshot)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    GlyphVAE.from_pretrained("someone/glyph-vae@v3", token="hf_x")
    assert len(calls) == 1
    repo_id, kwargs = calls[0]
    assert repo_id == "someone/glyph-vae" and kwargs["revision"] == "v3" and kwargs["token"] == "hf_x"
    assert set(kwargs["allow_patterns"]) == {"config.json", "model.safetensors", "README.md", "style_axes.json", "ruled.safetensors",
                                             "training.json", "eval.json"}
