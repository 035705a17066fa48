# Peer for issue 20 (scikit-learn 1.2, Debian python3-sklearn): Fashion-MNIST from Debian's dataset-fashion-mnist.
# Usage: /usr/bin/python3 bench/peers/sklearn/fashion_mnist.py mlp|logreg MAX_ITER   (pixels scaled to [0, 1])
import gzip, time, sys, numpy as np, os
from sklearn.neural_network import MLPClassifier
from sklearn.linear_model import LogisticRegression
d = "/usr/share/datasets/fashion-mnist"
def images(p):
    with gzip.open(os.path.join(d, p)) as f: return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
def labels(p):
    with gzip.open(os.path.join(d, p)) as f: return np.frombuffer(f.read(), np.uint8, offset=8)
Xtr, ytr = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
Xte, yte = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
which = sys.argv[1]
if which == "mlp":
    m = MLPClassifier(hidden_layer_sizes=(100,), max_iter=int(sys.argv[2]), random_state=1)
else:
    m = LogisticRegression(max_iter=int(sys.argv[2]))
t = time.time(); m.fit(Xtr, ytr); s = time.time() - t
ws = (m.coefs_ + m.intercepts_) if which == "mlp" else [m.coef_, m.intercept_]
print(f"{which} fit {s:.1f}s test accuracy {m.score(Xte, yte):.4f} params {sum(w.size for w in ws)} iterations {m.n_iter_}")
