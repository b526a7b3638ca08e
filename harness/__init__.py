"""Driving the app as its users do, for the tests and the benchmarks (not part of the package).

- `harness.app`: `python app.py` in a subprocess, offline, on a free port;
- `harness.browser`: headless Chromium and drawing on the app's pads with the mouse or a finger;
- `harness.drawings`: image files of characters drawn as a user draws them;
- `harness.http`: calls over Gradio's plain HTTP API, reading the event stream as it arrives.
"""
