"""Deep nets are data transformers: Linear and ReLU warp space, training untangles data.

What Linear and ReLU do to the line and the plane, and how a representation changes
while a network learns.

Claims tested:
  * A linear layer maps a grid to a grid (straight lines stay straight, to 1e-9);
    ReLU folds space onto the positive quadrant, creasing the lines that cross an axis.
  * Training moves the data through a sequence of such warps until, in the last hidden
    representation, the classes become linearly separable.  The data are two
    interleaved spirals (1.5 turns each): a line separates at most 75 % of them in the
    input, and the untrained network's 2-D code is no better (at most 75 %).  After
    1000 full-batch Adam steps (learning rate 1e-3) a line separates at least 90 % in
    the code.  The untangling is gradual: the climb from 25 % to 90 % of the gain takes
    at least 50 steps, and the snapshots in the figure show the stages in between.

"A line separates x %" is measured as the training accuracy of the least-squares linear
classifier on the points (a lower bound on the best line's accuracy).
``seed`` draws the spirals and the network's initial weights.  Quick mode uses 512
points instead of 1024 and asserts the same claims.
"""
import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad import nn, optim
from lessons.common import Lesson, progress
from lessons.figures import data_transformers as figures

STEPS, LR = 1000, 1e-3
SNAPSHOTS = (0, 100, 200, 300, 400, 600, 1000)   # the codes drawn in the figure
EVERY = 10                                        # separability is measured every 10 steps


def run(quick=False, seed=0):
    lesson = Lesson('l07_data_transformers', quick, seed)

    lesson.slide('Mapping 2D')
    A, b = np.array([[1.2, 0.6], [-0.4, 0.9]]), np.array([0.2, -0.3])
    lines = grid_lines()
    linear = [line @ A.T + b for line in lines]
    bend = max(straightness(line) for line in linear)
    lesson.claim('a linear layer maps straight lines to straight lines, to 1e-9 '
                 '(margin in decades below the bound)', margin=np.log10(1e-9 / max(bend, 1e-18)),
                 worst_deviation=bend)

    lesson.slide('x_out_i = max(x_in_i, 0)')
    folded = [np.maximum(line, 0) for line in linear]
    creased = sum(straightness(line) > 1e-6 for line in folded)
    lesson.claim(f'ReLU folds the plane onto the positive quadrant and creases at least a quarter of the '
                 f'{len(lines)} grid lines', all((f >= 0).all() for f in folded) and creased >= len(lines) / 4,
                 margin=creased - len(lines) / 4, creased=creased)
    lesson.figure(figures.grid_warps(lines, A, b), 'grid_warps.png')
    lesson.figure(figures.relu_1d(), 'relu_1d.png')

    lesson.slide('Deep nets transform datapoints, layer by layer')
    mg.manual_seed(seed)
    x, y = spirals(512 if quick else 1024, np.random.default_rng(seed))
    model = SpiralNet()
    opt = optim.Adam(model.parameters(), lr=LR)
    xt, yt = mg.tensor(x), mg.tensor(y)
    codes, curve, losses = {}, {}, []
    for step in progress(range(STEPS + 1), 'training the spiral classifier'):
        if step % EVERY == 0 or step in SNAPSHOTS:
            with mg.no_grad():
                code = model.code(xt).numpy()
            curve[step] = linear_separability(code, y)
            if step in SNAPSHOTS:
                codes[step] = code
        if step == STEPS:
            break
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    lesson.slide('Training iteration ⟶')
    sep_input, sep_start, sep_end = linear_separability(x, y), curve[0], curve[STEPS]
    climb = climb_steps(curve, 0.25, 0.9)
    lesson.record(loss_first=losses[0], loss_last=losses[-1], separability_input=sep_input,
                  separability_untrained=sep_start, separability_code=sep_end, steps=STEPS,
                  separability_at_snapshots={str(s): curve[s] for s in SNAPSHOTS},
                  separability_curve={'step': list(curve), 'separability': list(curve.values())},
                  climb_steps_25_to_90=climb)
    lesson.claim('a line separates at most 75 % of the spirals in the input', margin=0.75 - sep_input,
                 accuracy=sep_input)
    lesson.claim('... and at most 75 % in the untrained network\'s 2-D code', margin=0.75 - sep_start,
                 accuracy=sep_start)
    lesson.claim(f'after {STEPS} steps a line separates at least 90 % in the learned 2-D code',
                 margin=sep_end - 0.9, accuracy=sep_end)
    lesson.claim('the untangling is gradual: climbing from 25 % to 90 % of the gain takes at least 50 steps',
                 margin=climb - 50, steps=climb)
    lesson.figure(figures.untangling(x, y, codes, curve, losses, SNAPSHOTS, linear_separability, EVERY),
                  'representation_over_training.png')
    return lesson.finish()


def grid_lines(n=11, points=200, span=1.0):
    """Horizontal and vertical lines of a square grid, as a list of (points, 2) arrays."""
    t = np.linspace(-span, span, points)
    levels = np.linspace(-span, span, n)
    return [np.stack([t, np.full_like(t, v)], 1) for v in levels] + \
           [np.stack([np.full_like(t, v), t], 1) for v in levels]


def straightness(points):
    """Largest distance of a polyline's points from the chord joining its ends (0: straight)."""
    d = points - points[0]
    chord = d[-1] / np.linalg.norm(d[-1])
    return float(np.abs(d[:, 0] * chord[1] - d[:, 1] * chord[0]).max())


def spirals(n, rng, turns=1.5, noise=0.08):
    """Two interleaved spirals (class 0 and class 1, half a turn apart), radius 0.15..1 scaled by 1.5."""
    label = rng.integers(0, 2, n)
    t = rng.uniform(0.15, 1, n)
    angle = 2 * np.pi * turns * t + np.pi * label
    points = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) + rng.normal(0, noise, (n, 2)) * t[:, None]
    return (1.5 * points).astype(np.float32), label


class SpiralNet(nn.Module):
    """2 -> 16 -> 16 -> 2 (the 'code' we plot) -> 2 classes.

    The head is linear, so the classes are separable by a line in the code exactly
    when the network classifies them well: the body must untangle the spirals.
    """

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                                  nn.Linear(16, 2))
        self.head = nn.Linear(2, 2)

    def code(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.code(x))


def linear_separability(code, label):
    """Training accuracy of the least-squares linear classifier on ``code`` (a lower bound on
    how much of the data the best line separates); the line is returned by :func:`ls_line`."""
    w = ls_line(code, label)
    return float(((code @ w[:2] + w[2] > 0) == (label == 1)).mean())


def ls_line(code, label):
    """(w1, w2, c): the least-squares fit of ±1 labels; the line is w1 x + w2 y + c = 0."""
    design = np.concatenate([code, np.ones((len(code), 1))], 1)
    return np.linalg.lstsq(design, 2.0 * label - 1, rcond=None)[0]


def climb_steps(curve, low, high):
    """Steps between the first measurement at ``low`` of the total gain and the first at ``high``."""
    steps, values = np.array(list(curve)), np.array(list(curve.values()))
    start, gain = values[0], values[-1] - values[0]
    first = lambda f: int(steps[np.argmax(values >= start + f * gain)])   # noqa: E731
    return first(high) - first(low)


if __name__ == '__main__':
    run()
