"""pix2pix: a conditional GAN learns the loss, and its output is sharper than L1 alone.

Labels -> facades and edges -> photos, trained with L1 alone and with cGAN + L1 (λ = 100, Adam 2e-4, betas (0.5, 0.999)).

Lecture: "Regressing to pixel values doesn't work" / "G's perspective: D is a loss function.
Rather than being hand-designed, it is learned" / arg min_G max_D E[log D(x, G(x)) + log(1 − D(x, y))].

How sharpness is measured.  A blur multiplies an image's spectrum by a low-pass |H(ω)| ≤ 1
that removes most at high frequency ω.  The discrete Laplacian Δ (kernel [0 1 0; 1 −4 1;
0 1 0]) is a high-pass filter whose response grows like |ω|², so the mean squared Laplacian
E(img) = mean (Δ img)² is dominated by edges and fine texture and drops sharply when an
image is blurred.  We report it relative to the ground truth,

    R = Σ_test E(G(x)) / Σ_test E(y)        (R = 1: as much fine detail as the real images),

on held-out inputs.  An L1-trained G hedges: where the detail (a wall's colour and texture,
the exact place of a window frame) is uncertain it outputs the conditional median, a
smoothed average, so R < 1.  R > 1 is possible too (hallucinated texture, artifacts):
"sharper" is not "correct", which is why the held-out L1 error is reported next to it.

Claims tested:
  * The PatchGAN's receptive field printed by ``minigrad.calc.receptive_field`` is exactly the
    patch of input pixels that one output logit depends on (measured as the support of the
    gradient ∂D[i, j]/∂(x, y)), centred where calc's start + i·jump says.
  * L1 alone is blurry: R_L1 < 0.8 on both tasks (quick mode: R_L1 < 1).
  * cGAN + L1 is sharper than L1 alone: R_cGAN >= 1.5 R_L1, and E(cGAN output) > E(L1
    output) on at least 80 % of the test images.  Quick mode (32x32, 60-150 steps) checks
    only R_cGAN > R_L1 and only on edges -> photos: on the facades the difference appears
    after ~400 steps, so quick mode records it without claiming it.
  * The trained PatchGAN tells real from generated on held-out pairs: its mean per-patch
    P(real) is higher on (x, y) than on (x, G(x)).

BLAS runs on one thread while the lesson runs (threadpoolctl, when installed): these GEMMs
are small, and on this 2-core machine OpenBLAS's second thread made a training step 8-20×
slower whenever the other core was busy (measured: 0.05 s vs 1.0 s per step).

Measured (2 CPU cores, NumPy backend, other jobs running): full mode (64x64, 500 steps per
model, 4 models) ~150 s, with R_cGAN / R_L1 = 0.24 / 0.12 on the facades and 1.23 / 0.61 on
edges -> photos (every test image sharper with the cGAN); quick mode (32x32) ~15-22 s.
"""
import time

import numpy as np

import minigrad as mg
from minigrad import calc
from minigrad.backend import to_numpy
from minigrad.data import DataLoader, EdgesToPhotos, ProceduralFacades
from minigrad.models import PatchDiscriminator, Pix2PixTrainer, UNetGenerator
from minigrad.random import generator
from lessons.common import Lesson, one_blas_thread, progress


# ----------------------------------------------------------------------------- settings
def settings(quick):
    if quick:
        return dict(size=32, num_downs=5, ngf=16, n_layers=2, batch=4,
                    steps={'facades': 60, 'edges2photos': 150}, n_facades=120, n_edges=64, n_test=16)
    return dict(size=64, num_downs=6, ngf=16, n_layers=2, batch=4,
                steps={'facades': 500, 'edges2photos': 500}, n_facades=1000, n_edges=400, n_test=32)


# ----------------------------------------------------------------------------- sharpness
def laplacian(images):
    """Discrete Laplacian of (N, C, H, W) images on the interior pixels: a high-pass filter."""
    x = np.asarray(images, dtype=np.float64)
    return (x[..., :-2, 1:-1] + x[..., 2:, 1:-1] + x[..., 1:-1, :-2] + x[..., 1:-1, 2:]
            - 4 * x[..., 1:-1, 1:-1])


def hf_energy(images):
    """Per-image high-frequency energy E = mean (Δ img)² over channels and pixels, shape (N,)."""
    return (laplacian(images) ** 2).mean(axis=(1, 2, 3))


# ----------------------------------------------------------------------------- training
def batches_forever(loader):
    while True:
        yield from loader


def train(trainer, loader, steps, desc):
    """``steps`` pix2pix steps (one D update, then one G update per batch; see Pix2PixTrainer)."""
    batches = batches_forever(loader)
    for _ in progress(range(steps), desc):
        trainer.train_step(*next(batches))
    return trainer.log


def generate(trainer, x, batch):
    """G(x) for a NumPy batch, as the paper tests: dropout on, batch statistics (same for both models)."""
    return np.concatenate([trainer.generate(mg.tensor(x[i:i + batch])).numpy()
                           for i in range(0, len(x), batch)])


def patch_probabilities(D, x, y, batch):
    """σ(D(x, y)): the PatchGAN's per-patch probability that y is the real output for x."""
    D.train()  # as during training: batch statistics of each (all-real or all-fake) batch
    out = []
    with mg.no_grad():
        for i in range(0, len(x), batch):
            out.append(D(mg.tensor(x[i:i + batch]), mg.tensor(y[i:i + batch])).sigmoid().numpy())
    return np.concatenate(out)[:, 0]


def make_task(name, cfg):
    """(train dataset, held-out (x, y), extra (x, y) shown for comparison or None, input channels)."""
    s, n = cfg['size'], cfg['n_test']
    if name == 'facades':
        train_set = ProceduralFacades(cfg['n_facades'], size=s, seed=0)
        test = ProceduralFacades(n, size=s, seed=1)
        extra, cin = None, 3
    else:
        train_set = EdgesToPhotos(cfg['n_edges'], size=s, split='train', seed=0)
        test = EdgesToPhotos(n, size=s, split='val', seed=0)        # photos training never sees
        extra = EdgesToPhotos(8, size=s, split='train', seed=1)     # new crops of the training photos
        extra = tuple(np.stack([extra[i][k] for i in range(len(extra))]) for k in (0, 1))
        cin = 1
    xt = np.stack([test[i][0] for i in range(n)])
    yt = np.stack([test[i][1] for i in range(n)])
    return train_set, (xt, yt), extra, cin


def run_task(lesson, name, cfg):
    train_set, (xt, yt), extra, cin = make_task(name, cfg)
    results = {}
    for variant in ('L1 only', 'cGAN + L1'):
        mg.manual_seed(0)   # same initial G, same batches: only the loss differs
        G = UNetGenerator(cin, 3, num_downs=cfg['num_downs'], ngf=cfg['ngf'])
        D = PatchDiscriminator(cin + 3, ndf=cfg['ngf'], n_layers=cfg['n_layers'])
        trainer = Pix2PixTrainer(G, D, lr=2e-4, betas=(0.5, 0.999), lambda_l1=100.0,
                                 l1_only=variant == 'L1 only', progress=False)
        loader = DataLoader(train_set, batch_size=cfg['batch'], shuffle=True, drop_last=True)
        t0 = time.perf_counter()
        train(trainer, loader, cfg['steps'][name], f'{name}: {variant}')
        seconds = time.perf_counter() - t0
        out = generate(trainer, xt, cfg['batch'])
        results[variant] = dict(trainer=trainer, out=out, seconds=seconds, energy=hf_energy(out),
                                test_l1=float(np.abs(out - yt).mean()),
                                extra=None if extra is None else generate(trainer, extra[0], cfg['batch']))
    truth = hf_energy(yt)
    for r in results.values():
        r['ratio'] = float(r['energy'].sum() / truth.sum())
    gan = results['cGAN + L1']
    p_real = patch_probabilities(gan['trainer'].D, xt, yt, cfg['batch'])
    p_fake = patch_probabilities(gan['trainer'].D, xt, gan['out'], cfg['batch'])
    return dict(x=xt, y=yt, extra=extra, results=results, p_real=p_real, p_fake=p_fake,
                paired=float((gan['energy'] > results['L1 only']['energy']).mean()))


# ----------------------------------------------------------------------------- receptive field
def measured_receptive_field(D, cin, size, i, j):
    """Rows and columns of the input that output logit (i, j) depends on: the support of its gradient.

    D in eval mode (batch-norm with fixed statistics) so that no batch statistic couples
    distant pixels; LeakyReLU never zeroes a gradient, so the support is the whole field.
    """
    D.eval()
    x = mg.tensor(generator().standard_normal((1, cin, size, size)).astype(np.float32),
                  requires_grad=True)
    D(x)[0, 0, i, j].backward()
    D.train()
    grad = np.abs(to_numpy(x.grad))[0].sum(0)
    rows, cols = np.nonzero(grad.sum(1))[0], np.nonzero(grad.sum(0))[0]
    return grad, (rows.min(), rows.max()), (cols.min(), cols.max())


def receptive_field_section(lesson, cfg):
    size, cin = cfg['size'], 6
    D = PatchDiscriminator(cin, ndf=cfg['ngf'], n_layers=cfg['n_layers'])
    table = calc.receptive_field(D, size)
    print(f"  PatchGAN (n_layers={cfg['n_layers']}) on {size}x{size} inputs:")
    print('    ' + str(table).replace('\n', '\n    '))
    rf, jump, start = table.final.rf_max[0], table.final.jump[0], table.final.start[0]
    out_size = table.final.size[0]
    # Measure on an input large enough that the middle logit's field lies inside the image
    # (calc counts padding pixels too; the image border would clip a field as big as the image).
    big = 4 * ((2 * rf + 3) // 4)
    big_out = calc.receptive_field(D, big).final.size[0]
    i = j = big_out // 2
    grad, (r0, r1), (c0, c1) = measured_receptive_field(D, cin, big, i, j)
    centre = float(start + i * jump)
    lesson.record(patchgan_receptive_field=rf, patchgan_jump=float(jump), patchgan_output=[out_size, out_size],
                  measured_on=big, measured_rows=[int(r0), int(r1)], measured_cols=[int(c0), int(c1)])
    exact = (r1 - r0 + 1 == rf and c1 - c0 + 1 == rf and (r0 + r1) / 2 == centre and (c0 + c1) / 2 == centre)
    lesson.claim(f'one PatchGAN logit sees exactly calc\'s {rf}x{rf} receptive field', exact,
                 calc_rf=rf, measured_rows=r1 - r0 + 1, measured_cols=c1 - c0 + 1,
                 calc_centre=centre, measured_centre=(r0 + r1) / 2)

    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    fig, ax = plt.subplots(figsize=(5.5, 5))
    im = ax.imshow(np.log10(grad + 1e-12), cmap='magma', vmin=np.log10(grad.max()) - 4)
    half = (rf - 1) / 2
    ax.add_patch(Rectangle((centre - half - 0.5, centre - half - 0.5), rf, rf, fill=False, ec='cyan', lw=1.5,
                           label=f'calc: {rf}x{rf} field'))
    ax.set_title(f'PatchGAN (n_layers={cfg["n_layers"]}): which input pixels move logit ({i}, {j})?\n'
                 f'|∂D[{i},{j}]/∂input| on a {big}x{big} input; on {size}x{size} images '
                 f'D gives {out_size}x{out_size} logits', fontsize=10)
    ax.set_xlabel('input column (pixels)')
    ax.set_ylabel('input row (pixels)')
    ax.legend(loc='lower right', fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, label='log10 |gradient|')
    lesson.figure(fig, 'patchgan_receptive_field.png')
    return rf


# ----------------------------------------------------------------------------- figures
def _show(ax, img):
    img = np.asarray(img)
    img = np.repeat(img, 3, 0) if img.shape[0] == 1 else img
    ax.imshow(np.clip((img.transpose(1, 2, 0) + 1) / 2, 0, 1), interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])


def samples_figure(lesson, name, task, rows=4):
    import matplotlib.pyplot as plt
    res = task['results']
    sets = [('held-out', task['x'], task['y'], res['L1 only']['out'], res['cGAN + L1']['out'])]
    if task['extra'] is not None:
        sets = [('unseen photo', *sets[0][1:]),
                ('training photo,\nnew crop', task['extra'][0], task['extra'][1],
                 res['L1 only']['extra'], res['cGAN + L1']['extra'])]
    per = rows if len(sets) == 1 else rows // 2
    fig, axes = plt.subplots(per * len(sets), 4, figsize=(8, 2.1 * per * len(sets)))
    columns = ['input', f"L1 only\nR = {res['L1 only']['ratio']:.2f}",
               f"cGAN + L1\nR = {res['cGAN + L1']['ratio']:.2f}", 'ground truth']
    for s, (label, x, y, l1, gan) in enumerate(sets):
        for r in range(per):
            row = s * per + r
            k = r   # the val photos (and the training photos) alternate, so rows show different scenes
            for c, img in enumerate((x[k], l1[k], gan[k], y[k])):
                _show(axes[row, c], img)
            axes[row, 0].set_ylabel(label, fontsize=8)
    for c, title in enumerate(columns):
        axes[0, c].set_title(title, fontsize=10)
    fig.suptitle(f'{name}: L1 alone averages the details away; the cGAN puts detail back\n'
                 f'(R = high-frequency energy relative to the ground truth, on the held-out set)')
    fig.tight_layout()
    lesson.figure(fig, f'{name}_samples.png')


def laplacian_figure(lesson, name, task):
    """One held-out example: outputs and their Laplacians (what the sharpness measure sees)."""
    import matplotlib.pyplot as plt
    res = task['results']
    k = 0
    imgs = [('L1 only', res['L1 only']['out'][k]), ('cGAN + L1', res['cGAN + L1']['out'][k]),
            ('ground truth', task['y'][k])]
    laps = [np.abs(laplacian(img[None]))[0].mean(0) for _, img in imgs]
    vmax = np.percentile(laps[-1], 99)
    fig, axes = plt.subplots(2, 3, figsize=(10, 7), layout='constrained')
    for c, ((title, img), lap) in enumerate(zip(imgs, laps)):
        _show(axes[0, c], img)
        axes[0, c].set_title(title)
        im = axes[1, c].imshow(lap, cmap='gray', vmin=0, vmax=vmax)
        axes[1, c].set_title(f'|Laplacian|, E = {(laplacian(img[None]) ** 2).mean():.4f}', fontsize=9)
        axes[1, c].set_xlabel('column (pixels)')
    axes[1, 0].set_ylabel('row (pixels)')
    fig.colorbar(im, ax=list(axes[1]), fraction=0.03, label='|Δ img| (channel mean)')
    fig.suptitle(f'{name}: the high-pass view of one held-out output (bright = edges and texture)')
    lesson.figure(fig, f'{name}_laplacian.png')


def patch_map_figure(lesson, name, task, examples=2):
    import matplotlib.pyplot as plt
    gan = task['results']['cGAN + L1']['out']
    fig, axes = plt.subplots(examples, 5, figsize=(14, 3.4 * examples), squeeze=False, layout='constrained')
    for r in range(examples):
        k = r * 3
        _show(axes[r, 0], task['x'][k])
        _show(axes[r, 1], task['y'][k])
        _show(axes[r, 3], gan[k])
        for c, p in ((2, task['p_real'][k]), (4, task['p_fake'][k])):
            im = axes[r, c].imshow(p, cmap='RdYlGn', vmin=0, vmax=1)
            axes[r, c].set_xlabel('patch column')
            axes[r, c].set_ylabel('patch row')
        axes[r, 2].set_title(f'D(x, real): mean {task["p_real"][k].mean():.2f}', fontsize=9)
        axes[r, 4].set_title(f'D(x, G(x)): mean {task["p_fake"][k].mean():.2f}', fontsize=9)
        axes[r, 0].set_title('input x', fontsize=9)
        axes[r, 1].set_title('real y', fontsize=9)
        axes[r, 3].set_title('generated G(x)', fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.02, label='P(real) per patch')
    fig.suptitle(f'{name}: the PatchGAN gives one real/fake verdict per overlapping patch')
    lesson.figure(fig, f'{name}_patch_maps.png')


def _smooth(v, w):
    v = np.asarray(v, dtype=np.float64)
    w = max(1, min(w, len(v) // 5 or 1))
    return np.convolve(v, np.ones(w) / w, mode='valid'), w


def loss_figure(lesson, tasks):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(tasks), 2, figsize=(12, 3.6 * len(tasks)), squeeze=False)
    for row, (name, task) in enumerate(tasks.items()):
        res = task['results']
        ax = axes[row, 0]
        for variant in res:
            v, w = _smooth([e['loss_G_L1'] for e in res[variant]['trainer'].log], 25)
            ax.plot(np.arange(len(v)) + w, v, label=variant)
        ax.set_title(f'{name}: L1 term (train, moving average)')
        ax.set_xlabel('training step')
        ax.set_ylabel('mean |G(x) − y|')
        ax.legend()
        ax = axes[row, 1]
        log = res['cGAN + L1']['trainer'].log
        for key, label in (('loss_D', 'D loss (halved BCE)'), ('loss_G_GAN', 'G adversarial loss'),
                           ('D_real', 'mean D(x, y)'), ('D_fake', 'mean D(x, G(x))')):
            v, w = _smooth([e[key] for e in log], 25)
            ax.plot(np.arange(len(v)) + w, v, label=label)
        ax.set_title(f'{name}: the adversarial game (cGAN + L1)')
        ax.set_xlabel('training step')
        ax.set_ylabel('loss / probability')
        ax.legend(fontsize=8)
    fig.tight_layout()
    lesson.figure(fig, 'loss_curves.png')


def sharpness_figure(lesson, tasks):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    names = list(tasks)
    xs = np.arange(len(names))
    for off, variant in ((-0.18, 'L1 only'), (0.18, 'cGAN + L1')):
        vals = [tasks[n]['results'][variant]['ratio'] for n in names]
        bars = ax.bar(xs + off, vals, width=0.34, label=variant)
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v, f'{v:.2f}', ha='center', va='bottom', fontsize=9)
    ax.axhline(1.0, color='k', ls='--', lw=1, label='ground truth')
    ax.set_xticks(xs)
    ax.set_xticklabels(names)
    ax.set_ylabel('R = E(output) / E(ground truth)')
    ax.set_xlabel('task (held-out inputs)')
    ax.set_title('High-frequency energy relative to the real images\n(E = mean squared Laplacian)')
    ax.legend(fontsize=8)
    lesson.figure(fig, 'sharpness.png')


# ----------------------------------------------------------------------------- the lesson
def run(quick=False, seed=0):
    lesson = Lesson('l06_pix2pix', quick, seed)
    cfg = settings(quick)
    lesson.record(settings=cfg)
    with one_blas_thread():
        mg.manual_seed(0)
        receptive_field_section(lesson, cfg)
        tasks = {}
        for name in ('facades', 'edges2photos'):
            t0 = time.perf_counter()
            tasks[name] = run_task(lesson, name, cfg)
            lesson.record(**{f'{name}_seconds': time.perf_counter() - t0})
        for name, task in tasks.items():
            samples_figure(lesson, name, task)
            laplacian_figure(lesson, name, task)
            patch_map_figure(lesson, name, task)
        loss_figure(lesson, tasks)
        sharpness_figure(lesson, tasks)

    for name, task in tasks.items():
        l1, gan = task['results']['L1 only'], task['results']['cGAN + L1']
        lesson.record(**{f'{name}_R_l1': l1['ratio'], f'{name}_R_cgan': gan['ratio'],
                         f'{name}_test_l1_error_l1only': l1['test_l1'], f'{name}_test_l1_error_cgan': gan['test_l1'],
                         f'{name}_paired_fraction_sharper': task['paired'],
                         f'{name}_train_seconds': {k: r['seconds'] for k, r in task['results'].items()},
                         f'{name}_D_real': float(task['p_real'].mean()),
                         f'{name}_D_fake': float(task['p_fake'].mean())})
        lesson.claim(f'{name}: L1 alone is blurry (R_L1 < {1.0 if quick else 0.8})',
                     l1['ratio'] < (1.0 if quick else 0.8), R_l1=l1['ratio'])
        if not quick:
            lesson.claim(f'{name}: cGAN + L1 is sharper than L1 alone (R_cGAN >= 1.5 R_L1, '
                         f'and on >= 80% of test images)',
                         gan['ratio'] >= 1.5 * l1['ratio'] and task['paired'] >= 0.8,
                         R_cgan=gan['ratio'], R_l1=l1['ratio'], factor=gan['ratio'] / l1['ratio'],
                         paired_fraction=task['paired'])
        elif name == 'edges2photos':   # quick: 150 steps are enough here, not for the facades (~400)
            lesson.claim(f'{name}: cGAN + L1 is sharper than L1 alone (R_cGAN > R_L1)',
                         gan['ratio'] > l1['ratio'], R_cgan=gan['ratio'], R_l1=l1['ratio'],
                         factor=gan['ratio'] / l1['ratio'], paired_fraction=task['paired'])
        lesson.claim(f'{name}: the PatchGAN scores held-out real pairs above generated ones',
                     task['p_real'].mean() > task['p_fake'].mean(),
                     D_real=float(task['p_real'].mean()), D_fake=float(task['p_fake'].mean()))
    return lesson.finish()


if __name__ == '__main__':
    run()
