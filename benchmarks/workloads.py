"""The benchmark workloads, each as a kcore version and a PyTorch version.

Every function takes the data and returns a zero-argument callable that runs the workload
once (models are built outside the timed region; the first call is a warm-up).

kcore is imported only by the kcore workloads: a PyTorch run must not load it, since
``import kcore`` tunes glibc's malloc for the whole process (PyTorch's CPU tensors come from
the same malloc, so its times and page faults would not be what PyTorch users get).
"""

import math

import numpy as np

# -- data ---------------------------------------------------------------------------------


def mnist_like(n=60000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def images_like(n=10000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def tokens_like(n=5000, length=100, vocab=10000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, vocab, (n, length)).astype(np.int32), rng.integers(0, 2, n).astype(np.float32)


# -- kcore --------------------------------------------------------------------------------


def kcore_mlp():
    import kcore

    model = kcore.Sequential([
        kcore.Input((784,)),
        kcore.layers.Dense(512, activation="relu"),
        kcore.layers.Dense(256, activation="relu"),
        kcore.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def keras_mlp(keras):
    """The W1 MLP in real Keras (same API, so ``kcore_fit`` drives it too)."""
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def kcore_fit(model, x, y, batch_size, steps=None, callbacks=None):
    def run():
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, steps_per_epoch=steps,
                  callbacks=callbacks)
    return run


def kcore_predict(model, x, batch_size):
    return lambda: model.predict(x, batch_size=batch_size, verbose=0)


def kcore_cnn():
    import kcore

    L = kcore.layers
    model = kcore.Sequential([
        kcore.Input((28, 28, 1)),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def kcore_lstm():
    import kcore

    L = kcore.layers
    model = kcore.Sequential([
        kcore.Input((100,), dtype="int32"),
        L.Embedding(10000, 64), L.LSTM(64), L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def no_op_callback():
    """A callback that overrides every batch hook and does nothing."""
    import kcore

    class NoOp(kcore.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            pass

        def on_train_batch_end(self, batch, logs=None):
            pass

    return NoOp()


# -- plain numpy bound for W1 -------------------------------------------------------------


def numpy_mlp_epoch(x, y, batch_size=128, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7, seed=0):
    """W1 written by hand in numpy: the bound for any numpy engine (same math as kcore)."""
    rng = np.random.default_rng(seed)
    sizes = [(784, 512), (512, 256), (256, 10)]
    params = []
    for fan_in, fan_out in sizes:
        limit = np.sqrt(6 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                   np.zeros(fan_out, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    n = len(x)

    def run():
        t = 0
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            w1, b1_, w2, b2_, w3, b3 = params
            h1 = np.maximum(xb @ w1 + b1_, 0)
            h2 = np.maximum(h1 @ w2 + b2_, 0)
            z = h2 @ w3 + b3
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g = p
            g[np.arange(len(yb)), yb] -= 1
            g /= len(yb)
            grads = [None] * 6
            grads[4], grads[5] = h2.T @ g, g.sum(0)
            g = (g @ w3.T) * (h2 > 0)
            grads[2], grads[3] = h1.T @ g, g.sum(0)
            g = (g @ w2.T) * (h1 > 0)
            grads[0], grads[1] = xb.T @ g, g.sum(0)
            t += 1
            # math.sqrt, not np.sqrt: a numpy float64 scalar would promote the update to
            # float64 (NEP 50).
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            for p_, g_, m_, v_, tmp in zip(params, grads, m, v, scratch):
                np.subtract(g_, m_, out=tmp)
                tmp *= 1 - b1
                m_ += tmp
                np.multiply(g_, g_, out=tmp)
                tmp -= v_
                tmp *= 1 - b2
                v_ += tmp
                np.sqrt(v_, out=tmp)
                tmp += eps
                np.divide(m_, tmp, out=tmp)
                tmp *= alpha
                p_ -= tmp
    return run


# -- PyTorch ------------------------------------------------------------------------------


def torch_mlp():
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def torch_cnn():
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


class _TorchLSTM:
    def __init__(self):
        import torch

        self.emb = torch.nn.Embedding(10000, 64)
        self.lstm = torch.nn.LSTM(64, 64, batch_first=True)
        self.out = torch.nn.Linear(64, 1)
        self.params = list(self.emb.parameters()) + list(self.lstm.parameters()) + list(self.out.parameters())

    def __call__(self, x):
        import torch

        _, (h, _) = self.lstm(self.emb(x))
        return torch.sigmoid(self.out(h[-1]))[:, 0]


def torch_lstm():
    import torch

    model = _TorchLSTM()
    return model, torch.optim.Adam(model.params, lr=1e-3, eps=1e-7)


def torch_fit(model_opt, x, y, batch_size, loss="ce", steps=None, nchw=False):
    import torch

    model, opt = model_opt
    xt = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)) if nchw else x)
    yt = torch.from_numpy(y)
    lossfn = torch.nn.CrossEntropyLoss() if loss == "ce" else torch.nn.BCELoss()
    n = len(x)

    def run():
        perm = torch.randperm(n)
        total = (n + batch_size - 1) // batch_size if steps is None else steps
        for i in range(total):
            idx = perm[(i * batch_size) % n:(i * batch_size) % n + batch_size]
            opt.zero_grad(set_to_none=True)
            out = model(xt[idx])
            lossfn(out, yt[idx]).backward()
            opt.step()
    return run


def torch_predict(model_opt, x, batch_size):
    import torch

    model, _ = model_opt
    xt = torch.from_numpy(x)

    def run():
        with torch.no_grad():
            return torch.cat([model(xt[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return run
