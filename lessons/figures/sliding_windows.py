"""Lesson 2's figure: the same logits from windows and from one pass, and the window count per pixel."""
import matplotlib.pyplot as plt


def windows_vs_dense(image, windowed, dense, counts, patch, t_windows, t_dense, speedup, max_diff,
                     mac_ratio):
    size = image.shape[-1]
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.6), constrained_layout=True)
    axes[0].imshow(image.transpose(1, 2, 0))
    axes[0].set_title(f'input {size}x{size}')
    lo, hi = float(dense[0].min()), float(dense[0].max())
    axes[1].imshow(windowed[0], cmap='RdBu_r', vmin=lo, vmax=hi)
    axes[1].set_title(f'class-0 logit, {size * size} windows of {patch}x{patch}\n'
                      f'{t_windows * 1e3:.1f} ms CPU')
    axes[2].imshow(dense[0], cmap='RdBu_r', vmin=lo, vmax=hi)
    axes[2].set_title(f'class-0 logit, one fully-convolutional pass\n{t_dense * 1e3:.2f} ms CPU '
                      f'(max difference {max_diff:.1e})')
    im = axes[3].imshow(counts, cmap='viridis')
    axes[3].set_title(f'windows covering each pixel\n(interior: {counts[size // 2, size // 2]} = {patch}²)')
    fig.colorbar(im, ax=axes[3], fraction=0.046, label='windows')
    for ax in axes:
        ax.set_xlabel('x (pixels)')
        ax.set_ylabel('y (pixels)')
    fig.suptitle(f'Same predictions, {speedup:.0f}x less time (median of warm runs, one BLAS thread): '
                 f'the windows redo {mac_ratio:.0f}x the multiply-adds')
    return fig
