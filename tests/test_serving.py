"""Serving concerns: the output files, which models the app runs (and what it says when it
cannot run the one asked for), and memory tuning."""
from __future__ import annotations

from pathlib import Path

import pytest

from glyph_vae.loading import load_models
from glyph_vae.serving import OutputFiles, tune_malloc


def test_output_files_are_named_by_content_and_written_once(tmp_path):
    files = OutputFiles(tmp_path / "out")
    a = files.save(b"one picture", "page.png")
    assert Path(a).read_bytes() == b"one picture" and Path(a).name == "page.png"
    assert files.save(b"one picture", "page.png") == a  # the same content: the same file
    assert files.save(b"another picture", "page.png") != a
    assert not list((tmp_path / "out").rglob("*.tmp"))  # written through a rename


def test_output_files_stay_within_their_bound_oldest_first(tmp_path):
    files = OutputFiles(tmp_path / "out", max_bytes=3000)
    paths = [files.save(bytes([i]) * 1000, f"f{i}.png") for i in range(3)]
    files.save(bytes([0]) * 1000, "f0.png")  # used again: now the newest
    newest = files.save(bytes([9]) * 1000, "f9.png")
    assert files.total_bytes <= 3000
    assert not Path(paths[1]).exists()  # the one used longest ago went first
    assert Path(paths[0]).exists() and Path(paths[2]).exists() and Path(newest).exists()


def test_output_files_are_removed_on_clean_up(tmp_path):
    files = OutputFiles(tmp_path / "out")
    files.save(b"x", "a.png")
    files.clean_up()
    assert not (tmp_path / "out").exists() and files.total_bytes == 0


def test_no_environment_means_the_bundled_models_one_record_each():
    models = load_models({})
    assert [r.name for r in models.records] == ["GlyphVAE", "MuddleAutoencoder", "DigitClassifier", "ChooserEnsemble"]
    assert models.glyph_vae.source == "bundled (assets/glyph_vae)" and models.warnings == []
    assert models.digits.health()["sha256"] == models.digits.model.weights_sha256[:16]


def test_a_model_that_cannot_be_loaded_is_replaced_and_the_record_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    models = load_models({"MUDDLE_MODEL": str(tmp_path / "empty"), "GLYPH_VAE_MODEL": " "})
    assert models.glyph_vae.warnings == ()  # blank: the bundled one, as intended
    (warning,) = models.muddle.warnings
    assert warning.startswith(f"Could not load MuddleAutoencoder from MUDDLE_MODEL={tmp_path / 'empty'}: ")
    assert "has no model.safetensors" in warning and ".." not in warning
    assert warning.endswith("Using the bundled weights instead.")
    assert models.muddle.source == "bundled (assets/muddle)"


def test_a_folder_named_in_the_environment_is_used(tmp_path):
    from glyph_vae.models.digits import DigitClassifier, DigitClassifierConfig

    DigitClassifier(DigitClassifierConfig(channels=4, hidden=8)).save_pretrained(tmp_path)
    models = load_models({"DIGIT_CLASSIFIER_MODEL": str(tmp_path)})
    assert models.digits.source == str(tmp_path) and models.digits.model.config.channels == 4


def test_tune_malloc_applies_where_there_is_glibc_and_is_a_no_op_elsewhere():
    import platform

    assert tune_malloc(trim_every_s=3600) is (platform.libc_ver()[0] == "glibc")


# -- request limits, host check, SIGTERM ----------------------------------------------------

def raw_request(app_url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                chunked: bool = False):
    """One HTTP request with full control of its headers and framing -> (status, headers, body)."""
    import http.client
    from urllib.parse import urlparse

    url = urlparse(app_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        if chunked:
            connection.putrequest(method, path, skip_host="Host" in (headers or {}))
            for name, value in {"Transfer-Encoding": "chunked", **(headers or {})}.items():
                connection.putheader(name, value)
            connection.endheaders()
            for start in range(0, len(body), 65536):
                piece = body[start:start + 65536]
                connection.send(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_request_body_over_the_limit_is_refused_before_gradio_reads_it(app_url, client):
    import json

    from glyph_vae.ui import MAX_REQUEST_BODY

    body = json.dumps({"data": [[], "x" * (MAX_REQUEST_BODY + 10), 0.0, 1]}).encode()
    for chunked in (False, True):
        status, _, text = raw_request(app_url, "POST", "/gradio_api/call/write", body,
                                      {"Content-Type": "application/json"}, chunked=chunked)
        assert status == 413 and b"send pictures and style files as uploads" in text
    small = json.dumps({"data": [[], "Hi", 0.0, 1]}).encode()
    status, _, _ = raw_request(app_url, "POST", "/gradio_api/call/write", small, {"Content-Type": "application/json"},
                               chunked=True)
    assert status == 200  # a chunked body within the limit is read as usual
    assert client.predict([], "still here", 0.0, 1, api_name="/write").endswith(".png")


def test_every_response_says_nosniff(app_url):
    page = raw_request(app_url, "GET", "/")
    assert page[0] == 200 and page[1].get("x-content-type-options") == "nosniff"
    from harness.http import call

    _, data = call(app_url, "write", [[], "Hi", 0.0, 1])  # the answer names the file's URL
    url = data[0]["url"]
    status, headers, _ = raw_request(app_url, "GET", url[url.index("/gradio_api/"):])
    assert status == 200 and headers.get("x-content-type-options") == "nosniff"


def test_a_local_instance_answers_only_the_loopback_host(app_url):
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert raw_request(app_url, "GET", "/", headers={"Host": host})[0] == 200
    for host in ("attacker.example", f"rebind.attacker.example:{port}"):
        status, _, text = raw_request(app_url, "GET", "/", headers={"Host": host})
        assert status == 400 and b"Invalid host header" in text


def test_a_space_listening_on_every_interface_checks_no_host():
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from glyph_vae.ui import launch_options

    def middleware(server_name):
        return [m.cls for m in launch_options(server_name)["app_kwargs"]["middleware"]]

    assert TrustedHostMiddleware in middleware("127.0.0.1")
    assert TrustedHostMiddleware not in middleware("0.0.0.0")


@pytest.mark.server
def test_sigterm_removes_the_output_folder_and_gradios_copies_and_a_start_removes_stale_ones(tmp_path):
    """A container's stop (SIGTERM) cleans up as Ctrl-C does; folders of a killed process go at the next start."""
    import signal

    from harness.app import running_app_process
    from harness.http import call

    temp, cache = tmp_path / "tmp", tmp_path / "gradio"
    temp.mkdir()
    stale = temp / "glyphvae_outputs_999999999_old"  # a pid no process has
    (stale / "x").mkdir(parents=True)
    with running_app_process(tmp_path / "app.log", TMPDIR=str(temp), GRADIO_TEMP_DIR=str(cache)) as (url, proc):
        assert not stale.exists()
        outputs = list(temp.glob(f"glyphvae_outputs_{proc.pid}_*"))
        assert len(outputs) == 1
        event, data = call(url, "write", [[], "Keep me", 0.0, 1])
        assert event == "complete"
        assert any(outputs[0].rglob("*.png")) and any(cache.rglob("*.png"))
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert not outputs[0].exists()
    assert not any(cache.rglob("*.png")), list(cache.rglob("*"))


def test_stale_output_folders_of_live_processes_are_kept(tmp_path):
    import os

    from glyph_vae.serving import remove_stale_output_folders

    live = tmp_path / f"glyphvae_outputs_{os.getppid()}_a"
    dead = tmp_path / "glyphvae_outputs_999999999_b"
    other = tmp_path / "glyphvae_outputs_abc"
    for folder in (live, dead, other):
        folder.mkdir()
    assert remove_stale_output_folders(tmp_path) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_the_app_serves_with_one_torch_thread_unless_told_otherwise():
    import torch

    from glyph_vae.serving import set_torch_threads

    before = torch.get_num_threads()
    try:
        assert set_torch_threads({}) == 1 and torch.get_num_threads() == 1
        assert set_torch_threads({"GLYPHVAE_TORCH_THREADS": "2"}) == 2 and torch.get_num_threads() == 2
        for bad, says in (("two", "a whole number of threads, not 'two'"), ("0", "at least 1, not 0")):
            with pytest.raises(ValueError, match=f"GLYPHVAE_TORCH_THREADS must be {says}"):
                set_torch_threads({"GLYPHVAE_TORCH_THREADS": bad})
    finally:
        torch.set_num_threads(before)
