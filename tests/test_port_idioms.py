"""Code written the PyTorch way runs on minigrad unchanged, with PyTorch's results.

``SOURCE`` is written as a porter meets it in the public pix2pix/CycleGAN model files
(weight init through ``.data``, a GAN loss whose target is a buffer ``expand_as`` the
prediction, freezing a net through ``requires_grad``) and in a widely used PyTorch U-Net's
training and evaluation code (Dice through ``one_hot`` and ``torch.where(x == 0, …)``,
``bool()`` range checks, ``max(dim)`` indices, gradient clipping, RMSprop with
ReduceLROnPlateau).  The very same text is executed twice: with ``torch``, ``nn``, ``F``,
``init`` and ``optim`` bound to minigrad, and (when PyTorch is importable) bound to PyTorch;
both must agree to float64 rounding.  The gradient penalty of WGAN-GP lives in
tests/models/test_gradient_penalty.py.
"""
import numpy as np
import pytest

import minigrad as mg

SOURCE = '''
def init_weights(net, init_type='normal', init_gain=0.02):
    def init_func(m):
        name = m.__class__.__name__
        if hasattr(m, 'weight') and (name.find('Conv') != -1 or name.find('Linear') != -1):
            if init_type == 'normal':
                init.normal_(m.weight.data, 0.0, init_gain)
            elif init_type == 'xavier':
                init.xavier_normal_(m.weight.data, gain=init_gain)
            elif init_type == 'kaiming':
                init.kaiming_normal_(m.weight.data, a=0, mode='fan_in')
            elif init_type == 'orthogonal':
                init.orthogonal_(m.weight.data, gain=init_gain)
            if hasattr(m, 'bias') and m.bias is not None:
                init.constant_(m.bias.data, 0.0)
        elif name.find('BatchNorm2d') != -1:
            init.normal_(m.weight.data, 1.0, init_gain)
            init.constant_(m.bias.data, 0.0)
    net.apply(init_func)


class GANLoss(nn.Module):
    def __init__(self, gan_mode, target_real_label=1.0, target_fake_label=0.0):
        super().__init__()
        self.register_buffer('real_label', torch.tensor(target_real_label))
        self.register_buffer('fake_label', torch.tensor(target_fake_label))
        self.gan_mode = gan_mode
        self.loss = nn.MSELoss() if gan_mode == 'lsgan' else nn.BCEWithLogitsLoss()

    def get_target_tensor(self, prediction, target_is_real):
        target = self.real_label if target_is_real else self.fake_label
        return target.expand_as(prediction)

    def __call__(self, prediction, target_is_real):
        return self.loss(prediction, self.get_target_tensor(prediction, target_is_real))


def set_requires_grad(nets, requires_grad=False):
    for net in (nets if isinstance(nets, list) else [nets]):
        for param in net.parameters():
            param.requires_grad = requires_grad


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(cin, cout)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        dy, dx = x2.size()[2] - x1.size()[2], x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([x2, x1], dim=1))


class TinyUNet(nn.Module):
    def __init__(self, n_channels, n_classes):
        super().__init__()
        self.n_classes = n_classes
        self.inc = DoubleConv(n_channels, 8)
        self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(8, 16))
        self.up = Up(16, 8)
        self.outc = nn.Conv2d(8, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        return self.outc(self.up(self.down(x1), x1))


def dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
    assert input.size() == target.size()
    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
    return ((inter + epsilon) / (sets_sum + epsilon)).mean()


def multiclass_dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
    return dice_coeff(input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first, epsilon)


def dice_loss(input, target, multiclass=False):
    return 1 - (multiclass_dice_coeff if multiclass else dice_coeff)(input, target, reduce_batch_first=True)


def train_step(net, optimizer, images, masks, clip=1.0):
    criterion = nn.CrossEntropyLoss()
    masks_pred = net(images)
    loss = criterion(masks_pred, masks)
    loss = loss + dice_loss(F.softmax(masks_pred, dim=1).float(),
                            F.one_hot(masks, net.n_classes).permute(0, 3, 1, 2).float(), multiclass=True)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
    optimizer.step()
    return loss.item(), float(total_norm)


@torch.inference_mode()
def evaluate(net, batches):
    net.eval()
    dice, correct = 0, 0
    for image, mask_true in batches:
        assert mask_true.min() >= 0 and mask_true.max() < net.n_classes, 'a label out of range'
        mask_pred = net(image)
        correct += (mask_pred.max(1)[1] == mask_true).float().mean().item()
        mask_true = F.one_hot(mask_true, net.n_classes).permute(0, 3, 1, 2).float()
        mask_pred = F.one_hot(mask_pred.argmax(dim=1), net.n_classes).permute(0, 3, 1, 2).float()
        dice += multiclass_dice_coeff(mask_pred[:, 1:], mask_true[:, 1:], reduce_batch_first=False)
    net.train()
    return float(dice / max(len(batches), 1)), correct / len(batches)
'''


def _namespace(lib):
    if lib == 'minigrad':
        return {'torch': mg, 'nn': mg.nn, 'F': mg.functional, 'init': mg.nn.init, 'optim': mg.optim}
    import torch
    return {'torch': torch, 'nn': torch.nn, 'F': torch.nn.functional, 'init': torch.nn.init, 'optim': torch.optim}


def _ported(lib):
    namespace = _namespace(lib)
    exec(compile(SOURCE, f'<ported code on {lib}>', 'exec'), namespace)
    return namespace


def _data(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((2, 3, 10, 10))
    masks = rng.integers(0, 3, size=(2, 10, 10))
    return images, masks


# --------------------------------------------------------------------------- minigrad alone

def test_init_through_data_and_gan_loss_on_minigrad():
    P = _ported('minigrad')
    mg.manual_seed(0)
    net = P['TinyUNet'](3, 3)
    P['init_weights'](net, 'normal', 0.02)
    conv = net.inc.double_conv[0].weight
    assert abs(float(conv.std()) - 0.02) < 0.005 and abs(float(conv.mean())) < 0.005
    bn = net.inc.double_conv[1]
    assert abs(float(bn.weight.mean()) - 1.0) < 0.02 and float(bn.bias.abs().max()) == 0.0
    P['init_weights'](net, 'orthogonal', 1.0)
    w = net.outc.weight.reshape(3, -1).double()
    np.testing.assert_allclose((w @ w.T).numpy(), np.eye(3), atol=1e-6)   # orthonormal rows

    pred = mg.tensor([[0.2, 0.9], [1.5, -0.3]])
    lsgan, vanilla = P['GANLoss']('lsgan'), P['GANLoss']('vanilla')
    assert lsgan(pred, True).item() == pytest.approx(((pred.numpy() - 1) ** 2).mean(), rel=1e-6)
    expected = np.mean(np.log1p(np.exp(pred.numpy())))                    # BCE with target 0
    assert vanilla(pred, False).item() == pytest.approx(expected, rel=1e-6)
    P['set_requires_grad'](net, False)
    assert not any(p.requires_grad for p in net.parameters())


def test_dice_and_evaluate_on_minigrad():
    P = _ported('minigrad')
    a = mg.tensor([[[1.0, 0.0], [1.0, 1.0]]])
    b = mg.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    assert P['dice_coeff'](a, b).item() == pytest.approx((2 * 2 + 1e-6) / (5 + 1e-6))
    empty = mg.zeros(1, 2, 2)
    assert P['dice_coeff'](empty, empty).item() == 1.0                     # where(sets_sum == 0, …)
    mg.manual_seed(0)
    net = P['TinyUNet'](3, 3)
    images, masks = _data()
    batches = [(mg.tensor(images).float(), mg.tensor(masks))]
    dice, accuracy = P['evaluate'](net, batches)
    assert 0.0 <= dice <= 1.0 and 0.0 <= accuracy <= 1.0 and net.training
    with pytest.raises(AssertionError, match='a label out of range'):   # bool() of a one-element comparison
        P['evaluate'](net, [(batches[0][0], mg.tensor(masks) + 3)])


# --------------------------------------------------------------------------- against PyTorch

def test_the_same_code_gives_pytorchs_numbers():
    torch = pytest.importorskip('torch')
    M, T = _ported('minigrad'), _ported('torch')
    mg.manual_seed(0)
    net = M['TinyUNet'](3, 3).double()
    twin = T['TinyUNet'](3, 3).double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in net.state_dict().items()})
    images, masks = _data()
    x, y = mg.tensor(images), mg.tensor(masks)
    tx, ty = torch.from_numpy(images), torch.from_numpy(masks)

    opt = mg.optim.RMSprop(net.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.9)
    topt = torch.optim.RMSprop(twin.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.9)
    sched = mg.optim.lr_scheduler.ReduceLROnPlateau(opt, 'max', patience=0)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, 'max', patience=0)
    for step in range(3):
        loss, norm = M['train_step'](net, opt, x, y, clip=0.5)
        tloss, tnorm = T['train_step'](twin, topt, tx, ty, clip=0.5)
        # the ported code's `.float()` puts the Dice term in float32, in both libraries
        assert loss == pytest.approx(tloss, rel=1e-6)
        assert norm == pytest.approx(tnorm, rel=1e-6)
        dice, acc = M['evaluate'](net, [(x, y)])
        tdice, tacc = T['evaluate'](twin, [(tx, ty)])
        assert dice == pytest.approx(tdice, rel=1e-6) and acc == tacc
        sched.step(dice)
        tsched.step(tdice)
        assert opt.param_groups[0]['lr'] == pytest.approx(topt.param_groups[0]['lr'], rel=1e-12)
    for (name, p), (_, q) in zip(net.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-8, err_msg=name)

    pred = mg.tensor(images[:, :1], requires_grad=True)
    tpred = torch.from_numpy(images[:, :1]).requires_grad_()
    for mode in ('lsgan', 'vanilla'):
        for real in (True, False):
            loss, tloss = M['GANLoss'](mode).double()(pred, real), T['GANLoss'](mode).double()(tpred, real)
            assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
            (g,), (tg,) = mg.autograd.grad(loss, pred), torch.autograd.grad(tloss, tpred)
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-10, atol=1e-14)
