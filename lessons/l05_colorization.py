"""Colourization: L2 regression of ab against per-pixel classification over ab bins.

A grey image is the L (lightness) channel of CIE Lab; colourizing it means predicting the
two colour channels ab.  Two copies of the same network (Zhang et al.'s layout,
``minigrad.models.ColorizationNet``, scaled down, output at a quarter of the input
resolution) learn it, one with each of the lecture's losses, written out in ``train``:

* **L2 regression**: 2 outputs per pixel, L2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖²
  (per image, ab / 110);
* **classification**: Q = 261 logits per pixel, one per in-gamut ab cell of side 10, targets
  Z soft-encoded (5 nearest cells, σ = 5), L(Ẑ, Z) = −1/HW Σ_{h,w} v_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q},
  decoded with the annealed mean (T = 0.38) unless said otherwise.

**Why L2 fails, under control** (``lessons/ambiguous_colors.py``).  Grey images hold a disc
and a square, each flat at its own lightness, on a textured grey background.  The square is
always purple; each disc is red (p = 0.6), green (0.2) or blue (0.2), all three at the same L
and chroma 45, so the grey image cannot tell which.  The best L2 answer on a disc is the
palette's mean, a greyish red of chroma 18 (0.40x the truth's); a perfect classifier predicts
the mixture, whose mean (T = 1) is that same dull colour, whose annealed mean (T = 0.38) has
chroma 38.7 and whose mode is red (44.7).  Chroma is measured on the output cells that lie
wholly inside an object, where the truth's chroma is exactly 45.  This classifier uses the
slide's plain cross entropy (v = 1): all colours are equally vivid, nothing needs rebalancing.
Claims (lecture: "Regressing to pixel values doesn't work"; "Regression with L2 loss
inadequate — use per-pixel multinomial classification"), "dull" meaning below 0.6x the
truth's chroma and "vivid" above it:
  * L2 regression is dull on the discs, and the same model colours the unambiguous squares
    more than 2x as strongly — the ambiguity, not the loss's reach, washes the discs out;
  * (full mode only) L2's squares are nearly as colourful as the truth (above 0.7x): quick
    mode's 300 steps leave L2 short of that on some seeds, so there it is only recorded;
  * classification decoded as its distribution's mean (T = 1) is just as dull; its annealed
    mean is vivid, and above 1.5x L2's chroma; its mode is as colourful as the truth (above
    0.85x) but paints nearly every disc the likeliest colour, red (more than 80 % of the
    disc cells, where the truth has 60 % red discs).

**Real photographs** (the second exhibit).  Crops of the seven natural photographs shipped in
the scikit-image / scikit-learn / matplotlib wheels: training crops from the left 70 % of each
photo, held-out crops from the right 30 %.  Here the classifier is Zhang et al.'s, with the
"colorfulness enhancing" class rebalancing v = w(nearest cell), w ∝ ((1 − λ) p̃ + λ/Q)⁻¹,
λ = ½, p̃ the smoothed ab prior of the training pixels.  We record mean Lab chroma and
Hasler & Süsstrunk's M of both models' outputs next to the truth's, and their ab error.
Only recorded (``asserted=False``), because at these sizes the seed decides them: that L2
regression has the lower held-out ab error, the quantity it minimises, and that
classification is more colourful (mean Lab chroma, Hasler-Süsstrunk M).  Over seeds 0..4
and two BLAS kernels, each of the three orders flips in quick mode, the first two in full
mode too, and M's order held in full mode by as little as 2.8 (of ~30).  The photos' colours
are mostly unambiguous and dull (sky, skin, wood), so the averaging that the controlled data
exposes is small here, and seven photos are few.

Both exhibits train both models alike: same initial draws, same batches, Adam at a constant
rate, then a cosine decay to 0 over the last 40 % of the steps.  BLAS runs on one thread
while the lesson runs (``one_blas_thread``), as in lesson 4.
"""
import math

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import color, metrics, optim
from minigrad.backend import to_numpy
from minigrad.data import ColorizationCrops, DataLoader, TensorDataset, available_photos, load_photo
from minigrad.data.transforms import resize
from minigrad.models import ColorizationNet
from minigrad.models.colorization import AB_SCALE, normalize_l
from lessons import ambiguous_colors as ambiguous
from lessons.common import Lesson, one_blas_thread, progress
from lessons.figures import colorization as figures

DOWN = 4  # ColorizationNet predicts at a quarter of the input resolution
#: decodings of the classifier, from the distribution's mean to its mode (T -> 0)
TEMPERATURES = (1.0, 0.6, 0.38, 0.2, 0.1)


def settings(quick):
    if quick:
        return dict(controlled=dict(size=32, width=8, steps=300, batch=16, n_test=128, lr=3e-3),
                    photos=dict(size=32, width=8, n_train=384, n_test=32, steps=120, batch=16, lr=3e-3))
    return dict(controlled=dict(size=32, width=8, steps=800, batch=16, n_test=256, lr=3e-3),
                photos=dict(size=48, width=16, n_train=1024, n_test=64, steps=500, batch=16, lr=3e-3))


def run(quick=False, seed=0):
    lesson = Lesson('l05_colorization', quick, seed)
    cfg = settings(quick)
    with one_blas_thread():  # small GEMMs: a 2nd BLAS thread only waits for a busy core
        # ---------------------------------------------------------------- controlled ambiguity
        lesson.slide("Regressing to pixel values doesn't work 😞")
        c = cfg['controlled']
        L_tr, ab_tr, _, _ = ambiguous.make_images(c['steps'] * c['batch'], c['size'], (seed, 0))
        L_te, ab_te, kind_te, disc_colour = ambiguous.make_images(c['n_test'], c['size'], (seed, 1))
        ab_tr_small = shrink(ab_tr)
        l2_model, _ = train(True, c, L_tr, ab_tr_small, seed)
        cls_model, _ = train(False, c, L_tr, ab_tr_small, seed)

        decoded = {'L2 regression': predict(l2_model, L_te)}
        decoded.update({f'T = {T}': predict(cls_model, L_te, T=T) for T in TEMPERATURES})
        decoded['mode'] = predict(cls_model, L_te, method='mode')
        cells = {kind: ambiguous.pure_cells(kind_te, k, DOWN)
                 for kind, k in (('disc', ambiguous.DISC), ('square', ambiguous.SQUARE))}
        chroma = {name: {kind: float(np.hypot(ab[:, 0], ab[:, 1])[mask].mean()) for kind, mask in cells.items()}
                  for name, ab in decoded.items()}
        ratio = {name: {kind: v / ambiguous.CHROMA for kind, v in by_kind.items()} for name, by_kind in chroma.items()}
        l2_disc_ab = decoded['L2 regression'].transpose(1, 0, 2, 3)[:, cells['disc']].mean(axis=1)
        mode_colours = nearest_palette_colour(decoded['mode'], cells['disc'])
        lesson.record(controlled=dict(
            settings=c, truth_chroma=ambiguous.CHROMA, chroma=chroma, chroma_over_truth=ratio,
            ideal_classifier_disc_chroma={f'T = {T}': ambiguous.ideal_disc_chroma(T=T) for T in TEMPERATURES}
            | {'mode': ambiguous.ideal_disc_chroma('mode')},
            palette_mean_ab=ambiguous.palette_mean(), l2_disc_mean_ab=l2_disc_ab,
            disc_colours_truth=colour_shares(disc_colour), disc_colours_mode=mode_colours))
        ann = f'T = {color.TEMPERATURE}'
        l2, mean, annealed, mode = (ratio[k] for k in ('L2 regression', 'T = 1.0', ann, 'mode'))
        lesson.claim("on the ambiguous discs L2 regression washes the colour out: chroma below 0.6x the truth's "
                     "(its optimum, the palette's mean, has 0.40x)", margin=0.6 - l2['disc'], l2_over_truth=l2['disc'])
        lesson.claim("the same L2 model colours the unambiguous squares: chroma above 2x its disc chroma",
                     margin=l2['square'] / l2['disc'] - 2, square_over_disc=l2['square'] / l2['disc'])
        lesson.claim("... nearly as vividly as the truth: square chroma above 0.7x the truth's",
                     margin=l2['square'] - 0.7, asserted=not quick, l2_over_truth=l2['square'])

        lesson.slide("Use per-pixel multinomial classification")
        lesson.claim("classification decoded as its distribution's mean (T = 1) is just as dull on the discs: "
                     "chroma below 0.6x the truth's", margin=0.6 - mean['disc'], mean_over_truth=mean['disc'])
        lesson.claim(f"decoded with the annealed mean ({ann}) it colours the discs vividly: chroma above 0.6x "
                     "the truth's", margin=annealed['disc'] - 0.6, annealed_over_truth=annealed['disc'])
        lesson.claim("... and above 1.5x L2 regression's (a perfect classifier: 2.15x L2's optimum)",
                     margin=annealed['disc'] / l2['disc'] - 1.5,
                     annealed_over_l2=annealed['disc'] / l2['disc'])
        lesson.claim("decoded with the mode (T -> 0) the discs are as colourful as the truth: chroma above 0.85x",
                     margin=mode['disc'] - 0.85, mode_over_truth=mode['disc'])
        lesson.claim("... but the mode paints (nearly) every disc the likeliest colour: red on more than 80 % of "
                     "the disc cells (truth: 60 % of the discs)", margin=mode_colours['red'] - 0.8,
                     red_share=mode_colours['red'])
        controlled_figure(lesson, L_te, ab_te, disc_colour, decoded, chroma, cells)

        # ---------------------------------------------------------------- real photographs
        lesson.slide("Color distribution cross-entropy loss with colorfulness enhancing term.")
        p = cfg['photos']
        L_tr, ab_tr, _ = load(RegionCrops(p['n_train'], p['size'], 'train', seed))
        L_te, ab_te, rgb_te = load(RegionCrops(p['n_test'], p['size'], 'test', seed))
        ab_tr_small = shrink(ab_tr)
        prior = color.bin_distribution(ab_tr_small)
        weights = color.rebalance_weights(prior).astype(np.float32)
        figures.bins_figure(lesson, prior, weights)
        models, losses = {}, {}
        for name, regression in (('L2 regression', True), ('classification', False)):
            models[name], losses[name] = train(regression, p, L_tr, ab_tr_small, seed, weights=weights)
        ab_out = {name: upsample(predict(m, L_te)) for name, m in models.items()}
        rgb_out = {name: to_rgb(L_te, ab) for name, ab in ab_out.items()}
        score = {name: colourfulness(rgb) for name, rgb in rgb_out.items()} | {'ground truth': colourfulness(rgb_te)}
        ab_rmse = {name: float(np.sqrt(((ab - ab_te) ** 2).mean())) for name, ab in ab_out.items()}
        sweep = {T: colourfulness(to_rgb(L_te, upsample(predict(models['classification'], L_te, T=T))))['chroma']
                 for T in TEMPERATURES}
        lesson.record(photos=dict(
            settings=p, photos=list(RegionCrops(1, 16, 'test').photos), bins=len(weights),
            bins_with_training_pixels=int((prior > 1e-4).sum()),
            weight_range=[float(weights.min()), float(weights.max())], held_out=score, ab_rmse_held_out=ab_rmse,
            chroma_vs_temperature={str(T): v for T, v in sweep.items()},
            final_loss={name: float(np.mean(v[-20:])) for name, v in losses.items()}))
        figures.photos_figure(lesson, L_te, rgb_out, rgb_te, range(6), score)
        figures.losses_figure(lesson, losses, sweep, score)

        reg, cls, truth = score['L2 regression'], score['classification'], score['ground truth']
        lesson.claim("L2 regression has the lower held-out ab error (RMSE), the quantity it minimises",
                     margin=ab_rmse['classification'] - ab_rmse['L2 regression'], asserted=False,
                     l2=ab_rmse['L2 regression'],
                     classification=ab_rmse['classification'])
        lesson.claim("photos: classification is more colourful than L2 regression (mean Lab chroma)",
                     margin=cls['chroma'] - reg['chroma'], asserted=False, classification=cls['chroma'],
                     l2=reg['chroma'], ground_truth=truth['chroma'])
        lesson.claim("photos: classification is more colourful than L2 regression (Hasler-Susstrunk M)",
                     margin=cls['hasler_susstrunk'] - reg['hasler_susstrunk'], asserted=False,
                     classification=cls['hasler_susstrunk'], l2=reg['hasler_susstrunk'],
                     ground_truth=truth['hasler_susstrunk'])
    return lesson.finish()


# ---------------------------------------------------------------- training and decoding
def train(regression, cfg, L, ab_small, seed, weights=None):
    """One model, one of the lecture's two losses; ``weights`` (Q,): Zhang et al.'s rebalancing."""
    mg.manual_seed(seed)  # same initial draws, same batches for both models
    model = ColorizationNet(width=cfg['width'], regression=regression, convs=(1,) * 8)
    opt = optim.Adam(model.parameters(), lr=cfg['lr'])
    # a constant rate, then a cosine decay to 0 over the last 40 % of the steps: the final weights
    # average over many batches instead of following the last few (which decide, e.g., the
    # classifier's odds of red against green on a disc)
    schedule = optim.lr_scheduler.LambdaLR(opt, lambda step: decay(step / cfg['steps']))
    loader = DataLoader(TensorDataset(normalize_l(L), ab_small), batch_size=cfg['batch'], shuffle=True,
                        drop_last=True)
    w = None if weights is None or regression else mg.tensor(weights).array  # on the model's backend
    losses, batches = [], iter(())
    model.train()
    for _ in progress(range(cfg['steps']), 'L2 regression' if regression else 'classification'):
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        x, ab = batch
        out = model(x)
        if regression:  # L2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖², per image, in units of ab / 110
            loss = 0.5 * ((out - ab / AB_SCALE) ** 2).sum() / len(x)
        else:           # L(Ẑ, Z) = −1/HW Σ_{h,w} v_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q}
            Z = mg.tensor(color.soft_encode(ab.array))              # (N, Q, h, w), sums to 1 over q
            per_pixel = -(Z * F.log_softmax(out, dim=1)).sum(dim=1)
            if w is not None:                                      # v = w(the pixel's nearest cell)
                per_pixel = per_pixel * mg.tensor(w[color.quantize_ab(ab.array)])
            loss = per_pixel.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return model, losses


def decay(fraction, tail=0.4):
    """Learning-rate factor: 1, then ½(1 + cos) from 1 to 0 over the last ``tail`` of training."""
    return 1.0 if fraction < 1 - tail else 0.5 * (1 + math.cos(math.pi * (fraction - (1 - tail)) / tail))


def predict(model, L, **decode):
    """ab (N, 2, H/4, W/4) as a NumPy array: the regression's output, or the decoded distribution."""
    return to_numpy(model.predict_ab(mg.tensor(normalize_l(L)), **decode))


def shrink(ab):
    """Targets at the network's output resolution: the mean ab of each DOWN x DOWN block."""
    with mg.no_grad():
        return F.avg_pool2d(mg.tensor(ab), DOWN).numpy()


def upsample(ab):
    """Bilinear x DOWN: the prediction at the input's resolution."""
    with mg.no_grad():
        return F.interpolate(mg.tensor(ab), scale_factor=DOWN, mode='bilinear').numpy()


def to_rgb(L, ab):
    return color.lab_to_rgb(np.concatenate([L, ab], axis=1))


def colourfulness(rgb):
    return {'chroma': float(np.mean(metrics.mean_chroma_lab(rgb))),
            'hasler_susstrunk': float(np.mean(metrics.colorfulness(rgb)))}


def controlled_figure(lesson, L, ab, disc_colour, decoded, chroma, cells):
    """The first test image with a red, a green and a blue disc (fixed, not picked), under each decoding."""
    rows = [int(np.flatnonzero(disc_colour == k)[0]) for k in range(len(ambiguous.DISC_PALETTE))]
    ann = f'T = {color.TEMPERATURE}'
    shown = {'L2 regression': 'L2 regression', 'T = 1.0': 'classification\nT = 1 (mean)',
             ann: f'classification\n{ann}', 'mode': 'classification\nT → 0 (mode)'}
    images = {'input: L': to_rgb(L[rows], 0 * ab[rows])}
    images |= {title: to_rgb(L[rows], upsample(decoded[name][rows])) for name, title in shown.items()}
    images['ground truth'] = to_rgb(L[rows], ab[rows])
    image_chroma = {title: [float(np.hypot(*decoded[name][i][:, cells['disc'][i]]).mean()) for i in rows]
                    for name, title in shown.items()} | {'ground truth': [ambiguous.CHROMA] * len(rows)}
    figures.ambiguity_figure(lesson, images, image_chroma, chroma,
                             {T: ambiguous.ideal_disc_chroma(T=T) for T in TEMPERATURES}, decoded, cells)


def nearest_palette_colour(ab, mask):
    """Shares of the masked cells whose ab lies nearest to each disc colour of the palette."""
    palette = np.stack([ambiguous.hue_ab(h) for _, h, _ in ambiguous.DISC_PALETTE])       # (K, 2)
    cells = ab.transpose(1, 0, 2, 3)[:, mask].T                                            # (M, 2)
    nearest = np.argmin(((cells[:, None] - palette[None]) ** 2).sum(-1), axis=1)
    return colour_shares(nearest)


def colour_shares(index):
    counts = np.bincount(index, minlength=len(ambiguous.DISC_PALETTE)) / max(len(index), 1)
    return {name: float(share) for (name, _, _), share in zip(ambiguous.DISC_PALETTE, counts)}


# ---------------------------------------------------------------- the photographs
#: The natural photographs that ship in the wheels (the microscopy image is left out).
NATURAL = ('astronaut', 'coffee', 'rocket', 'flower', 'grace_hopper', 'chelsea', 'china')
CUT = 0.7  # training crops come from the left 70 % of every photo, held-out crops from the rest


class RegionCrops(ColorizationCrops):
    """ColorizationCrops drawn from one side of every photo: ``part='train'`` the left
    ``CUT`` of its width, ``part='test'`` the right rest — so no held-out pixel was
    ever seen in training, yet the scenes (and their palettes) are the same."""

    def __init__(self, n, size, part, seed=0):
        super().__init__(n, size, split='train', seed=seed,
                         photos=[p for p in NATURAL if p in available_photos()])
        self.part = part

    def crop(self, index):
        rng = self.rng(index, 0 if self.part == 'train' else 1)
        img = load_photo(self.photos[index % len(self.photos)])
        H, W = img.shape[1:]
        lo, hi = (0, int(CUT * W)) if self.part == 'train' else (int(CUT * W), W)
        short = min(H, hi - lo)
        side = min(max(int(round(rng.uniform(*self.scale) * short)), min(self.size, short)), short)
        top = int(rng.integers(0, H - side + 1))
        left = lo + int(rng.integers(0, hi - lo - side + 1))
        return resize(img[:, top:top + side, left:left + side], self.size)


def load(ds):
    """All of a ColorizationCrops set as arrays: L (N,1,H,W), ab (N,2,H,W), rgb (N,3,H,W) (each crop cut once)."""
    rgb = np.stack([ds.rgb(i) for i in range(len(ds))])
    lab = color.rgb_to_lab(rgb)
    return lab[:, :1], lab[:, 1:], rgb


if __name__ == '__main__':
    run()
