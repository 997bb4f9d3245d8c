"""Figures of lesson 6 (pix2pix): samples, the measures, PatchGAN verdict maps, losses, receptive field."""
import numpy as np

# Label-map colours for the stripes' input: horizontal-stripe regions, vertical-stripe regions.
LABEL_COLOURS = np.array([[0.95, 0.55, 0.15], [0.20, 0.45, 0.90]])


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _show(ax, img, cmap=None):
    """An image in [-1, 1], (C, H, W): grey for 1 channel, RGB for 3."""
    img = np.asarray(img)
    if img.shape[0] == 1:
        ax.imshow(img[0], cmap=cmap or 'gray', vmin=-1, vmax=1, interpolation='nearest')
    else:
        ax.imshow(np.clip((img[:3].transpose(1, 2, 0) + 1) / 2, 0, 1), interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])


def _show_input(ax, x):
    """An input: a 2-channel stripes label map in colour, or the image itself."""
    if x.shape[0] != 2:
        return _show(ax, x)
    on = (np.asarray(x) > 0).astype(float)                       # (2, H, W) one-hot
    rgb = 0.12 + np.tensordot(on.transpose(1, 2, 0), LABEL_COLOURS - 0.12, axes=1)
    ax.imshow(np.clip(rgb, 0, 1), interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])


def stripes_samples(lesson, test, outs, measured, rows=(0, 1, 2, 3, 4, 5)):
    """Held-out label maps (the first ones, not picked), L1's and the cGAN's outputs, the truth."""
    plt = _plt()
    fig, axes = plt.subplots(4, len(rows), figsize=(1.9 * len(rows), 8.2))
    l1, gan = measured['L1 only'], measured['cGAN + L1']
    labels = ['input label map\n(orange: horizontal,\nblue: vertical stripes)',
              f"L1 only\nstripe energy {l1['stripe_energy']:.2f}x truth",
              f"cGAN + L1\nstripe energy {gan['stripe_energy']:.2f}x,\n{100 * gan['orientation']:.0f}% "
              f"at the labelled\norientation",
              'ground truth\n(one of many:\nthe phase is random)']
    for col, k in enumerate(rows):
        _show_input(axes[0, col], test.x[k])
        for r, img in enumerate((outs['L1 only'][k], outs['cGAN + L1'][k], test.y[k]), 1):
            _show(axes[r, col], img)
    for r, label in enumerate(labels):
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle('Where the detail is random given the input, L1 alone outputs its median — flat — and\n'
                 'cGAN + L1 commits to sharp stripes of the labelled kind (held-out maps 0-5; '
                 f'L1 error inside the rectangles: L1 {l1["region_l1"]:.3f}, cGAN {gan["region_l1"]:.3f})',
                 fontsize=10)
    fig.tight_layout()
    lesson.figure(fig, 'stripes_samples.png')


def stripes_measures(lesson, measured, references):
    """Each measure for the two models, the truth and hand-made references (flat, grid, checkerboard)."""
    plt = _plt()
    rows = [('L1 only', measured['L1 only']), ('cGAN + L1', measured['cGAN + L1']),
            ('truth', references['truth'])] + [(k, v) for k, v in references.items() if k != 'truth']
    keys = [('stripe_energy', 'stripe energy / truth\'s'), ('orientation', 'share at the labelled\norientation'),
            ('right_kind', 'share of detail that\nis the stripe'), ('laplacian_R', 'Laplacian energy /\ntruth\'s'),
            ('region_l1', 'L1 error inside\nthe rectangles')]
    colours = ['tab:blue', 'tab:orange', 'k', 'tab:gray', 'tab:olive', 'tab:red']
    fig, axes = plt.subplots(1, len(keys), figsize=(16, 3.8))
    for ax, (key, title) in zip(axes, keys):
        vals = [r[key] for _, r in rows]
        bars = ax.bar(range(len(rows)), vals, color=colours)
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v, f'{v:.2f}', ha='center', va='bottom', fontsize=7)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([n for n, _ in rows], rotation=60, ha='right', fontsize=8)
        ax.set_title(title, fontsize=9)
    fig.suptitle('The measures on held-out stripes: the spectral ones count only stripes of the labelled '
                 'orientation; the Laplacian energy\nscores a checkerboard as '
                 f'{references["checkerboard"]["laplacian_R"]:.0f}x "sharper" than the truth, '
                 'and L1 error prefers the flat median', fontsize=10)
    fig.tight_layout()
    lesson.figure(fig, 'stripes_measures.png')


def patch_maps(lesson, name, x, y, outs, verdicts, examples=(0, 1)):
    """Per-patch P(real) of the trained PatchGAN on a real pair, the cGAN's and L1's outputs."""
    plt = _plt()
    fig, axes = plt.subplots(len(examples), 7, figsize=(17, 2.7 * len(examples)), squeeze=False,
                             layout='constrained')
    for r, k in enumerate(examples):
        _show_input(axes[r, 0], x[k])
        axes[r, 0].set_title('input x', fontsize=9)
        for c, (label, img) in enumerate((('real y', y[k]), ('cGAN + L1', outs['cGAN + L1'][k]),
                                          ('L1 only', outs['L1 only'][k]))):
            _show(axes[r, 1 + 2 * c], img)
            axes[r, 1 + 2 * c].set_title(label, fontsize=9)
            p = verdicts['real' if c == 0 else label][k]
            im = axes[r, 2 + 2 * c].imshow(p, cmap='RdYlGn', vmin=0, vmax=1)
            axes[r, 2 + 2 * c].set_title(f'P(real) per patch, mean {p.mean():.2f}', fontsize=8)
            axes[r, 2 + 2 * c].set_xticks([])
            axes[r, 2 + 2 * c].set_yticks([])
    fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.02, label='D: P(real) per patch')
    means = ', '.join(f'{k} {v.mean():.2f}' for k, v in verdicts.items())
    fig.suptitle(f'{name}: the trained PatchGAN gives one verdict per overlapping patch '
                 f'(held-out examples {list(examples)}; mean P(real) over the test set: {means})', fontsize=10)
    lesson.figure(fig, f'{name}_patch_maps.png')


def _smooth(v, w=25):
    v = np.asarray(v, dtype=np.float64)
    w = max(1, min(w, len(v) // 5 or 1))
    return np.arange(len(v) - w + 1) + w, np.convolve(v, np.ones(w) / w, mode='valid')


def loss_curves(lesson, name, logs):
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    for variant, log in logs.items():
        axes[0].plot(*_smooth([e['loss_G_L1'] for e in log]), label=variant)
    axes[0].set_title(f'{name}: L1 term on the training batches (moving average)')
    axes[0].set_xlabel('training step')
    axes[0].set_ylabel('mean |G(x) − y|')
    axes[0].legend()
    log = logs['cGAN + L1']
    for key, label in (('loss_D', 'D loss (halved BCE)'), ('loss_G_GAN', 'G adversarial loss'),
                       ('D_real', 'mean D(x, y)'), ('D_fake', 'mean D(x, G(x))')):
        axes[1].plot(*_smooth([e[key] for e in log]), label=label)
    axes[1].set_title(f'{name}: the adversarial game (cGAN + L1)')
    axes[1].set_xlabel('training step')
    axes[1].set_ylabel('loss / probability')
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    lesson.figure(fig, f'{name}_loss_curves.png')


def receptive_field(lesson, grad, rf, centre, ij, big, size, out_size, n_layers):
    plt = _plt()
    from matplotlib.patches import Rectangle
    fig, ax = plt.subplots(figsize=(5.5, 5))
    im = ax.imshow(np.log10(grad + 1e-12), cmap='magma', vmin=np.log10(grad.max()) - 4)
    half = (rf - 1) / 2
    ax.add_patch(Rectangle((centre - half - 0.5, centre - half - 0.5), rf, rf, fill=False, ec='cyan', lw=1.5,
                           label=f'calc: {rf}x{rf} field'))
    ax.set_title(f'PatchGAN (n_layers={n_layers}): which input pixels move logit {ij}?\n'
                 f'|∂D{list(ij)}/∂input| on a {big}x{big} input; on {size}x{size} images '
                 f'D gives {out_size}x{out_size} logits', fontsize=10)
    ax.set_xlabel('input column (pixels)')
    ax.set_ylabel('input row (pixels)')
    ax.legend(loc='lower right', fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, label='log10 |gradient|')
    lesson.figure(fig, 'patchgan_receptive_field.png')


def real_samples(lesson, task, x, y, outs, numbers, rows=(0, 1, 2, 3)):
    plt = _plt()
    fig, axes = plt.subplots(len(rows), 4, figsize=(8, 2.1 * len(rows)))
    for r, k in enumerate(rows):
        for c, img in enumerate((x[k], outs['L1 only'][k], outs['cGAN + L1'][k], y[k])):
            _show(axes[r, c], img)
    for c, v in enumerate(('L1 only', 'cGAN + L1'), 1):
        n = numbers[v]
        axes[0, c].set_title(f"{v}\nR = {n['laplacian_R']:.2f}, top band {n['band_ratio']['top']:.2f}\n"
                             f"L1 error {n['l1_error']:.3f}", fontsize=8)
    axes[0, 0].set_title('input', fontsize=9)
    axes[0, 3].set_title('ground truth', fontsize=9)
    fig.suptitle(f'{task}: held-out examples 0-{len(rows) - 1} (R: Laplacian energy / truth\'s; top band: power '
                 f'at |k| >= 3S/8 / truth\'s,\nwhere a checkerboard shows).  A short run on real data: neither model '
                 f'reproduces the scenes; numbers recorded, not claimed', fontsize=9)
    fig.tight_layout()
    lesson.figure(fig, f'{task}_samples.png')


def band_spectrum(lesson, task, numbers):
    """Power per frequency band relative to the truth's, for both models."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    bands = list(numbers['L1 only']['band_ratio'])
    xs = np.arange(len(bands))
    for off, v in ((-0.18, 'L1 only'), (0.18, 'cGAN + L1')):
        vals = [numbers[v]['band_ratio'][b] for b in bands]
        bars = ax.bar(xs + off, vals, width=0.34, label=v)
        for b, val in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, val, f'{val:.2f}', ha='center', va='bottom', fontsize=8)
    ax.axhline(1.0, color='k', ls='--', lw=1, label='ground truth')
    ax.set_xticks(xs)
    ax.set_xticklabels([f'{b}\n|k|/S in {r}' for b, r in
                        zip(bands, ('[0, 1/8)', '[1/8, 1/4)', '[1/4, 3/8)', '[3/8, 1/2]'))], fontsize=8)
    ax.set_ylabel('power / ground truth\'s')
    ax.set_yscale('log')
    ax.set_title(f'{task}: where the output\'s energy is, per frequency band (held-out)', fontsize=10)
    ax.legend(fontsize=8)
    lesson.figure(fig, f'{task}_band_spectrum.png')
