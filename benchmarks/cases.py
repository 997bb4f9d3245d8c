"""The training steps that benchmarks/run.py times: one case per model, for minigrad and PyTorch.

A case builds a *runner* for either library from the same configuration and
the same random data (NumPy, seed 0)::

    runner.step()          one training step (forward, loss, backward, optimizer); returns the loss
    runner.graph_bytes()   bytes the autograd graph keeps for backward (a forward without backward)
    runner.weight_bytes()  bytes of the parameters

The PyTorch runner built with ``like=<minigrad runner>`` starts from the
minigrad model's weights (benchmarks/torch_models.py), so both first losses agree.

=============  ======================================================================
unet           UNet(3 -> 2, depth 4, width 32), 4x3x128x128, per-pixel cross-entropy, Adam
unet_lean      the same with every DoubleConv checkpointed (minigrad.recompute; minigrad only)
pix2pix_b1     UNetGenerator (num_downs 7) + PatchDiscriminator, 128x128, batch 1: D step + G step
pix2pix_b4     the same, batch 4
classifier     models.Classifier(1 -> 10, width 16, 32x32), batch 64, cross-entropy, Adam
=============  ======================================================================

``quick=True`` shrinks every case to tiny shapes (a smoke test of the harness).
"""
import importlib.util

import numpy

import minigrad as mg
import minigrad.functional as F
from minigrad import calc, gan, models
from minigrad.recompute import checkpoint_module
from minigrad.instrument import graph_arrays
from minigrad.optim import Adam
from minigrad.train import set_requires_grad


def torch_available():
    return importlib.util.find_spec('torch') is not None


def _to_mg(dev, model):
    return model.to('gpu') if dev.name == 'cupy' else model


def _bytes_of(*roots):
    """Bytes held by the union of the graphs behind ``roots`` (each array counted once)."""
    arrays = {}
    for root in roots:
        for a in graph_arrays(root):
            arrays[id(a)] = a
    return int(sum(a.nbytes for a in arrays.values()))


def torch_saved_bytes(torch, fn):
    """Bytes of the tensors PyTorch saves for backward while ``fn()`` runs (storages counted once)."""
    storages = {}

    def pack(t):
        s = t.untyped_storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return int(sum(storages.values()))


class Case:
    """A model case: ``label``, ``minigrad(dev)``, ``torch(torch, device, like=None)`` (None: no twin)."""

    def __init__(self, label, minigrad, torch, forward_flops):
        self.label, self.minigrad, self.torch = label, minigrad, torch
        self._forward_flops, self._flops = forward_flops, None

    def step_flops(self):
        """FLOPs of one training step: 3 x the forward's conv/linear FLOPs per network pass
        (forward, input gradient, weight gradient; see the case for pix2pix)."""
        if self._flops is None:
            self._flops = self._forward_flops()
        return self._flops


class Runner:
    def __init__(self, step, graph_bytes, params, **models_):
        self.step, self.graph_bytes = step, graph_bytes
        self._params = params
        self.__dict__.update(models_)

    def weight_bytes(self):
        return int(sum(p.array.nbytes if hasattr(p, 'array') and hasattr(p.array, 'nbytes')
                       else p.numel() * p.element_size() for p in self._params()))


# ----------------------------------------------------------------------------- classification
def _classification_case(label, make_model, x, y, lr=1e-3, lean=False, with_torch=True):
    """Cross-entropy on class labels ``y`` (per image, or per pixel), Adam(lr)."""
    x_shape = x.shape

    def minigrad(dev):
        mg.manual_seed(0)
        model = _to_mg(dev, make_model('minigrad'))
        if lean:
            for block in list(model.encoder) + list(model.decoder):
                checkpoint_module(block)
        opt = Adam(model.parameters(), lr=lr)
        X, Y = mg.tensor(x), mg.tensor(y)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(X), Y)
            loss.backward()
            opt.step()
            return float(loss.item())

        def graph_bytes():
            return mg.graph_bytes(F.cross_entropy(model(X), Y))
        return Runner(step, graph_bytes, model.parameters, model=model)

    def torch_runner(torch, device, like=None):
        model = make_model('torch')
        if like is not None:
            from benchmarks.torch_models import load_minigrad_state
            load_minigrad_state(model, like.model)
        model = model.to(device)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        X, Y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X), Y)
            loss.backward()
            opt.step()
            return float(loss.item())

        def graph_bytes():
            return torch_saved_bytes(torch, lambda: torch.nn.functional.cross_entropy(model(X), Y))
        return Runner(step, graph_bytes, model.parameters, model=model)

    def flops():
        return 3 * calc.count_flops(make_model('minigrad'), x_shape).flops
    return Case(label, minigrad, torch_runner if with_torch else None, flops)


def unet_case(quick, lean=False):
    n, size, depth, width = (2, 32, 2, 8) if quick else (4, 128, 4, 32)

    def make(lib):
        if lib == 'minigrad':
            return models.UNet(3, 2, depth=depth, base_width=width)
        from benchmarks.torch_models import TorchUNet
        return TorchUNet(3, 2, depth=depth, base_width=width)
    label = f"U-Net d{depth} w{width} {n}x3x{size}x{size}->2" + (' checkpointed' if lean else '')
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((n, 3, size, size)).astype(numpy.float32)
    y = rng.integers(0, 2, (n, size, size))                     # a class per pixel
    return _classification_case(label, make, x, y, lean=lean, with_torch=not lean)


def classifier_case(quick):
    n, width = (16, 4) if quick else (64, 16)

    def make(lib):
        if lib == 'minigrad':
            return models.Classifier(1, 10, width=width, input_size=32)
        from benchmarks.torch_models import TorchClassifier
        return TorchClassifier(1, 10, width=width, input_size=32)
    rng = numpy.random.default_rng(0)
    x = rng.random((n, 1, 32, 32)).astype(numpy.float32)      # digit-like: intensities in [0, 1)
    y = rng.integers(0, 10, (n,))
    return _classification_case(f"Classifier w{width} {n}x1x32x32->10", make, x, y)


# ----------------------------------------------------------------------------- pix2pix
def pix2pix_case(quick, batch):
    size, downs, ngf = (32, 5, 8) if quick else (128, 7, 64)
    rng = numpy.random.default_rng(0)
    x = rng.uniform(-1, 1, (batch, 3, size, size)).astype(numpy.float32)
    y = rng.uniform(-1, 1, (batch, 3, size, size)).astype(numpy.float32)

    def make(lib):
        if lib == 'minigrad':
            return models.UNetGenerator(3, 3, num_downs=downs, ngf=ngf), models.PatchDiscriminator(6, ndf=ngf)
        from benchmarks.torch_models import TorchPatchDiscriminator, TorchUNetGenerator
        return TorchUNetGenerator(3, 3, num_downs=downs, ngf=ngf), TorchPatchDiscriminator(6, ndf=ngf)

    def minigrad(dev):
        mg.manual_seed(0)
        G, D = (_to_mg(dev, m) for m in make('minigrad'))
        trainer = models.Pix2PixTrainer(G, D, progress=False)
        X, Y = mg.tensor(x), mg.tensor(y)

        def step():
            return trainer.train_step(X, Y)['loss_G']

        def graph_bytes():
            """The larger of the graphs alive at the D backward (G's + D's) and at the G backward."""
            fake = G(X)
            loss_D = gan.pix2pix_discriminator_loss(D(X, Y), D(X, fake.detach()))
            at_d = _bytes_of(fake, loss_D)
            del loss_D
            set_requires_grad(D, False)
            loss_G = gan.pix2pix_generator_loss(D(X, fake), fake, Y).total
            set_requires_grad(D, True)
            return max(at_d, _bytes_of(loss_G))
        return Runner(step, graph_bytes, lambda: list(G.parameters()) + list(D.parameters()), G=G, D=D)

    def torch_runner(torch, device, like=None):
        from benchmarks.torch_models import load_minigrad_state, pix2pix_step
        G, D = make('torch')
        if like is not None:
            load_minigrad_state(G, like.G)
            load_minigrad_state(D, like.D)
        G, D = G.to(device), D.to(device)
        opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        X, Y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

        def step():
            return pix2pix_step(G, D, opt_G, opt_D, X, Y)[1]

        def graph_bytes():
            bce = torch.nn.functional.binary_cross_entropy_with_logits

            def d_graph():
                fake = G(X)
                real, fk = D(X, Y), D(X, fake.detach())
                return 0.5 * (bce(real, torch.ones_like(real)) + bce(fk, torch.zeros_like(fk)))
            at_d = torch_saved_bytes(torch, d_graph)

            def g_graph():
                fake = G(X)
                for p in D.parameters():
                    p.requires_grad_(False)
                d = D(X, fake)
                for p in D.parameters():
                    p.requires_grad_(True)
                return bce(d, torch.ones_like(d)) + 100.0 * torch.nn.functional.l1_loss(fake, Y)
            return max(at_d, torch_saved_bytes(torch, g_graph))
        return Runner(step, graph_bytes, lambda: list(G.parameters()) + list(D.parameters()), G=G, D=D)

    def flops():
        """G: forward + 2 backward GEMMs; D: 3 forwards (real, fake, fake for G), weight + input
        gradients for the two D-step passes, input gradient only in the G step: 3·G + 8·D."""
        G, D = make('minigrad')
        g = calc.count_flops(G, (batch, 3, size, size)).flops
        d = calc.count_flops(D, (batch, 6, size, size)).flops
        return 3 * g + 8 * d
    return Case(f"pix2pix G{downs} ngf{ngf} + D70 {batch}x3x{size}x{size}", minigrad, torch_runner, flops)


MODEL_CASES = {
    'unet': lambda quick: unet_case(quick),
    'unet_lean': lambda quick: unet_case(quick, lean=True),
    'pix2pix_b1': lambda quick: pix2pix_case(quick, 1),
    'pix2pix_b4': lambda quick: pix2pix_case(quick, 4),
    'classifier': classifier_case,
}

__all__ = ['MODEL_CASES', 'Case', 'Runner', 'torch_available', 'torch_saved_bytes']
