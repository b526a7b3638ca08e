"""The app as an MCP server (`launch(mcp_server=True)`): an assistant lists its tools and
calls them with the `mcp` Python SDK, over streamable HTTP, as an MCP client does."""
from __future__ import annotations

import asyncio
import base64
import io
import threading
import ast

from PIL import Image

from glyph_vae.models.hub import bundled_path


def in_own_thread(coroutine_function):
    """Run an async function to completion in a thread of its own (the browser tests keep an
    event loop running in this one, where asyncio.run is refused)."""
    result = {}

    def run():
        try:
            result["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def mcp_session(app_url: str, work):
    """Run `work(session)` in an initialised MCP session with the running app."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(f"{app_url}gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    return in_own_thread(run)


def data_url(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def test_the_tools_are_the_endpoints_and_say_how_to_use_them(app_url):
    async def work(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in mcp_session(app_url, work)}
    assert {"classify", "classify_ruled", "write", "glyphs", "confuse", "health", "font", "write_svg"} <= set(tools)
    assert tools["classify_ruled"].description.startswith("Read one handwritten character (0-9, A-Z or a-z) written on ruled lines")
    classify = tools["classify"]
    assert classify.description.startswith("Read one handwritten character (0-9, A-Z or a-z) in an image.")
    assert classify.inputSchema["required"] == ["image"]
    assert "url to a file" in classify.inputSchema["properties"]["image"]["format"]  # a file, given as a URL
    write = tools["write"].inputSchema["properties"]
    assert set(write) == {"drawings", "text", "randomness", "seed"}
    assert "up to 500 characters" in write["text"]["description"]
    assert "byte for byte" in write["seed"]["description"]


def test_an_assistant_reads_a_drawing_and_writes_a_note(app_url):
    async def work(session):
        read = await session.call_tool("classify", {"image": data_url(bundled_path("examples", "drawn_A.png"))})
        style = [data_url(bundled_path("style_examples", "bold", f"{c}.png")) for c in "AK"]
        written = await session.call_tool("write", {"drawings": style, "text": "Call me", "randomness": 0.0,
                                                    "seed": 1})
        refused = await session.call_tool("write", {"drawings": [], "text": "Hi", "randomness": 2, "seed": 1})
        return read, written, refused

    read, written, refused = mcp_session(app_url, work)
    assert not read.isError
    reading = ast.literal_eval(read.content[0].text)  # Gradio gives a dict output as its repr
    assert reading["label"] == "A" and len(reading["confidences"]) == 5
    assert not written.isError
    image = next(c for c in written.content if c.type == "image")
    page = Image.open(io.BytesIO(base64.b64decode(image.data)))
    assert page.format == "PNG" and page.width > 100
    assert refused.isError and "Randomness must be between 0 and 1" in refused.content[0].text


def test_a_warning_reaches_every_kind_of_caller_in_the_file_it_concerns(app_url):
    """Text with characters the model cannot write: gradio_client, a plain HTTP caller and an
    MCP caller each find the "Left as gaps" warning in the PNG they get (its Warning chunk)."""
    import urllib.request

    from gradio_client import Client

    from harness.http import call_events

    said = "Left as gaps (not printable ASCII): '😀' '€'"
    by_client = Client(app_url, verbose=False).predict([], "a😀€b", 0.0, 0, api_name="/write")
    assert Image.open(by_client).text["Warning"] == said

    events = call_events(app_url, "write", [[], "a😀€b", 0.0, 0])
    assert [e for e, _ in events if e not in ("heartbeat", "generating")] == ["complete"]  # no log message
    with urllib.request.urlopen(events[-1][1][0]["url"]) as response:
        assert Image.open(io.BytesIO(response.read())).text["Warning"] == said

    async def work(session):
        return await session.call_tool("write", {"drawings": [], "text": "a😀€b", "randomness": 0.0, "seed": 0})

    written = mcp_session(app_url, work)
    assert not written.isError
    texts = [c.text for c in written.content if c.type == "text"]
    url = next(t.split(": ", 1)[1] for t in texts if t.startswith("Image URL: "))
    with urllib.request.urlopen(url) as response:
        assert Image.open(io.BytesIO(response.read())).text["Warning"] == said
