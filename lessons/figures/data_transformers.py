"""Lesson 7's figures: a grid through Linear and ReLU, ReLU on the number line, and the
spiral data's 2-D code over training with the separating line of each snapshot."""
import matplotlib.pyplot as plt
import numpy as np

B = np.array([[0.8, -0.9], [0.7, 0.6]])   # a second linear map, after the ReLU


def grid_warps(lines, A, b):
    stages = [('input grid', lambda p: p), ('linear: A x + b', lambda p: p @ A.T + b),
              ('ReLU(A x + b)', lambda p: np.maximum(p @ A.T + b, 0)),
              ('B ReLU(A x + b)', lambda p: np.maximum(p @ A.T + b, 0) @ B.T)]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), constrained_layout=True)
    for ax, (title, fn) in zip(axes, stages):
        for i, line in enumerate(lines):
            out = fn(line)
            ax.plot(out[:, 0], out[:, 1], color='tab:blue' if i < len(lines) // 2 else 'tab:orange', lw=0.8)
        ax.set_title(title)
        ax.set_xlabel('dimension 1')
        ax.set_ylabel('dimension 2')
        ax.set_aspect('equal', adjustable='datalim')
    fig.suptitle('A linear layer keeps the grid a grid (blue: horizontal lines, orange: vertical); '
                 'ReLU folds it onto the positive quadrant')
    return fig


def relu_1d():
    x = np.linspace(-2, 2, 401)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    units = [(1.0, 0.5), (-1.5, 0.3), (2.0, -1.0)]
    hidden = np.stack([np.maximum(w * x + c, 0) for w, c in units])
    axes[0].plot(x, 1.5 * x - 0.5)
    axes[0].set_title('linear: y = 1.5x - 0.5')
    for (w, c), h in zip(units, hidden):
        axes[1].plot(x, h, label=f'ReLU({w:g}x{c:+g})')
    axes[1].legend(fontsize=8)
    axes[1].set_title('three ReLU(w x + c) units')
    axes[2].plot(x, hidden.T @ np.array([1.0, 0.8, -1.2]))
    axes[2].set_title('1.0, 0.8, -1.2 times them, summed: piecewise linear')
    for ax in axes:
        ax.set_xlabel('x')
        ax.set_ylabel('y')
    return fig


def untangling(x, y, codes, curve, losses, snapshots, separability, every):
    """Top: input and the code at each snapshot, coloured by class, with the least-squares line.
    Bottom: separability of the code over training (snapshots marked) and the loss."""
    from lessons.l07_data_transformers import ls_line
    panels = [('input space', x)] + [(f'2-D code after {s} steps', codes[s]) for s in snapshots]
    cols = 4
    rows = -(-len(panels) // cols)
    fig = plt.figure(figsize=(4 * cols, 3.9 * rows + 3.6), constrained_layout=True)
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[1] * rows + [0.85])
    for k, (title, pts) in enumerate(panels):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        for cls, colour in ((0, 'tab:blue'), (1, 'tab:red')):
            m = y == cls
            ax.scatter(pts[m, 0], pts[m, 1], s=4, color=colour, label=f'class {cls}')
        w = ls_line(pts, y)
        lo, hi = pts.min(0), pts.max(0)
        pad = 0.05 * (hi - lo + 1e-9)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 2)
        if abs(w[1]) > 1e-12:
            ax.plot(xs, -(w[0] * xs + w[2]) / w[1], 'k--', lw=1, label='least-squares line')
        ax.set_title(f'{title}\na line separates {separability(pts, y):.0%}', fontsize=10)
        ax.set_xlabel('dimension 1')
        ax.set_ylabel('dimension 2')
        if k == 0:
            ax.legend(fontsize=7, loc='lower left', markerscale=3)
    ax = fig.add_subplot(grid[rows, :])
    steps = np.array(list(curve))
    ax.plot(steps, list(curve.values()), color='tab:green', label=f'code separability (every {every} steps)')
    ax.plot(snapshots, [curve[s] for s in snapshots], 'o', color='black', label='snapshots above')
    ax.axhline(separability(x, y), color='gray', ls=':', label='input separability')
    ax.set_xlabel('training step')
    ax.set_ylabel('fraction a line separates')
    ax.set_ylim(0.4, 1.02)
    ax2 = ax.twinx()
    ax2.plot(np.arange(len(losses)), losses, color='tab:purple', lw=0.8, alpha=0.7, label='loss')
    ax2.set_ylabel('cross-entropy loss', color='tab:purple')
    lines = ax.get_legend_handles_labels()
    more = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc='center right')
    fig.suptitle('Training warps two interleaved spirals, step by step, until a line separates them '
                 '(the untrained code is as tangled as the input)')
    return fig
