"""Lesson 3's figures: pooling/unpooling/upsampling (whole image and a zoomed crop), and the
transpose-conv overlap counts."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

ZOOM_WINDOWS = 6   # the zoomed crop spans 6 x 6 pooling windows: the grid-aligned crop with most detail


def pooling(maps, indices, pool):
    """Top: the five maps whole.  Bottom: the same crop of each, pooling windows outlined and the
    positions the max-pool picked (``indices``, flat over the input's H*W) marked."""
    names = list(maps)
    size = maps['input'].shape[0]
    span = ZOOM_WINDOWS * pool
    top, left = most_detail(maps['input'], span, pool)
    rows, cols = np.divmod(indices, size)
    wy, wx = top // pool, left // pool
    picked_r = rows[wy:wy + ZOOM_WINDOWS, wx:wx + ZOOM_WINDOWS].ravel() - top
    picked_c = cols[wy:wy + ZOOM_WINDOWS, wx:wx + ZOOM_WINDOWS].ravel() - left

    fig, axes = plt.subplots(2, len(names), figsize=(4 * len(names), 9.2), constrained_layout=True)
    for c, name in enumerate(names):
        img = maps[name]
        scale = img.shape[0] / size                          # the pooled map is 1/pool the size
        ax = axes[0, c]
        ax.imshow(img, cmap='gray', vmin=0, vmax=1)
        ax.add_patch(Rectangle((left * scale - 0.5, top * scale - 0.5), span * scale, span * scale,
                               fill=False, edgecolor='red', lw=1.5))
        ax.set_title(f'{name}\n{img.shape[0]}x{img.shape[1]} (red: zoomed below)', fontsize=10)
        ax.set_xlabel('x (pixels)')
        ax.set_ylabel('y (pixels)')
        ax = axes[1, c]
        t, l, s = int(top * scale), int(left * scale), int(span * scale)
        ax.imshow(img[t:t + s, l:l + s], cmap='gray', vmin=0, vmax=1,
                  extent=(-0.5, span - 0.5, span - 0.5, -0.5), interpolation='nearest')
        for k in range(1, ZOOM_WINDOWS):
            ax.axhline(k * pool - 0.5, color='tab:cyan', lw=0.6)
            ax.axvline(k * pool - 0.5, color='tab:cyan', lw=0.6)
        if name == 'input' or name.startswith('max-unpool'):
            ax.plot(picked_c, picked_r, 'o', ms=5, mfc='none', mec='red', mew=1.3)
        ax.set_title(f'zoom: the {span}x{span} crop with most detail', fontsize=10)
        ax.set_xlabel(f'x (pixels from {left})')
        ax.set_ylabel(f'y (pixels from {top})')
    fig.suptitle(f'Max-unpooling puts each {pool}x{pool} window\'s maximum back where it came from '
                 '(red circles: the positions max-pool picked), zeros elsewhere;\n'
                 'nearest and bilinear up-sampling spread it over the window instead '
                 '(cyan: the pooling windows)')
    return fig


def most_detail(image, span, step):
    """(top, left) of the span x span crop, on a grid of ``step``, with the largest mean absolute
    difference between neighbouring pixels (the most fine detail for pooling to lose)."""
    detail = np.zeros_like(image)
    detail[:, 1:] += np.abs(np.diff(image, axis=1))
    detail[1:] += np.abs(np.diff(image, axis=0))
    starts = range(0, image.shape[0] - span + 1, step)
    mean = {(t, l): detail[t:t + span, l:l + span].mean() for t in starts for l in starts}
    return max(mean, key=mean.get)


def checkerboard(overlaps):
    fig, axes = plt.subplots(1, len(overlaps), figsize=(5 * len(overlaps), 4.5), constrained_layout=True)
    for ax, (k, out) in zip(axes, overlaps.items()):
        inner = out[2:-2, 2:-2]
        im = ax.imshow(out, cmap='magma')
        verdict = 'uneven: a checkerboard' if inner.max() != inner.min() else 'even'
        ax.set_title(f'transpose conv k={k}, stride 2 on all-ones\ninterior counts {inner.min():.0f} to '
                     f'{inner.max():.0f} ({verdict})')
        ax.set_xlabel('x (pixels)')
        ax.set_ylabel('y (pixels)')
        fig.colorbar(im, ax=ax, fraction=0.046, label='windows landing on the pixel')
    fig.suptitle('How many kernel placements of a stride-2 transpose conv land on each output pixel')
    return fig
