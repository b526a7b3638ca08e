"""A drawing pad of the app's own: a canvas on `gr.HTML` that answers the pen at once.

Gradio's Sketchpad is a full image editor (layers, zoom, transforms), and in headless
Chromium here every mouse move over it cost 400-640 ms of page work; at the sizes the
Write tab needs it also zooms its canvas to 55% under a toolbar. This pad is a plain
<canvas> with pointer events (mouse, pen and touch alike; the page does not scroll while
a finger draws), an Undo and a Clear button, and nothing else.

Its value is the drawing as a PNG `data:` URL ("" when empty): the canvas's own pixels,
black ink on a transparent background, which the server turns into a glyph with
`normalize_glyph` like every other image. One event, `input`, fires for every change the
user makes (a stroke ends, a stroke is undone, the pad is cleared; on a live pad also every
`live_ms` while a stroke is drawn), so a listener with
trigger_mode="always_last" answers them in order and the last answer is the one shown. A
value set by the server (an example drawing, or "" to empty it) is drawn into the canvas
and fires nothing, so handlers never run twice for one change.

A ruled pad is lined like handwriting paper (`glyph_vae.pipelines.ruled.GUIDES`): four faint lines the
page draws under the canvas, never part of the ink or of the PNG it sends, so that a drawing's
size and place on the lines can be read with its shape (`glyph_vae.pipelines.ruled`).

While a cleared pad waits for its answer the pad carries `data-cleared`, so the page can
hide what was read from the drawing that is gone (see glyph_vae.ui.CSS): an answer still on
its way for it may arrive first, and must not show. A new stroke lifts it, and so does a
picture the server puts in the pad (an example, an upload), which comes with its own answer.
"""
import base64
import io

import numpy as np
from PIL import Image

import gradio as gr

TEMPLATE = """
<div class="pad-title">${title}</div>
<div class="pad-frame{{#if ruled}} ruled{{/if}}">
  {{#if ruled}}<svg class="pad-guides" aria-hidden="true">{{#each ruled}}<line class="guide-{{this.name}}" x1="0" x2="100%" y1="{{this.percent}}%" y2="{{this.percent}}%"/>{{/each}}</svg>{{/if}}
  <canvas width="${size}" height="${size}" role="img" aria-label="${title}: drawing area"></canvas>
  <span class="pad-hint" aria-hidden="true">${hint}</span>
</div>
<div class="pad-tools">
  <button type="button" class="pad-undo" aria-label="Undo the last stroke (${title})">Undo</button>
  <button type="button" class="pad-clear" aria-label="Clear (${title})">Clear</button>
</div>
"""

CSS = """
.pad-title { font-size: var(--block-label-text-size); color: var(--block-label-text-color); margin-bottom: 4px; }
.pad-frame { position: relative; width: 100%; max-width: ${size}px; aspect-ratio: 1; background: #fff;
             border-radius: var(--radius-md); }
canvas { position: relative; width: 100%; height: 100%; display: block; touch-action: none; cursor: crosshair;
         background: transparent; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
         box-sizing: border-box; }
/* The guides of lined paper, under the ink: a faint blue baseline a little stronger than the
   rest, a dashed x-height line, and fainter lines for the capitals' tops and the descenders. */
.pad-guides { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
.pad-guides line { stroke: #9db8d9; stroke-width: 1px; shape-rendering: crispEdges; }
.pad-guides .guide-cap, .pad-guides .guide-descender { stroke: #d3e0ef; }
.pad-guides .guide-x { stroke: #b7cbe4; stroke-dasharray: 5 4; }
.pad-frame.ruled .pad-hint { align-items: flex-start; padding-top: 4%; font-size: 13px; }
.pad-hint { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
            color: #b8b8b8; pointer-events: none; font-size: 14px; }
.pad-frame.inked .pad-hint { display: none; }
.pad-tools { display: flex; gap: 6px; margin-top: 6px; max-width: ${size}px; }
.pad-tools button { flex: 1; margin: 0; padding: 4px 8px; font-size: 13px; line-height: 1.3; border-radius: var(--radius-sm);
                    border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
                    color: var(--button-secondary-text-color); cursor: pointer; }
"""

JS = """
const canvas = element.querySelector('canvas');
const frame = element.querySelector('.pad-frame');
const ctx = canvas.getContext('2d');
const size = canvas.width;
let strokes = [];   // the user's strokes, each a list of [x, y] in canvas pixels
let base = null;    // an image the server set (an example drawing), drawn under the strokes
let current = null;
let sent = props.value || '';

const pen = () => {
  ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.strokeStyle = '#000'; ctx.fillStyle = '#000'; ctx.lineWidth = 2 * props.brush;
};
const dot = (p) => { pen(); ctx.beginPath(); ctx.arc(p[0], p[1], props.brush, 0, 2 * Math.PI); ctx.fill(); };
const segment = (a, b) => { pen(); ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke(); };
const inked = () => strokes.length > 0 || base !== null;
const redraw = () => {
  ctx.clearRect(0, 0, size, size);
  if (base) ctx.drawImage(base, 0, 0, size, size);
  for (const s of strokes) { dot(s[0]); for (let i = 1; i < s.length; i++) segment(s[i - 1], s[i]); }
  frame.classList.toggle('inked', inked());
};
const at = (e) => {
  const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * size / r.width, (e.clientY - r.top) * size / r.height];
};
const send = (event) => {
  sent = inked() ? canvas.toDataURL('image/png') : '';
  props.value = sent;
  trigger(event);
};

canvas.addEventListener('pointerdown', (e) => {
  if (e.pointerType === 'mouse' && e.button !== 0) return;
  e.preventDefault();
  delete element.dataset.cleared;
  canvas.setPointerCapture(e.pointerId);
  current = [at(e)];
  strokes.push(current);
  dot(current[0]);
  frame.classList.add('inked');
});
let lastLive = 0;
canvas.addEventListener('pointermove', (e) => {
  if (!current) return;
  e.preventDefault();
  for (const ev of (e.getCoalescedEvents ? e.getCoalescedEvents() : [e])) {
    const p = at(ev);
    segment(current[current.length - 1], p);
    current.push(p);
  }
  // Live pads send the drawing while the pen moves too, every `live` ms at most; the
  // listener's trigger_mode="always_last" keeps one request on its way, never a pile.
  if (props.live > 0 && performance.now() - lastLive >= props.live) {
    lastLive = performance.now();
    send('input');
  }
});
const lift = () => { if (!current) return; current = null; send('input'); };
canvas.addEventListener('pointerup', lift);
canvas.addEventListener('pointercancel', lift);
const emptied = () => { element.dataset.cleared = '1'; send('input'); };
element.querySelector('.pad-clear').addEventListener('click', () => {
  strokes = []; base = null; redraw(); emptied();
});
element.querySelector('.pad-undo').addEventListener('click', () => {
  if (!strokes.length) return;
  strokes.pop(); redraw();
  if (inked()) send('input'); else emptied();
});
// A value from the server replaces the drawing (and is not sent back). A picture from the
// server comes with its own answer (an example, an upload), so the pad is no longer cleared.
watch('value', () => {
  const value = props.value || '';
  if (value === sent) return;
  sent = value; strokes = []; base = null;
  if (!value) { redraw(); return; }
  delete element.dataset.cleared;
  const image = new Image();
  image.onload = () => { if (sent === value) { base = image; redraw(); } };
  image.src = value;
});
"""


RULED_HINT = "write on the lines"


def drawing_pad(*, label: str, canvas: int, brush: int, elem_id: str, extra_classes: tuple[str, ...] = (),
                live_ms: int = 0, ruled: bool = False, hint: str | None = None) -> gr.HTML:
    """A pad `canvas` px square (drawn at that resolution, shown at most that wide) with a
    round pen of radius `brush` px; with `live_ms` > 0 it also sends the drawing while the
    pen moves, every `live_ms` ms at most. A `ruled` pad shows the guides of lined paper;
    `hint` is the faint text of an empty pad."""
    from ..pipelines.ruled import GUIDES

    guides = [{"name": name, "percent": round(100 * at, 2)} for name, at in GUIDES.items()] if ruled else []
    return gr.HTML(value="", html_template=TEMPLATE, css_template=CSS, js_on_load=JS, elem_id=elem_id,
                   elem_classes=["glyph-pad", *extra_classes], title=label, size=canvas, brush=brush,
                   live=live_ms, ruled=guides, hint=hint or (RULED_HINT if ruled else "draw here"),
                   apply_default_css=True)


def image_value(path) -> str:
    """A PNG file as a pad value (a data: URL), e.g. an example drawing set by the server."""
    from pathlib import Path

    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


EXAMPLES_TEMPLATE = """
<div class="examples-title">${title}</div>
<div class="examples-row">
{{#each examples}}<button type="button" class="example" data-name="{{this.name}}" aria-label="{{this.label}}" title="{{this.label}}"><img src="{{this.src}}" alt=""></button>{{/each}}
</div>
"""

EXAMPLES_CSS = """
.examples-title { font-size: var(--block-label-text-size); color: var(--block-label-text-color); margin: 0 0 4px; }
.examples-row { display: flex; flex-wrap: wrap; gap: 6px; }
.example { width: ${thumb}px; height: ${thumb}px; padding: 2px; background: #fff; cursor: pointer;
           border: 1px solid var(--border-color-primary); border-radius: var(--radius-sm); }
.example:hover, .example:focus-visible { border-color: var(--color-accent); }
.example img { width: 100%; height: 100%; display: block; }
@media (max-width: 640px) { .examples-row { flex-wrap: nowrap; } .example { flex: 1; width: auto; height: auto; aspect-ratio: 1; min-width: 0; } }
"""

EXAMPLES_JS = """
element.addEventListener('click', (e) => {
  const button = e.target.closest('button.example');
  if (button) trigger('click', {name: button.dataset.name});
});
"""


def example_strip(drawings: dict[str, str], *, title: str, elem_id: str, thumb: int = 64) -> gr.HTML:
    """A row of example drawings to click, each a button named for screen readers
    ("Example drawing of K"). Its click event's data has the drawing's `name` (a key of
    `drawings`, which maps names to PNG files); the thumbnails are inlined at `thumb` px."""
    def thumbnail(path: str) -> str:
        image = Image.open(path).convert("L").resize((2 * thumb, 2 * thumb), Image.LANCZOS)  # sharp at 2x DPI
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    examples = [{"name": name, "label": f"Example drawing of {name}", "src": thumbnail(path)}
                for name, path in drawings.items()]
    return gr.HTML(value="", html_template=EXAMPLES_TEMPLATE, css_template=EXAMPLES_CSS, js_on_load=EXAMPLES_JS,
                   elem_id=elem_id, elem_classes=["example-strip"], title=title, examples=examples, thumb=thumb)


def picture_value(source, size: int) -> str:
    """Any picture the app reads (a photo, a scan, a drawing, either polarity) as a pad value:
    its ink, black on a transparent `size` px square, the picture fitted and centred, so the
    pad shows what is read and can be drawn over like the user's own drawing."""
    from ..glyphs.preprocess import ink_map, load_image

    picture = load_image(source)
    picture.thumbnail((size, size), Image.LANCZOS)
    ink = ink_map(picture)
    peak = float(ink.max(initial=0.0))
    alpha = np.clip(ink / peak, 0.0, 1.0) if peak > 0 else ink
    square = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    drawn = Image.merge("RGBA", [Image.new("L", picture.size, 0)] * 3
                        + [Image.fromarray(np.round(alpha * 255).astype(np.uint8))])
    square.paste(drawn, ((size - picture.width) // 2, (size - picture.height) // 2))
    buffer = io.BytesIO()
    square.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
