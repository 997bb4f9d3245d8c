"""Pictures for the lessons: image grids, loss curves, feature maps and embedding scatter plots.

Everything here takes minigrad Tensors, NumPy or CuPy arrays and writes a PNG.

* :func:`make_grid` / :func:`save_png` need NumPy alone (a small PNG writer
  lives at the bottom of this file), so sample grids can be saved during
  training on a machine without matplotlib.
* Titles, loss curves, feature maps and scatter plots use matplotlib,
  imported only when such a function is called, and drawn on an off-screen
  Agg canvas (``matplotlib.figure.Figure``, no pyplot): nothing opens a
  window and the global pyplot state is never touched.

Images are NCHW (or CHW, or HW).  Values are mapped to [0, 1] from
``value_range``; when it is not given it is guessed per batch: ``(-1, 1)`` if
any value is negative (a tanh output, pix2pix data), else ``(0, 1)``.  Integer
arrays of shape (N, H, W) are label maps and are painted with a fixed palette.
"""
import os
import struct
import zlib

import numpy

from .backend import to_numpy

# ----------------------------------------------------------------------------- arrays


def _host(x):
    """NumPy values of a Tensor / NumPy / CuPy array."""
    from .tensor import Tensor
    return to_numpy(x.array if isinstance(x, Tensor) else x)


#: 20 well-separated colours for label maps and scatter plots (class k -> PALETTE[k % 20]).
PALETTE = numpy.array([
    [0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128],
    [220, 190, 255], [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0],
    [255, 215, 180], [0, 0, 128]], dtype=numpy.float32) / 255.0


def labels_to_rgb(labels):
    """Integer label maps (..., H, W) -> RGB (..., 3, H, W) in [0, 1] via :data:`PALETTE`."""
    labels = _host(labels)
    rgb = PALETTE[numpy.asarray(labels, dtype=numpy.int64) % len(PALETTE)]
    return numpy.moveaxis(rgb, -1, -3)


def to_images(images, value_range=None):
    """Images as float32 NumPy (N, H, W, 3) in [0, 1].

    Accepts (N, C, H, W) with C = 1 or 3, a single (C, H, W) or (H, W) image,
    or integer label maps (N, H, W).  ``value_range=(lo, hi)`` is mapped to
    (0, 1) and clipped; ``None`` guesses (-1, 1) or (0, 1) (see module doc).
    """
    a = _host(images)
    if a.dtype.kind in 'iub' and a.ndim in (2, 3):  # label maps
        a = labels_to_rgb(a if a.ndim == 3 else a[None])
        value_range = (0.0, 1.0)
    a = numpy.asarray(a, dtype=numpy.float32)
    if a.ndim == 2:
        a = a[None, None]
    elif a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[1] not in (1, 3):
        raise ValueError(f"viz: expected images (N, C, H, W) with C = 1 or 3, (C, H, W), (H, W) "
                         f"or integer label maps (N, H, W); got shape {tuple(_host(images).shape)}")
    if value_range is None:
        value_range = (-1.0, 1.0) if a.size and a.min() < 0 else (0.0, 1.0)
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"viz: value_range must be (low, high) with high > low, got {value_range}")
    a = numpy.clip((a - lo) / (hi - lo), 0.0, 1.0)
    if a.shape[1] == 1:
        a = numpy.repeat(a, 3, axis=1)
    return numpy.ascontiguousarray(a.transpose(0, 2, 3, 1))


def make_grid(images, nrow=8, padding=2, pad_value=1.0, value_range=None):
    """Tile a batch into one (H, W, 3) float image, ``nrow`` images per row (torchvision's name).

    ``images`` may also be a list of equally long batches; they become the
    *columns* of the grid (row i shows sample i of every batch: input,
    output, target side by side).
    """
    if isinstance(images, (list, tuple)):
        cols = [to_images(b, value_range) for b in images]
        n = {len(c) for c in cols}
        if len(n) != 1:
            raise ValueError(f"make_grid: the batches in the list have different lengths {[len(c) for c in cols]}")
        shapes = {c.shape[1:] for c in cols}
        if len(shapes) != 1:
            raise ValueError(f"make_grid: the batches in the list have different image sizes {sorted(shapes)}")
        tiles = numpy.stack(cols, axis=1).reshape(-1, *cols[0].shape[1:])
        nrow = len(cols)
    else:
        tiles = to_images(images, value_range)
    n, h, w, _ = tiles.shape
    nrow = max(1, min(int(nrow), n))
    rows = -(-n // nrow)
    grid = numpy.full((rows * (h + padding) + padding, nrow * (w + padding) + padding, 3),
                      pad_value, dtype=numpy.float32)
    for k in range(n):
        r, c = divmod(k, nrow)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y:y + h, x:x + w] = tiles[k]
    return grid


def save_image_grid(images, path, nrow=8, titles=None, value_range=None, scale=1.0):
    """Save a grid of images as a PNG; returns ``path``.

    Without ``titles`` this needs only NumPy (:func:`make_grid` + :func:`save_png`).
    With ``titles`` (one per column, e.g. ``['input', 'output', 'target']`` for a
    list of three batches, or one per image for a single batch) it draws with
    matplotlib; ``scale`` enlarges the figure (small images stay crisp: no
    interpolation).
    """
    if titles is None:
        return save_png(make_grid(images, nrow=nrow, value_range=value_range), path)
    if isinstance(images, (list, tuple)):
        columns = [to_images(b, value_range) for b in images]
        n_rows, n_cols = len(columns[0]), len(columns)
        cell = lambda r, c: columns[c][r]  # noqa: E731
        title_of = lambda r, c: titles[c] if r == 0 else None  # noqa: E731
    else:
        tiles = to_images(images, value_range)
        n_cols = max(1, min(int(nrow), len(tiles)))
        n_rows = -(-len(tiles) // n_cols)
        cell = lambda r, c: tiles[r * n_cols + c] if r * n_cols + c < len(tiles) else None  # noqa: E731
        title_of = lambda r, c: titles[r * n_cols + c] if r * n_cols + c < len(titles) else None  # noqa: E731
    fig = _figure((1.6 * n_cols * scale, 1.6 * n_rows * scale + 0.3))
    for r in range(n_rows):
        for c in range(n_cols):
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1)
            ax.set_axis_off()
            img = cell(r, c)
            if img is None:
                continue
            ax.imshow(img, interpolation='nearest')
            if title_of(r, c):
                ax.set_title(str(title_of(r, c)), fontsize=9)
    return _save(fig, path)


# ----------------------------------------------------------------------------- matplotlib plots


def _figure(size):
    try:
        from matplotlib.figure import Figure  # an Agg canvas is attached on savefig; no pyplot
    except ImportError as exc:
        raise ImportError("minigrad.viz: this plot needs matplotlib "
                          "(pip install -e '.[lessons]'); make_grid/save_png work without it") from exc
    fig = Figure(figsize=size, dpi=100)
    return fig


def _save(fig, path):
    _make_parent(path)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _series(history):
    """{name: (x, y)} from a dict of lists or a list of per-step dicts (numbers only)."""
    if isinstance(history, dict):
        return {k: (numpy.arange(1, len(v) + 1), numpy.asarray(v, dtype=float))
                for k, v in history.items()
                if isinstance(v, (list, tuple)) and v and all(isinstance(e, (int, float, numpy.number)) for e in v)}
    records = list(history)
    x_key = 'step' if records and 'step' in records[0] else None
    names = []
    for r in records:
        for k, v in r.items():
            if k not in names and k not in ('step', 'epoch') and isinstance(v, (int, float, numpy.number)):
                names.append(k)
    out = {}
    for k in names:
        rows = [r for r in records if k in r]
        x = numpy.asarray([r[x_key] for r in rows] if x_key else numpy.arange(1, len(rows) + 1), dtype=float)
        out[k] = (x, numpy.asarray([float(r[k]) for r in rows]))
    return out


def _smooth(y, window):
    if window <= 1 or len(y) < window:
        return y
    kernel = numpy.ones(window) / window
    head = numpy.cumsum(y[:window - 1]) / numpy.arange(1, window)
    return numpy.concatenate([head, numpy.convolve(y, kernel, mode='valid')])


def plot_losses(history, path, keys=None, smooth=1, title=None, logy=False, xlabel=None):
    """Loss (or any metric) curves -> PNG.

    ``history`` is a dict of lists (``train.fit``'s history: one value per
    epoch) or a list of dicts (a trainer's per-step log with a ``'step'``
    key).  ``keys`` picks the curves (default: every numeric one); ``smooth``
    is a moving-average window (the raw curve is drawn faintly behind).
    """
    series = _series(history)
    keys = list(series) if keys is None else list(keys)
    missing = [k for k in keys if k not in series]
    if missing:
        raise ValueError(f"plot_losses: no numeric series {missing} in the history; have {sorted(series)}")
    fig = _figure((6.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    for k in keys:
        x, y = series[k]
        if smooth > 1:
            line, = ax.plot(x, y, alpha=0.25, linewidth=0.8)
            ax.plot(x, _smooth(y, int(smooth)), color=line.get_color(), label=k)
        else:
            ax.plot(x, y, label=k, marker='o' if len(x) < 30 else None, markersize=3)
    if logy:
        ax.set_yscale('log')
    ax.set_xlabel(xlabel or ('step' if not isinstance(history, dict) else 'epoch'))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def plot_feature_maps(maps, path, max_maps=16, ncols=None, title=None, cmap='viridis'):
    """The channels of one activation (C, H, W) (or (1, C, H, W)) as a grid of heat maps.

    Each map gets its own colour scale (the point is where a channel fires,
    not how strongly compared to the others).
    """
    a = _host(maps).astype(numpy.float32)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected (C, H, W) or (1, C, H, W), got shape {tuple(a.shape)}")
    c = min(int(max_maps), a.shape[0])
    ncols = ncols or int(numpy.ceil(numpy.sqrt(c)))
    nrows = -(-c // ncols)
    fig = _figure((1.5 * ncols, 1.5 * nrows + (0.4 if title else 0)))
    for k in range(c):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.imshow(a[k], cmap=cmap, interpolation='nearest')
        ax.set_title(f"ch {k}", fontsize=7)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def scatter(points, path, labels=None, title=None, class_names=None, s=8):
    """A 2-D embedding (N, 2) (e.g. t-SNE of CNN codes) coloured by integer ``labels`` -> PNG."""
    p = _host(points).astype(numpy.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"scatter: expected points of shape (N, 2), got {tuple(p.shape)}")
    fig = _figure((5.5, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    if labels is None:
        ax.scatter(p[:, 0], p[:, 1], s=s, color=PALETTE[4])
    else:
        lab = _host(labels).astype(numpy.int64).reshape(-1)
        if len(lab) != len(p):
            raise ValueError(f"scatter: {len(p)} points but {len(lab)} labels")
        for k in numpy.unique(lab):
            name = class_names[k] if class_names is not None else str(k)
            m = lab == k
            ax.scatter(p[m, 0], p[m, 1], s=s, color=PALETTE[(k + 1) % len(PALETTE)], label=name)
        ax.legend(fontsize=7, markerscale=2, loc='best')
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return _save(fig, path)


# ----------------------------------------------------------------------------- PNG writer


def _make_parent(path):
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)


def save_png(image, path):
    """Write an (H, W), (H, W, 3) or (H, W, 4) image to ``path`` as PNG; returns ``path``.

    Floats are taken to be in [0, 1]; uint8 is written as is.  A PNG is a
    signature and three chunks (IHDR: size and format; IDAT: the zlib-
    compressed rows, each prefixed by a filter byte 0 = "none"; IEND), each
    chunk being length, type, data and a CRC-32 of type + data.
    """
    a = _host(image)
    if a.dtype != numpy.uint8:
        a = (numpy.clip(numpy.asarray(a, dtype=numpy.float64), 0.0, 1.0) * 255.0 + 0.5).astype(numpy.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or 0 in a.shape:
        raise ValueError(f"save_png: expected a non-empty (H, W), (H, W, 3) or (H, W, 4) image, got {a.shape}")
    h, w = a.shape[:2]
    color_type = {2: 0, 3: 2 if a.ndim == 3 and a.shape[2] == 3 else 6}[a.ndim]
    rows = numpy.ascontiguousarray(a).reshape(h, -1)
    raw = numpy.concatenate([numpy.zeros((h, 1), numpy.uint8), rows], axis=1).tobytes()

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, color_type, 0, 0, 0))
           + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))
    _make_parent(path)
    with open(path, 'wb') as f:
        f.write(png)
    return path
