"""Figures of lesson 5 (colourization): the controlled ambiguity, the ab bins, the photographs."""
import numpy as np

from minigrad import color, metrics
from lessons import ambiguous_colors as ambiguous

L2_COLOUR, CLS_COLOUR = 'tab:orange', 'tab:blue'


def ambiguity_figure(lesson, images, image_chroma, chroma, ideal, decoded, cells):
    """The controlled experiment in one figure.

    images: {column title: (R, 3, H, W) RGB} for R example rows (the first column is the input);
    image_chroma: {column title: (R,) disc chroma of each example, or None};
    chroma: {decoding: {'disc'|'square': mean chroma over the test set}};
    ideal: {T: disc chroma of a perfect classifier}; decoded: {decoding: (N, 2, h, w) ab};
    cells: {'disc'|'square': (N, h, w) masks of the cells wholly inside an object}.
    """
    import matplotlib.pyplot as plt
    columns = list(images)
    rows = len(next(iter(images.values())))
    fig = plt.figure(figsize=(2.3 * len(columns), 2.45 * rows + 4.3), layout='constrained')
    grid = fig.add_gridspec(rows + 1, len(columns), height_ratios=[1] * rows + [1.75])
    for r in range(rows):
        for c, name in enumerate(columns):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(images[name][r].transpose(1, 2, 0), interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            value = image_chroma.get(name)
            ax.set_title(name + ('' if value is None else f'\ndisc chroma {value[r]:.0f}'), fontsize=9)
    palette = ', '.join(f'{name} p = {p}' for name, _, p in ambiguous.DISC_PALETTE)
    fig.suptitle(f'Discs of ambiguous colour ({palette}; one lightness) and always-purple squares, '
                 f'truth chroma {ambiguous.CHROMA:.0f}: test images', fontsize=11)
    _chroma_vs_temperature(fig.add_subplot(grid[rows, :len(columns) // 2]), chroma, ideal)
    _ab_plane(fig.add_subplot(grid[rows, len(columns) // 2:]), decoded, cells)
    lesson.figure(fig, 'ambiguous_colours.png')


def _chroma_vs_temperature(ax, chroma, ideal):
    temps = sorted(ideal, reverse=True)
    truth = ambiguous.CHROMA
    ax.plot(temps, [chroma[f'T = {T}']['disc'] for T in temps], 'o-', color=CLS_COLOUR,
            label='classification, discs (annealed mean at T)')
    ax.plot(temps, [ideal[T] for T in temps], 's--', color=CLS_COLOUR, alpha=0.5, mfc='none',
            label='a perfect classifier, discs')
    ax.plot(temps, [chroma[f'T = {T}']['square'] for T in temps], 'o:', color='tab:purple',
            label='classification, squares')
    ax.axhline(chroma['mode']['disc'], color=CLS_COLOUR, lw=0.8, ls='-.', label='classification, discs, mode')
    ax.axhline(chroma['L2 regression']['disc'], color=L2_COLOUR, lw=2, label='L2 regression, discs')
    ax.axhline(chroma['L2 regression']['square'], color=L2_COLOUR, lw=1, ls=':', label='L2 regression, squares')
    ax.axhline(ideal[1.0], color='grey', lw=0.8, ls='--', label="the palette's mean (L2's optimum)")
    ax.axhline(truth, color='k', ls=':', label='ground truth')
    ax.axvline(color.TEMPERATURE, color='grey', lw=0.8)
    ax.set_xscale('log')
    ax.set_xticks(temps, [str(T) for T in temps])
    ax.invert_xaxis()
    ax.set_ylim(0, truth * 1.12)
    ax.set_xlabel('decoding temperature T   (1: the mean of the distribution  →  0: its mode)')
    ax.set_ylabel('mean chroma on test objects (Lab)')
    ax.set_title('chroma vs decoding temperature (cells wholly inside objects)', fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.2), ncol=2)  # below: the lines stay visible


def _ab_plane(ax, decoded, cells):
    """Where each decoding puts the disc cells in the ab plane, against the palette."""
    rng = np.random.default_rng(0)
    for name, colour, marker in (('L2 regression', L2_COLOUR, 'o'), (f'T = {color.TEMPERATURE}', CLS_COLOUR, 'o'),
                                 ('mode', 'k', '+')):
        ab = decoded[name].transpose(1, 0, 2, 3)[:, cells['disc']]
        pick = rng.permutation(ab.shape[1])[:300]
        ax.scatter(ab[0, pick], ab[1, pick], s=9, color=colour, marker=marker, alpha=0.5, zorder=4,
                   label=f'{name} (disc cells)' if name != 'mode' else 'mode, T → 0 (disc cells)')
    for name, h, p in ambiguous.DISC_PALETTE:
        a, b = ambiguous.hue_ab(h)
        ax.scatter([a], [b], s=900 * p, color=_swatch(a, b), edgecolor='k', zorder=3)
        ax.annotate(f'{name} p = {p}', (a, b), textcoords='offset points', xytext=(8, -14), fontsize=8)
    a, b = ambiguous.palette_mean()
    ax.scatter([a], [b], s=160, marker='X', color=_swatch(a, b), edgecolor='k', zorder=3)
    ax.annotate("the palette's mean", (a, b), textcoords='offset points', xytext=(8, -12), fontsize=8)
    ax.scatter([0], [0], s=30, marker='x', color='grey')
    lim = ambiguous.CHROMA * 1.25
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect('equal')
    ax.set_xlabel('a (green − / red +)')
    ax.set_ylabel('b (blue − / yellow +)')
    ax.set_title('predicted ab of test disc cells (discs drawn as the palette, area ∝ p)', fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.2), ncol=2)


def _swatch(a, b):
    lab = np.array([ambiguous.DISC_L, a, b], dtype=np.float32)[:, None, None]
    return tuple(color.lab_to_rgb(lab)[:, 0, 0])


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
    axes[1].set_title('smoothed prior p̃ of the training photos\' pixels\n(most mass near grey, a = b = 0)')
    im = axes[2].imshow(grid(weights), origin='lower', extent=extent, cmap='magma', interpolation='nearest')
    fig.colorbar(im, ax=axes[2], fraction=0.046, label='weight w(q)')
    axes[2].set_title(f'rebalancing weights, λ = {color.LAMBDA}\n'
                      f'(w from {weights.min():.2f} for common to {weights.max():.2f} for rare colours)')
    for ax in axes:
        ax.set_xlabel('a (green − / red +)')
        ax.set_ylabel('b (blue − / yellow +)')
    lesson.figure(fig, 'ab_bins_prior_weights.png')


def photos_figure(lesson, L, rgb_out, rgb_true, indices, score):
    """Held-out photo crops at fixed indices: input, each model's colours, the truth (chroma in titles);
    score: {name: {'chroma': mean over all held-out crops, ...}} for the title."""
    import matplotlib.pyplot as plt
    indices = list(indices)
    fig, axes = plt.subplots(len(indices), 2 + len(rgb_out), figsize=(11, 2.85 * len(indices)))
    for r, i in enumerate(indices):
        grey = color.lab_to_rgb(np.concatenate([L[i], np.zeros_like(L[i]), np.zeros_like(L[i])]))
        panels = [(grey, 'input: L only (a = b = 0)')]
        panels += [(rgb[i], f'{name}\nchroma {metrics.mean_chroma_lab(rgb[i]):.1f}') for name, rgb in rgb_out.items()]
        panels.append((rgb_true[i], f'ground truth\nchroma {metrics.mean_chroma_lab(rgb_true[i]):.1f}'))
        for c, (img, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f'held-out crop {i}', fontsize=9)
    means = ', '.join(f"{name} {v['chroma']:.1f}" for name, v in score.items())
    fig.suptitle(f'Photos: L in, ab out, on held-out crops (the right 30 % of each photo, never trained on)\n'
                 f'mean chroma over all {len(L)} held-out crops: {means}')
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    lesson.figure(fig, 'photo_colorizations.png')


def losses_figure(lesson, losses, sweep, score):
    """Training losses of the photo models and the classifier's held-out chroma against T."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.2))
    for ax, (name, y) in zip(axes[:2], losses.items()):
        y = np.asarray(y)
        w = max(1, len(y) // 30)
        ax.plot(y, alpha=0.3, lw=0.7)
        ax.plot(np.arange(w - 1, len(y)), np.convolve(y, np.ones(w) / w, mode='valid'), label=f'mean of {w} steps')
        ax.set_xlabel('training step')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_title('photos, L2 regression: ½ Σ ‖Y − Ŷ‖² per image (ab / 110)')
    axes[0].set_ylabel('loss (log scale)')
    axes[0].set_yscale('log')
    axes[1].set_title('photos, classification: rebalanced cross entropy')
    axes[1].set_ylabel('loss (per pixel)')
    temps = sorted(sweep, reverse=True)
    axes[2].plot(temps, [sweep[T] for T in temps], 'o-', color=CLS_COLOUR, label='classification, annealed mean')
    axes[2].axhline(score['L2 regression']['chroma'], color=L2_COLOUR, ls='--', label='L2 regression')
    axes[2].axhline(score['ground truth']['chroma'], color='k', ls=':', label='ground truth')
    axes[2].axvline(color.TEMPERATURE, color='grey', lw=0.8, label=f'T = {color.TEMPERATURE}')
    axes[2].set_xscale('log')
    axes[2].set_xticks(temps, [str(T) for T in temps])
    axes[2].invert_xaxis()
    axes[2].set_xlabel('temperature T (1 = mean of the distribution, → 0: its mode)')
    axes[2].set_ylabel('mean chroma (Lab units)')
    axes[2].set_title('photos: held-out chroma vs decoding temperature')
    axes[2].grid(alpha=0.3)
    axes[2].legend(fontsize=8)
    lesson.figure(fig, 'photo_losses_and_temperature.png')
