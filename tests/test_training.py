"""End-to-end training, one small problem per layer family: the loss must fall below a bound.

Each test is seeded, trains for well under a second and asserts both the final loss and a
property of the trained model (accuracy), so a broken layer, gradient or optimizer fails.
"""
import numpy as np

from autodiff import Tensor, no_grad
from examples.datasets import load_digits
from nn.data import DataLoader
from nn.layers import (LSTM, MLP, AvgPool2d, BatchNorm1d, BatchNorm2d, BCEWithLogitsLoss, Conv2d,
                       CrossEntropyLoss, Dropout, Flatten, HingeLoss, Linear, MaxPool2d, ReLU)
from nn.module import Module, Sequential
from nn.optim import SGD, Adam


def xor_blobs(n=128, seed=0):
    """Points around the four corners of a square, labelled by XOR of their quadrant."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    X = (corners * 2 - 1) + 0.25 * rng.standard_normal((n, 2))
    y = (corners[:, 0] ^ corners[:, 1]).astype(np.float32)
    return X.astype(np.float32), y


def fit(model, loss_fn, optimizer, loader, epochs):
    """Train and return the mean loss of the last epoch."""
    model.train()
    for _ in range(epochs):
        losses = []
        for *inputs, target in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(*inputs), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def test_mlp_learns_xor_with_full_batch_adam():
    X, y = xor_blobs()
    model = MLP(2, [16, 16, 1], activation="tanh", rng=0)
    loss_fn = BCEWithLogitsLoss()
    loader = DataLoader(X, y[:, None], batch_size=len(X))
    with no_grad():
        initial = loss_fn(model(Tensor(X)), Tensor(y[:, None])).item()
    final = fit(model, loss_fn, Adam(model.parameters(), lr=0.05), loader, epochs=150)
    assert initial > 0.6 and final < 0.05
    predictions = model(Tensor(X)).numpy()[:, 0] > 0
    assert (predictions == (y == 1)).all()


def test_mlp_with_batchnorm_and_dropout_learns_with_minibatch_sgd_momentum():
    X, y = xor_blobs(seed=1)
    model = Sequential(Linear(2, 32, rng=0), BatchNorm1d(32), ReLU(), Dropout(0.1, rng=0),
                       Linear(32, 1, rng=1))
    loader = DataLoader(X, y[:, None] * 2 - 1, batch_size=16, shuffle=True, rng=0)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    final = fit(model, HingeLoss(), optimizer, loader, epochs=30)
    assert final < 0.15
    model.eval()  # running statistics, no dropout
    predictions = model(Tensor(X)).numpy()[:, 0] > 0
    assert (predictions == (y == 1)).mean() > 0.97


class TinyCNN(Module):
    """conv -> relu -> max pool -> conv -> batch norm -> relu -> avg pool -> linear, on 8x8."""

    def __init__(self):
        super().__init__()
        self.features = Sequential(
            Conv2d(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
            Conv2d(8, 16, 3, padding=1, rng=1), BatchNorm2d(16), ReLU(), AvgPool2d(2),
        )
        self.classifier = Sequential(Flatten(), Linear(16 * 2 * 2, 10, rng=2))

    def forward(self, x):
        return self.classifier(self.features(x))


def test_tiny_cnn_learns_digits():
    X_train, y_train, X_test, y_test = load_digits()
    X_train, y_train = X_train[:300].reshape(-1, 1, 8, 8), y_train[:300]
    X_test, y_test = X_test[:200].reshape(-1, 1, 8, 8), y_test[:200]
    model = TinyCNN()
    loader = DataLoader(X_train, y_train, batch_size=50, shuffle=True, rng=0)
    final = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.02), loader, epochs=8)
    assert final < 0.15  # about 0.05 over seeds
    model.eval()
    accuracy = (model(Tensor(X_test)).numpy().argmax(axis=1) == y_test).mean()
    assert accuracy > 0.8  # about 0.86 over seeds (chance is 0.1)


class FirstSign(Module):
    """An LSTM reads a sequence; a Linear on its last hidden state gives one logit."""

    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = LSTM(1, hidden, batch_first=True, rng=0)
        self.head = Linear(hidden, 1, rng=1)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[0])


def test_lstm_remembers_the_first_element_of_a_sequence():
    # The label is the sign of the first of 5 noisy steps: the state must carry it to the end.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((96, 5, 1)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(np.float32)[:, None]
    model = FirstSign()
    loader = DataLoader(X, y, batch_size=32, shuffle=True, rng=0)
    final = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), loader, epochs=50)
    assert final < 0.05  # below 0.01 over seeds; a constant guess gives log(2) = 0.69
    predictions = model(Tensor(X)).numpy()[:, 0] > 0
    assert (predictions == (y[:, 0] == 1)).mean() > 0.98
