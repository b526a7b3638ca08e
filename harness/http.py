"""Calls over Gradio's plain HTTP API: `POST /gradio_api/call/<name>`, then its event stream.

gradio_client polls for a call's result every 50 ms, so its timings come in 50 ms steps;
reading the stream as it arrives measures the server itself, and shows every event it sends
(Gradio's warnings are not among them: this stream carries no `log` messages)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request


def post(app_url: str, route: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    """POST `body` to /gradio_api/<route>; (status, response text), also for HTTP errors."""
    request = urllib.request.Request(f"{app_url.rstrip('/')}/gradio_api/{route}", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def call_events(app_url: str, api: str, data: list | None = None, *, body: bytes | None = None) -> list[tuple[str, object]]:
    """Every (event, data) of one call of endpoint `api`, in order; the last is
    "complete" (data: the outputs) or "error" (data: {"error": message})."""
    status, text = post(app_url, f"call/{api}", body if body is not None else json.dumps({"data": data}).encode())
    if status != 200:
        raise RuntimeError(f"POST call/{api}: HTTP {status}: {text}")
    event_id = json.loads(text)["event_id"]
    events, event = [], None
    with urllib.request.urlopen(f"{app_url.rstrip('/')}/gradio_api/call/{api}/{event_id}", timeout=120) as response:
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[len("data: "):])))
                if event in ("complete", "error"):
                    break
    return events


def call(app_url: str, api: str, data: list | None = None, *, body: bytes | None = None) -> tuple[str, object]:
    """The last (event, data) of one call."""
    return call_events(app_url, api, data, body=body)[-1]
