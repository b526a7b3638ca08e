"""The experiment behind docs/experiments/decoder.md (a record, not part of the app or its tests).

    python docs/experiments/decoder_probe.py same 18    # the bundled decoder's architecture, fresh weights
    python docs/experiments/decoder_probe.py big 18     # upsampling + residual blocks

The bundled encoder frozen; a fresh decoder trained on reconstruction alone (z sampled from the
frozen posterior q(z|x,y)) for a fixed wall-clock budget on one thread; then the Frechet distance,
in the write-like-me judge's features, of the other half's real test glyphs redrawn from their own
posterior mean, as bench/write_like_me.py measures its bound."""
import sys, time, json
sys.path.insert(0, "/work/main")
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
kind, minutes = sys.argv[1], float(sys.argv[2])
torch.manual_seed(0)
from glyph_vae import GlyphVAE
from glyph_vae.style import full_strength, ink
from train.data import train_tensors
from train.augment import augment

base = GlyphVAE.from_pretrained("/work/main/assets/glyph_vae").eval()
for p in base.parameters():
    p.requires_grad_(False)

class Res(nn.Module):
    def __init__(s, c):
        super().__init__(); s.a = nn.Conv2d(c, c, 3, padding=1); s.b = nn.Conv2d(c, c, 3, padding=1); s.n = nn.GroupNorm(8, c); s.m = nn.GroupNorm(8, c)
    def forward(s, x):
        return x + s.b(F.relu(s.m(s.a(F.relu(s.n(x))))))

class BigDecoder(nn.Module):
    """(class, z) -> MLP -> 128x7x7 -> res -> up x2, conv 64 -> res -> up x2, conv 32 -> res -> conv 1."""
    def __init__(s, latent=64, classes=62):
        super().__init__()
        s.mlp = nn.Sequential(nn.Linear(latent + classes, 512), nn.ReLU(), nn.Linear(512, 128 * 49), nn.ReLU())
        s.net = nn.Sequential(Res(128), nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(128, 64, 3, padding=1), nn.ReLU(),
                              Res(64), nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
                              Res(32), nn.Conv2d(32, 1, 3, padding=1))
    def forward(s, y, z):
        y = F.one_hot(y.long(), 62).float()
        return s.net(s.mlp(torch.cat([y, z], 1)).view(-1, 128, 7, 7))

if kind == "big":
    dec = BigDecoder()
    decode = dec
    params = list(dec.parameters())
else:  # the bundled architecture, fresh weights
    fresh = GlyphVAE(base.config)
    decode = fresh.decode
    params = fresh.decoder_parameters()
print(kind, "decoder parameters", sum(p.numel() for p in params), flush=True)
images, labels = train_tensors(["/work/shared/data/mnist.npz", "/work/shared/data/emnist_byclass_test.npz"])
opt = torch.optim.Adam(params, lr=1e-3)
g = torch.Generator().manual_seed(0)
start, step, seen = time.time(), 0, 0
while time.time() - start < 60 * minutes:
    idx = torch.randint(0, len(labels), (128,), generator=g)
    x = images[idx].float().div(255).unsqueeze(1); y = labels[idx]
    with torch.no_grad():
        _, mu, lv = base.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * lv).exp()
    loss = F.binary_cross_entropy_with_logits(decode(y, z), x, reduction="sum") / len(y)
    opt.zero_grad(); loss.backward(); opt.step(); step += 1; seen += len(y)
    if step % 200 == 0:
        print(f"step {step} loss {loss.item():.1f} ({seen / (time.time() - start):.0f} img/s)", flush=True)

from bench.write_like_me import load_test, disjoint_halves, class_balanced_weights, frechet_distance
from bench import char_classifier as judge
from pathlib import Path
d = Path("/work/shared/data")
clf = judge.load(d)
gl, lab, raw = load_test(d)
rng = np.random.default_rng(0)
a, b = disjoint_halves(lab, 100, rng)
_, fa = judge.predict(clf, gl[a]); wa = class_balanced_weights(lab[a]); wb = class_balanced_weights(lab[b])
with torch.no_grad():
    x = torch.from_numpy(gl[b])[:, None]; y = torch.from_numpy(lab[b])
    _, mu, _ = base.encode(x, y)
    logits = torch.cat([decode(y[i:i+1024], mu[i:i+1024]) for i in range(0, len(y), 1024)])
    p = torch.sigmoid(logits)[:, 0].numpy()
    nats = float(F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(y))
out = {"kind": kind, "minutes": minutes, "steps": step, "images": seen, "params": sum(q.numel() for q in params),
       "test_recon_nats_at_mean": round(nats, 1),
       "fd_raw": round(frechet_distance(judge.predict(clf, p)[1], fa, wb, wa), 2),
       "fd_as_written": round(frechet_distance(judge.predict(clf, ink(full_strength(p)))[1], fa, wb, wa), 2)}
print(json.dumps(out), flush=True)
