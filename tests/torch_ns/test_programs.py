"""Small complete PyTorch programs in the style of the official tutorials, run unchanged on PyTorch and on
``backchain.torch`` (the namespace is the only argument), from the same initial weights: the losses
agree at every step.

Where a program draws random numbers during training (dropout masks, the VAE's noise), the two
libraries cannot draw the same ones: the test passes the noise in (monkeypatched ``randn_like``) or
sets the dropout probability to 0; everything else is the tutorial's code.
"""
import math

import numpy as np
import pytest
import torch

import backchain.torch as bt


def _copy_weights(src, dst):
    """Load a PyTorch model's state into the backchain.torch model (names match)."""
    dst.load_state_dict({k: v.detach().numpy().copy() for k, v in src.state_dict().items()})


def _assert_losses_match(want, got, rtol):
    assert len(want) == len(got) > 0
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=rtol, atol=0)


# -- (a) "Learning PyTorch with Examples": a polynomial fit with a custom autograd.Function -----------

def polynomial(torch, steps):
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    result = f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)"
    return losses, result, repr(loss)


def test_polynomial_with_a_custom_autograd_function():
    want, _, want_repr = polynomial(torch, 300)
    got, result, got_repr = polynomial(bt, 300)
    _assert_losses_match(want, got, rtol=2e-5)
    assert result.startswith("Result: y = ")
    assert got_repr.startswith("tensor(") and got_repr.split(",")[1] == want_repr.split(",")[1]  # grad_fn=<...>


# -- (b) pytorch/examples mnist: a CNN with DataLoader, Adadelta, StepLR ---------------------------

def mnist_cnn(torch, images, labels, init=None, epochs=2, dropout=(0.25, 0.5), num_workers=1):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    from_data = torch.utils.data
    StepLR = torch.optim.lr_scheduler.StepLR

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(dropout[0])
            self.dropout2 = nn.Dropout(dropout[1])
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset = from_data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    train_loader = from_data.DataLoader(dataset, batch_size=4, shuffle=False, num_workers=num_workers,
                                        pin_memory=False)
    test_loader = from_data.DataLoader(dataset, batch_size=8)
    model = Net().to(device)
    if init is not None:
        init(model)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, log = [], []
    for epoch in range(1, epochs + 1):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            log.append('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction='sum').item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        losses.append(test_loss)
        log.append(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)}")
        scheduler.step()
    return model, losses, log


def test_mnist_cnn_with_dataloader_adadelta_and_steplr():
    rng = np.random.default_rng(0)
    images = rng.random((12, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 12)
    torch.manual_seed(0)
    ref = mnist_cnn(torch, images, labels, epochs=0)[0]  # PyTorch's initial weights, given to both
    torch.manual_seed(0)
    _, want, want_log = mnist_cnn(torch, images, labels, dropout=(0.0, 0.0))
    _, got, got_log = mnist_cnn(bt, images, labels, init=lambda m: _copy_weights(ref, m), dropout=(0.0, 0.0))
    _assert_losses_match(want, got, rtol=1e-4)
    assert [line.split("Loss")[0] for line in got_log] == [line.split("Loss")[0] for line in want_log]


# -- (c) pytorch/examples vae ----------------------------------------------------------------------

def vae(torch, images, init=None, epochs=2):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE()
    if init is not None:
        init(model)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(images)), batch_size=8)
    losses = []
    for epoch in range(epochs):
        model.train()
        train_loss = 0
        for batch_idx, (data,) in enumerate(loader):
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            losses.append(loss.item() / len(data))
        losses.append(train_loss / len(loader.dataset))
    return model, losses


def test_vae_with_the_same_noise(monkeypatch):
    rng = np.random.default_rng(1)
    images = rng.random((16, 1, 28, 28), dtype=np.float32)
    noise = rng.standard_normal((4, 8, 20)).astype(np.float32)
    for T in (torch, bt):
        draws = iter(noise)
        monkeypatch.setattr(T, "randn_like", lambda t, draws=draws, T=T: T.tensor(next(draws)))
        if T is torch:
            torch.manual_seed(0)
            ref = vae(torch, images, epochs=0)[0]
            draws_t = iter(noise)
            monkeypatch.setattr(torch, "randn_like", lambda t: torch.tensor(next(draws_t)))
            torch.manual_seed(0)
            _, want = vae(torch, images)
        else:
            _, got = vae(bt, images, init=lambda m: _copy_weights(ref, m))
    _assert_losses_match(want, got, rtol=2e-5)


# -- (d) pytorch/examples word_language_model: an LSTM language model -----------------------------

def lstm_lm(torch, tokens, ntoken, init=None, steps=4, bptt=5, lr=5.0, clip=0.25):
    nn = torch.nn

    class RNNModel(nn.Module):
        def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.0):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            self.init_weights()
            self.nhid = nhid
            self.nlayers = nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return torch.nn.functional.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        data = data.view(bsz, -1).t().contiguous()
        return data

    def get_batch(source, i):
        seq_len = min(bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].view(-1)
        return data, target

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        else:
            return tuple(repackage_hidden(v) for v in h)

    train_data = batchify(torch.tensor(tokens), 4)
    model = RNNModel(ntoken, 16, 24, 2)
    if init is not None:
        init(model)
    criterion = nn.NLLLoss()
    model.train()
    hidden = model.init_hidden(4)
    losses = []
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        if batch == steps:
            break
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return model, losses


def test_lstm_language_model_with_truncated_backprop():
    tokens = np.random.default_rng(2).integers(0, 30, 96).tolist()
    torch.manual_seed(0)
    ref = lstm_lm(torch, tokens, 30, steps=0)[0]
    torch.manual_seed(0)
    _, want = lstm_lm(torch, tokens, 30)
    _, got = lstm_lm(bt, tokens, 30, init=lambda m: _copy_weights(ref, m))
    _assert_losses_match(want, got, rtol=2e-5)


# -- (e) nanoGPT's model (model.py, trimmed of from_pretrained and flash attention) -----------------

def nanogpt(torch, tokens, init=None, steps=5, generate=6):
    import inspect
    from dataclasses import dataclass
    nn = torch.nn
    F = torch.nn.functional

    class LayerNorm(nn.Module):
        """ LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False """

        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):

        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head = config.n_head
            self.n_embd = config.n_embd
            self.dropout = config.dropout
            self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                                 .view(1, 1, config.block_size, config.block_size))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            y = self.resid_dropout(self.c_proj(y))
            return y

    class MLP(nn.Module):

        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            x = self.c_fc(x)
            x = self.gelu(x)
            x = self.c_proj(x)
            x = self.dropout(x)
            return x

    class Block(nn.Module):

        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlp(self.ln_2(x))
            return x

    @dataclass
    class GPTConfig:
        block_size: int = 8
        vocab_size: int = 20
        n_layer: int = 2
        n_head: int = 2
        n_embd: int = 16
        dropout: float = 0.0
        bias: bool = True

    class GPT(nn.Module):

        def __init__(self, config):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            ))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith('c_proj.weight'):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
            self.n_params = sum(p.numel() for p in self.parameters())

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.config.block_size, f"Cannot forward sequence of length {t}"
            pos = torch.arange(0, t, dtype=torch.long, device=device)
            tok_emb = self.transformer.wte(idx)
            pos_emb = self.transformer.wpe(pos)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            param_dict = {pn: p for pn, p in self.named_parameters()}
            param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [
                {'params': decay_params, 'weight_decay': weight_decay},
                {'params': nodecay_params, 'weight_decay': 0.0}
            ]
            fused_available = 'fused' in inspect.signature(torch.optim.AdamW).parameters
            use_fused = fused_available and device_type == 'cuda'
            extra_args = dict(fused=True) if use_fused else dict()
            optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
            return optimizer

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float('Inf')
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    model = GPT(GPTConfig())
    if init is not None:
        init(model)
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), 'cpu')
    data = np.array(tokens)
    losses = []
    for it in range(steps):
        ix = [(3 * it + 5 * b) % (len(data) - 8) for b in range(4)]
        x = torch.stack([torch.from_numpy((data[i:i + 8]).astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy((data[i + 1:i + 1 + 8]).astype(np.int64)) for i in ix])
        logits, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    out = model.generate(torch.zeros((1, 1), dtype=torch.long), generate, temperature=0.8, top_k=1)
    return model, losses, out[0].tolist()


def test_nanogpt_model_trains_and_generates_alike():
    tokens = np.random.default_rng(3).integers(0, 20, 64).tolist()
    torch.manual_seed(0)
    ref = nanogpt(torch, tokens, steps=0, generate=0)[0]
    torch.manual_seed(0)
    tmodel, want, want_tokens = nanogpt(torch, tokens)
    bmodel, got, got_tokens = nanogpt(bt, tokens, init=lambda m: _copy_weights(ref, m))
    _assert_losses_match(want, got, rtol=2e-5)
    assert got_tokens == want_tokens
    assert bmodel.n_params == tmodel.n_params
    assert bmodel.transformer.wte.weight is bmodel.lm_head.weight


# -- (f) the spatial transformer tutorial -----------------------------------------------------------

def spatial_transformer(torch, images, labels, init=None, steps=3, dropout=0.5):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d(p=dropout)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True),
                nn.Conv2d(8, 10, kernel_size=5),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True)
            )
            self.fc_loc = nn.Sequential(
                nn.Linear(10 * 3 * 3, 32),
                nn.ReLU(True),
                nn.Linear(32, 3 * 2)
            )
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            x = F.grid_sample(x, grid)
            return x

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, p=dropout, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    model = Net()
    if init is not None:
        init(model)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)), batch_size=4)
    losses = []
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        if batch_idx == steps:
            break
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        model.eval()
        transformed = model.stn(torch.from_numpy(images[:2])).cpu()
    return model, losses, transformed.numpy()


@pytest.mark.filterwarnings("ignore:Default grid_sample and affine_grid behavior")  # PyTorch's, as in the tutorial
def test_spatial_transformer_tutorial():
    rng = np.random.default_rng(4)
    images = rng.random((12, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 12)
    torch.manual_seed(0)
    ref = spatial_transformer(torch, images, labels, steps=0)[0]
    # The tutorial starts theta at the identity, which puts every sample on a pixel centre, where bilinear
    # sampling has a kink: PyTorch's float32 coordinates fall on either side of it by rounding (its theta
    # gradient there is rounding noise), backchain snaps them onto the centre and takes the right-sided
    # derivative (GRID_SAMPLE_KINKS). The first loss is compared there; the training from theta nudged off it.
    want0 = spatial_transformer(torch, images, labels, init=lambda m: m.load_state_dict(ref.state_dict()),
                                dropout=0.0, steps=1)[1]
    got0 = spatial_transformer(bt, images, labels, init=lambda m: _copy_weights(ref, m), dropout=0.0, steps=1)[1]
    _assert_losses_match(want0, got0, rtol=2e-6)
    with torch.no_grad():
        ref.fc_loc[2].bias.add_(torch.tensor([0.013, 0.004, 0.021, -0.008, 0.011, -0.017]))
    _, want, want_grid = spatial_transformer(torch, images, labels, init=lambda m: m.load_state_dict(ref.state_dict()),
                                             dropout=0.0)
    _, got, got_grid = spatial_transformer(bt, images, labels, init=lambda m: _copy_weights(ref, m), dropout=0.0)
    _assert_losses_match(want, got, rtol=2e-5)
    np.testing.assert_allclose(got_grid, want_grid, rtol=1e-4, atol=1e-5)


# -- (g) the other "Learning PyTorch with Examples" programs ---------------------------------------

def polynomial_tensors(torch, steps):
    """Tensors and a hand-written backward pass."""
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, device=device, dtype=dtype)
    b = torch.tensor(-0.2, device=device, dtype=dtype)
    c = torch.tensor(0.3, device=device, dtype=dtype)
    d = torch.tensor(0.05, device=device, dtype=dtype)
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return losses, f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3'


def polynomial_nn(torch, steps, init=None, optimizer=None):
    """nn.Sequential with Flatten(0, 1), MSELoss(reduction='sum'), manual updates or an optimizer."""
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    if init is not None:
        init(model)
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    opt = None if optimizer is None else torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if opt is None:
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        else:
            opt.zero_grad()
            loss.backward()
            opt.step()
    linear_layer = model[0]
    result = (f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
              f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    return losses, result


def polynomial_module(torch, steps, init=None):
    """A custom nn.Module with four Parameters, SGD."""
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    model = Polynomial3()
    if init is not None:
        init(model)
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, f'Result: {model.string()}'


def dynamic_net(torch, steps, init=None):
    """Control flow and weight sharing: a random number of reuses of one parameter (Python's random, seeded)."""
    import random
    random.seed(0)

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    model = DynamicNet()
    if init is not None:
        init(model)
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def test_learning_pytorch_with_examples():
    want, _ = polynomial_tensors(torch, 200)
    got, result = polynomial_tensors(bt, 200)
    _assert_losses_match(want, got, rtol=1e-5)
    assert result.startswith("Result: y = ")
    for kwargs in ({}, {"optimizer": "RMSprop"}):
        torch.manual_seed(0)
        start = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))  # the weights the program gets
        torch.manual_seed(0)
        want, _ = polynomial_nn(torch, 100, **kwargs)
        got, result = polynomial_nn(bt, 100, init=lambda m: _copy_weights(start, m), **kwargs)
        _assert_losses_match(want, got, rtol=2e-5)
        assert result.startswith("Result: y = ")
    for program in (polynomial_module, dynamic_net):  # PyTorch's initial weights, caught by init, given to both
        torch.manual_seed(0)
        holder = {}
        want = program(torch, 100, init=lambda m: holder.setdefault(
            "state", {k: v.detach().clone() for k, v in m.state_dict().items()}))
        got = program(bt, 100, init=lambda m: m.load_state_dict({k: v.numpy() for k, v in holder["state"].items()}))
        want = want[0] if isinstance(want, tuple) else want
        got = got[0] if isinstance(got, tuple) else got
        _assert_losses_match(want, got, rtol=2e-5)


# -- (h) the 60-minute blitz's CIFAR-10 classifier --------------------------------------------------

def blitz_classifier(torch, images, labels, init=None, epochs=2):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    net = Net()
    if init is not None:
        init(net)
    trainloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)), batch_size=4,
        shuffle=False, num_workers=0)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels_ = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels_)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
    correct = 0
    total = 0
    with torch.no_grad():
        for data in trainloader:
            images_, labels_ = data
            outputs = net(images_)
            _, predicted = torch.max(outputs.data, 1)
            total += labels_.size(0)
            correct += (predicted == labels_).sum().item()
    return losses, (correct, total), net


def test_sixty_minute_blitz_classifier():
    rng = np.random.default_rng(5)
    images = rng.standard_normal((12, 3, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 10, 12)
    torch.manual_seed(0)
    ref = blitz_classifier(torch, images, labels, epochs=0)[2]
    torch.manual_seed(0)
    want, want_acc, _ = blitz_classifier(torch, images, labels)
    got, got_acc, _ = blitz_classifier(bt, images, labels, init=lambda m: _copy_weights(ref, m))
    _assert_losses_match(want, got, rtol=2e-5)
    assert got_acc == want_acc
