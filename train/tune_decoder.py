"""Fine-tune GlyphVAE's decoder to write legibly from any style, encoder frozen.

    python -m train.tune_decoder runs/glyph_vae/model --data ../shared/data/mnist.npz \
        --data ../shared/data/emnist_byclass_test.npz --epochs 5

Why: the ELBO only ever asks the decoder to redraw a glyph from that glyph's own
posterior. "Write like me" asks for something else: character y in a style z that
came from the prior, or from a drawing of a different character. Nothing in the
ELBO makes those (y, z) pairs read as y, and at the end of training a third of
them did not (an A from the style of a wide O came out as an O-like blob).

So each step adds a legibility term to the reconstruction: decode random classes
from styles the app really uses (z ~ N(0, I), and z from another glyph of the
batch), ink them as the app does, and ask GlyphVAE's own (frozen) reader to read
them as the class asked for. The reader's gradient flows only into the decoder.
This is the "consistency" idea of conditional generators trained against a
classifier (InfoGAN's mutual-information term, Chen et al. 2016; the
class-consistency loss of semi-supervised CVAEs), here with the reader the app
already ships. What counts as read right is the shape people would accept
(`ACCEPTED`): c read as C is right, since c/C, o/O, s/S... differ only by size on
the page, which the layout gives them; but l read as L is wrong, or the decoder
learns to draw every l as an L because a plain stroke is easily read as 1.

The encoder, the reader and the posterior over z do not move, so reading
accuracy and every style a user's drawings give stay exactly as they were; only
how a style is drawn changes. Run it last, on the finished model (its reader
with the class prior is the one the app reads with), then `train.style_axes`
again: the sliders are measured on decoded glyphs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from tqdm import tqdm

from glyph_vae.models.model import CHARSET, GlyphVAE, reconstruction_nll
from glyph_vae.pipelines.style import INK_FLOOR, INK_SPAN, ink_gain

from . import fine_tune
from .augment import augment
from .data import train_tensors
from .records import this_command

# Letters whose capital and small forms are the same shape in handwriting: asked for one,
# a reading of the other is right. Elsewhere case matters (a/A, l/L, i/I, ...).
SAME_SHAPE_IN_BOTH_CASES = "ckmopsuvwxyz"
# Shapes people cannot tell apart either: asked for one, any reading in the group is right.
LOOK_ALIKES = ("0Oo", "1Il")


def accepted_readings() -> torch.Tensor:
    """(C, C) bool: [asked, read] is True when a glyph asked for `asked` and read as `read` is right."""
    def ok(asked: str, read: str) -> bool:
        return (asked == read
                or (asked.lower() == read.lower() and asked.lower() in SAME_SHAPE_IN_BOTH_CASES)
                or any(asked in group and read in group for group in LOOK_ALIKES))
    return torch.tensor([[ok(a, b) for b in CHARSET] for a in CHARSET])


ACCEPTED = accepted_readings()


def ink_for_training(probabilities: torch.Tensor) -> torch.Tensor:
    """glyph_vae.pipelines.style.ink's curve in the forward pass, a smooth version of it in the
    backward pass (a straight-through estimator, Bengio et al. 2013): the hard curve
    has no gradient where a pixel is off, exactly where a missing stroke would go."""
    # The app first brings each glyph to full strength (style.full_strength); the gain is a
    # constant here (detached): the term is to teach the decoder strokes, not to move its peak.
    gain = torch.from_numpy(ink_gain(probabilities.detach().cpu().numpy())).to(probabilities.device)
    probabilities = torch.clamp(probabilities * gain, 0.0, 1.0)
    hard = torch.clamp((probabilities - INK_FLOOR) / INK_SPAN, 0.0, 1.0)
    soft = torch.sigmoid((probabilities - (INK_FLOOR + INK_SPAN / 2)) / 0.1)
    return soft + (hard - soft).detach()


def reading_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """-log p(a reading ACCEPTED for the asked-for character), averaged over the batch."""
    log_p = logits.log_softmax(dim=1)
    ok = ACCEPTED.to(logits.device)[targets]
    return -torch.logsumexp(log_p.masked_fill(~ok, float("-inf")), dim=1).mean()


def other_styles(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Styles as the app uses them, for a batch: half z ~ N(0, I) (no drawings,
    randomness 1), half another glyph's posterior (the batch rolled by one: almost
    surely another character and writer) at a random randomness in [0, 1]."""
    half = len(mu) // 2
    prior = torch.randn(half, mu.shape[1], generator=generator)
    rolled_mu, rolled_std = mu.roll(1, dims=0)[half:], (0.5 * logvar).exp().roll(1, dims=0)[half:]
    randomness = torch.rand(len(rolled_mu), 1, generator=generator)
    noise = torch.randn(rolled_mu.shape, generator=generator)
    return torch.cat([prior, rolled_mu + randomness * rolled_std * noise])


@torch.no_grad()
def legibility(model: GlyphVAE, classes: torch.Tensor, per_class: int = 16, seed: int = 0) -> float:
    """Share of glyphs from z ~ N(0, I) that the reader reads as asked (ACCEPTED, every class equally)."""
    generator = torch.Generator().manual_seed(seed)
    y = classes.repeat(per_class)
    z = torch.randn(len(y), model.config.latent_dim, generator=generator)
    glyphs = ink_for_training(torch.sigmoid(model.decode(y, z)))  # the app's ink, forward
    read = model.encode(glyphs)[0].argmax(1)
    return float(ACCEPTED[y, read].float().mean())


def main(argv: list[str] | None = None) -> Path:
    p = fine_tune.parser("python -m train.tune_decoder", __doc__, epochs=5, lr=3e-4,
                         model_help="model folder, updated in place (or written to --out)")
    p.add_argument("--out", default=None, help="write the tuned model here instead of in place")
    p.add_argument("--legibility-weight", type=float, default=80.0,
                   help="weight of the reader's NLL against the per-image reconstruction (~100 nats)")
    p.add_argument("--reader-augment", type=float, default=0.8,
                   help="share of drawn glyphs the reader sees augmented (0: reads them as drawn)")
    args = p.parse_args(argv)
    model = fine_tune.start(args)
    images, labels = train_tensors(args.data)
    classes = labels.unique()  # ask only for characters the data taught the decoder
    decoder_params = model.decoder_parameters()
    optimizer, schedule = fine_tune.adam_cosine(decoder_params, args, labels)
    generator = torch.Generator().manual_seed(args.seed)
    model.eval()  # no dropout or batch norm anywhere; eval only fixes the posterior to its mean in forward()
    read_right = legibility(model, classes)
    record = {"step": "tune_decoder", "command": this_command("python -m train.tune_decoder", argv),
              "epochs": args.epochs, "legibility_weight": args.legibility_weight,
              "reader_augment": args.reader_augment, "legibility_before": read_right}
    print(f"before: reader legibility of prior glyphs {read_right:.4f}", file=sys.stderr)
    with fine_tune.only_training(model, decoder_params):
        for epoch in range(args.epochs):
            bar = tqdm(fine_tune.shuffled_batches(images, labels, args, generator),
                       total=fine_tune.batches_per_epoch(labels, args),
                       desc=f"decoder epoch {epoch + 1}/{args.epochs}", mininterval=10)
            for x, y in bar:
                with torch.no_grad():
                    _, mu, logvar = model.encode(x, y)
                # Reconstruction from a posterior sample, the ELBO's term (the KL does not
                # depend on the decoder): keeps every style drawn as the writer drew it.
                z = mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp()
                recon = reconstruction_nll(model.decode(y, z), x)
                # Legibility: random characters in styles from elsewhere, read by the frozen reader.
                asked = classes[torch.randint(len(classes), (len(y),), generator=generator)]
                drawn = ink_for_training(torch.sigmoid(model.decode(asked, other_styles(mu, logvar, generator))))
                # Read through the training augmentation (Athalye et al. 2018's "expectation over
                # transformation"): a glyph that only reads right pixel for pixel is a trick
                # played on this reader, one that survives a tilt, a stretch and a bolder pen
                # is legible to other readers too.
                drawn = augment(drawn, generator, probability=args.reader_augment)
                read_nll = reading_nll(model.encode(drawn)[0], asked)
                loss = recon + args.legibility_weight * read_nll
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.set_postfix(recon=f"{recon.item():.1f}", read_nll=f"{read_nll.item():.3f}", refresh=False)
            read_right = legibility(model, classes)
            print(f"epoch {epoch + 1}: recon {recon.item():.1f}, read nll {read_nll.item():.3f}, "
                  f"reader legibility of prior glyphs {read_right:.4f}", file=sys.stderr, flush=True)
    record["legibility_after"] = read_right
    record["recon_last_batch"] = round(recon.item(), 2)
    return fine_tune.save_step(model, Path(args.out or args.model), record)


if __name__ == "__main__":
    main()
