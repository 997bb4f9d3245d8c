"""Colourization: L2 regression of ab against per-pixel classification over ab bins.

A grey image is the L (lightness) channel of CIE Lab; colourizing it means predicting
the two colour channels ab.  Two copies of the same network (Zhang et al.'s layout,
``minigrad.models.ColorizationNet``, scaled down, output at a quarter of the input
resolution) learn it from crops of the real photographs shipped inside the
scikit-image / scikit-learn / matplotlib wheels:

* **L2 regression** (``regression=True``): 2 outputs per pixel, trained with the
  lecture's  L2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖²  (per image, ab / 110).
* **classification**: Q = 261 logits per pixel, one per in-gamut ab cell of side 10;
  targets Z are soft-encoded (5 nearest cells, σ = 5), the loss is
  −1/HW Σ_{h,w} v_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q}  with class-rebalancing weights
  v = w(nearest cell), w ∝ ((1 − λ) p̃ + λ/Q)⁻¹, λ = ½, p̃ the smoothed ab prior of the
  training pixels; predictions are decoded with the annealed mean (T = 0.38).

The crops come from all seven natural photographs: training crops from the left 70 %
of each photo, held-out crops from the right 30 %, so no held-out pixel was seen in
training but the scenes are the same.  Each model colourizes the held-out crops, and
we measure how colourful the results are — mean chroma √(a² + b²) in Lab and Hasler &
Süsstrunk's M — next to the ground truth, and their ab error.

Claims tested (lecture: "Regressing to pixel values doesn't work"; "Regression with L2
loss inadequate — use per-pixel multinomial classification"; Zhang et al.'s
"colourfulness-enhancing" rebalancing):
  * L2 regression washes the colours out: classification is more colourful, by mean
    Lab chroma and by Hasler–Süsstrunk colourfulness.
  * ... although L2 regression wins on the number it optimises: its held-out ab error
    (RMSE) is lower.  Averaging the plausible colours is the best guess in the L2 sense
    and the dullest picture.

Not claimed, because our runs do not support it: "classification is closer to the
ground truth's colourfulness".  In full mode L2 lands a little *below* the truth's mean
chroma and classification clearly *above* it (λ = ½ and T = 0.38 are the values Zhang
et al. chose for ImageNet's grey-heavy prior, not for seven photos), so L2 is closer
in the mean.  Both numbers are in results.json (``chroma_gap_to_truth``) and in the
temperature panel of losses_and_temperature.png.

BLAS runs on one thread while the lesson runs (``one_blas_thread``), as in lesson 4.

Measured (2 CPU cores, NumPy backend, other jobs running): full mode (64x64 crops, width
16, 600 steps of 16 crops per model) ~2.5 min; quick mode (32x32, width 8, 300 steps)
~20 s.  Full mode, when this was written: mean chroma L2 17.2, classification 24.7,
ground truth 19.6 (Hasler–Süsstrunk M 27.3, 36.4, 28.5); ab RMSE L2 18.5,
classification 23.1.  The decoding temperature moves the classifier's chroma by less
than 1 between T = 0.1 and T = 1: its distributions are already peaked.
"""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import color, metrics, optim
from minigrad.data import ColorizationCrops, DataLoader, TensorDataset, available_photos, load_photo
from minigrad.data.transforms import resize
from minigrad.models import ColorizationNet
from minigrad.models.colorization import AB_SCALE, normalize_l
from lessons.common import Lesson, one_blas_thread, progress

NAMES = {True: 'L2 regression', False: 'classification'}
DOWN = 4  # ColorizationNet predicts at a quarter of the input resolution


def settings(quick):
    if quick:
        return dict(size=32, width=8, n_train=512, n_test=32, steps=300, batch=16, lr=3e-3)
    return dict(size=64, width=16, n_train=1024, n_test=64, steps=600, batch=16, lr=3e-3)


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
    """All of a ColorizationCrops set as arrays: L (N,1,H,W), ab (N,2,H,W), rgb (N,3,H,W)."""
    L, ab = zip(*(ds[i] for i in range(len(ds))))
    return np.stack(L), np.stack(ab), np.stack([ds.rgb(i) for i in range(len(ds))])


def shrink(ab):
    """Targets at the network's output resolution: the mean ab of each DOWN x DOWN block."""
    with mg.no_grad():
        return F.avg_pool2d(mg.tensor(ab), DOWN).numpy()


def l2_loss(pred, target):
    """The lecture's ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖², averaged over the images of the batch."""
    return 0.5 * ((pred - target) ** 2).sum() / pred.shape[0]


def classification_loss(logits, ab, weights):
    """Cross entropy against soft-encoded ab, each pixel weighted by its colour's rarity."""
    Z = color.soft_encode(ab.data)                    # (N, Q, h, w), sums to 1 over Q
    v = weights[color.quantize_ab(ab.data)]           # (N, h, w): w of the nearest cell
    return F.cross_entropy(logits, mg.tensor(Z), pixel_weight=v)


def train_one(regression, cfg, L, ab_small, weights):
    mg.manual_seed(0)  # same initial draws, same batches for both models
    model = ColorizationNet(width=cfg['width'], regression=regression, convs=(1,) * 8)
    opt = optim.Adam(model.parameters(), lr=cfg['lr'])
    loader = DataLoader(TensorDataset(normalize_l(L), ab_small), batch_size=cfg['batch'], shuffle=True,
                        drop_last=True)
    losses, batches = [], iter(())
    model.train()
    for _ in progress(range(cfg['steps']), NAMES[regression]):
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        x, ab = batch
        out = model(x)
        loss = l2_loss(out, ab / AB_SCALE) if regression else classification_loss(out, ab, weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return model, losses


def colourize(model, L, **decode):
    """ab at full resolution (bilinear x4 of the prediction) and the RGB image it makes with L."""
    with mg.no_grad():
        ab = model.predict_ab(mg.tensor(normalize_l(L)), **decode)
        ab = F.interpolate(mg.tensor(ab), scale_factor=DOWN, mode='bilinear').numpy()
    return ab, color.lab_to_rgb(np.concatenate([L, ab], axis=1))


def colourfulness(rgb):
    return {'chroma': float(np.mean(metrics.mean_chroma_lab(rgb))),
            'hasler_susstrunk': float(np.mean(metrics.colorfulness(rgb)))}


def bins_figure(lesson, prior, weights):
    """The Q in-gamut ab cells, the training pixels' prior over them, and the rebalancing weights."""
    import matplotlib.pyplot as plt
    centres = np.asarray(color.ab_gamut_bins())
    g = color.GRID
    lo = int(centres.min() // g)
    n = int(centres.max() // g) - lo + 1
    idx = ((centres - lo * g) / g).round().astype(int)
    extent = (lo * g - g / 2, (lo + n) * g - g / 2, lo * g - g / 2, (lo + n) * g - g / 2)

    def grid(values, fill=np.nan):
        out = np.full((n, n) + np.shape(values)[1:], fill, dtype=float)
        out[idx[:, 1], idx[:, 0]] = values  # rows: b, columns: a
        return out

    lab = np.concatenate([np.full((len(centres), 1), 60.0), centres], 1).T[:, :, None]
    swatch = color.lab_to_rgb(lab.astype(np.float32), axis=0)[:, :, 0].T
    fig, axes = plt.subplots(1, 3, figsize=(18, 5.2), layout='constrained')
    axes[0].imshow(grid(swatch, 1.0), origin='lower', extent=extent, interpolation='nearest')
    axes[0].set_title(f'the Q = {len(centres)} ab cells sRGB reaches\n(drawn at L = 60, clipped to sRGB)')
    im = axes[1].imshow(grid(np.log10(np.maximum(prior, 1e-12))), origin='lower', extent=extent,
                        cmap='viridis', vmin=-6, interpolation='nearest')
    fig.colorbar(im, ax=axes[1], fraction=0.046, label='log10 p̃(q)')
    axes[1].set_title('smoothed prior p̃ of the training pixels\n(most mass near grey, a = b = 0)')
    im = axes[2].imshow(grid(weights), origin='lower', extent=extent, cmap='magma', interpolation='nearest')
    fig.colorbar(im, ax=axes[2], fraction=0.046, label='weight w(q)')
    axes[2].set_title(f'rebalancing weights, λ = {color.LAMBDA}\n'
                      f'(w from {weights.min():.2f} for common to {weights.max():.2f} for rare colours)')
    for ax in axes:
        ax.set_xlabel('a (green − / red +)')
        ax.set_ylabel('b (blue − / yellow +)')
    lesson.figure(fig, 'ab_bins_prior_weights.png')


def examples_figure(lesson, rows):
    """rows: list of (label, L, rgb_l2, rgb_cls, rgb_true) for single images."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(rows), 4, figsize=(11, 2.85 * len(rows)))
    for r, (label, L, *images) in enumerate(rows):
        grey = color.lab_to_rgb(np.concatenate([L, np.zeros_like(L), np.zeros_like(L)]))
        panels = [(grey.transpose(1, 2, 0), 'input: L only (a = b = 0)')]
        for name, img in zip(('L2 regression', 'classification (T = 0.38)', 'ground truth'), images):
            panels.append((img.transpose(1, 2, 0), f'{name}\nchroma {metrics.mean_chroma_lab(img):.1f}'))
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.clip(img, 0, 1))
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(f'{label}\ny (pixels)', fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel('x (pixels)')
    fig.suptitle('L in, ab out, on held-out crops (the right 30 % of each photo, never trained on)')
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    lesson.figure(fig, 'colorizations.png')


def curves_figure(lesson, losses, sweep, reg_score, true_score):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.2))
    for ax, regression in zip(axes[:2], (True, False)):
        y = np.asarray(losses[regression])
        w = max(1, len(y) // 30)
        ax.plot(y, alpha=0.3, lw=0.7)
        ax.plot(np.arange(w - 1, len(y)), np.convolve(y, np.ones(w) / w, mode='valid'), label=f'mean of {w} steps')
        ax.set_xlabel('training step')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_title('L2 regression: ½ Σ ‖Y − Ŷ‖² per image (ab / 110)')
    axes[0].set_ylabel('loss (log scale)')
    axes[0].set_yscale('log')
    axes[1].set_title('classification: rebalanced cross entropy')
    axes[1].set_ylabel('loss (per pixel)')
    temps = [t for t, _ in sweep]
    axes[2].plot(temps, [s['chroma'] for _, s in sweep], 'o-', label='classification, annealed mean')
    axes[2].axhline(reg_score['chroma'], color='tab:orange', ls='--', label='L2 regression')
    axes[2].axhline(true_score['chroma'], color='k', ls=':', label='ground truth')
    axes[2].axvline(color.TEMPERATURE, color='grey', lw=0.8, label=f'T = {color.TEMPERATURE} (used above)')
    axes[2].set_xscale('log')
    axes[2].set_xlabel('temperature T (1 = mean of the distribution, → 0: its mode)')
    axes[2].set_ylabel('mean chroma (Lab units)')
    axes[2].set_title('held-out colourfulness vs decoding temperature')
    axes[2].grid(alpha=0.3)
    axes[2].legend(fontsize=8)
    lesson.figure(fig, 'losses_and_temperature.png')


def run(quick=False, seed=0):
    lesson = Lesson('l05_colorization', quick, seed)
    cfg = settings(quick)
    with one_blas_thread():  # small GEMMs: a 2nd BLAS thread only waits for a busy core
        L_tr, ab_tr, _ = load(RegionCrops(cfg['n_train'], cfg['size'], 'train'))
        L_te, ab_te, rgb_te = load(RegionCrops(cfg['n_test'], cfg['size'], 'test'))

        ab_tr_small = shrink(ab_tr)
        prior = color.bin_distribution(ab_tr_small)
        weights = color.rebalance_weights(prior).astype(np.float32)
        bins_figure(lesson, prior, weights)

        models, losses = {}, {}
        for regression in (True, False):
            models[regression], losses[regression] = train_one(regression, cfg, L_tr, ab_tr_small,
                                                               mg.tensor(weights).data)
        out = {r: colourize(models[r], L_te) for r in models}
        score = {r: colourfulness(out[r][1]) for r in models}
        truth = colourfulness(rgb_te)
        ab_rmse = {r: float(np.sqrt(((out[r][0] - ab_te) ** 2).mean())) for r in models}
        sweep = [(T, colourfulness(colourize(models[False], L_te, T=T)[1])) for T in (1.0, 0.6, 0.38, 0.2, 0.1)]

        lesson.record(settings=cfg, photos=list(RegionCrops(1, 16, 'test').photos), bins=len(weights),
                      bins_with_training_pixels=int((prior > 1e-4).sum()),
                      weight_range=[float(weights.min()), float(weights.max())],
                      held_out={NAMES[r]: score[r] for r in models} | {'ground truth': truth},
                      ab_rmse_held_out={NAMES[r]: ab_rmse[r] for r in models},
                      chroma_vs_temperature={str(T): v['chroma'] for T, v in sweep},
                      final_loss={NAMES[r]: float(np.mean(losses[r][-20:])) for r in models})

        rows = [(f'held-out crop {i}', L_te[i], out[True][1][i], out[False][1][i], rgb_te[i]) for i in range(6)]
        examples_figure(lesson, rows)
        curves_figure(lesson, losses, sweep, score[True], truth)

        reg, cls = score[True], score[False]
        lesson.record(chroma_gap_to_truth={NAMES[r]: score[r]['chroma'] - truth['chroma'] for r in models})
        lesson.claim('classification is more colourful than L2 regression (mean Lab chroma)',
                     cls['chroma'] > reg['chroma'], classification=cls['chroma'], l2=reg['chroma'],
                     ground_truth=truth['chroma'], margin=cls['chroma'] - reg['chroma'])
        lesson.claim('classification is more colourful than L2 regression (Hasler-Susstrunk M)',
                     cls['hasler_susstrunk'] > reg['hasler_susstrunk'], classification=cls['hasler_susstrunk'],
                     l2=reg['hasler_susstrunk'], ground_truth=truth['hasler_susstrunk'],
                     margin=cls['hasler_susstrunk'] - reg['hasler_susstrunk'])
        lesson.claim('L2 regression has the lower held-out ab error (RMSE), the quantity it minimises',
                     ab_rmse[True] < ab_rmse[False], l2=ab_rmse[True], classification=ab_rmse[False],
                     margin=ab_rmse[False] - ab_rmse[True])
    return lesson.finish()


if __name__ == '__main__':
    run()
