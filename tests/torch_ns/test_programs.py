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
        # the one line changed from the example, which reads p.data.add_(p.grad, alpha=-lr): backchain's
        # .data is the ndarray itself (docs/coming-from/pytorch.md)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
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
