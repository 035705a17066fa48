import sys, time, numpy as np, scipy.sparse as sp
sys.path.insert(0, __import__('os').path.dirname(__file__))
from common import *
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.svm import LinearSVC
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
def nbsvm(A, y, B, classes, C=1.0, beta=0.25, alpha=1.0, binary=True, l2=False, loss='squared_hinge'):
    if binary: A = (A > 0).astype(np.float64); B = (B > 0).astype(np.float64)
    scores = np.zeros((B.shape[0], len(classes)))
    cls = classes if len(classes) > 2 else classes[1:]
    for k, c in enumerate(cls):
        yy = (y == c)
        p = alpha + np.asarray(A[yy].sum(0)).ravel(); q = alpha + np.asarray(A[~yy].sum(0)).ravel()
        r = np.log((p / p.sum()) / (q / q.sum()))
        Ar = A.multiply(r).tocsr(); Br = B.multiply(r).tocsr()
        if l2: Ar = normalize(Ar); Br = normalize(Br)
        m = LinearSVC(C=C, loss=loss, max_iter=5000).fit(Ar, yy)
        w = m.coef_.ravel(); b = m.intercept_[0]
        wbar = np.abs(w).mean()
        w2 = (1 - beta) * wbar + beta * w
        s = Br @ w2 + b
        if len(classes) > 2: scores[:, k] = s
        else: scores[:, 1] = s
    return classes[scores.argmax(1)]
for ds in sys.argv[1:]:
    Xtr, ytr = load(ds, 'train'); Xte, yte = load(ds, 'test')
    Xtr = np.array(Xtr, dtype=object); Xte = np.array(Xte, dtype=object)
    classes = np.unique(ytr)
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    for ngram in [(1,2), (1,3)]:
      for C, beta, l2 in [(1, 0.25, False), (0.1, 0.25, False), (1, 1.0, False), (0.1, 1.0, False), (1, 0.25, True), (3, 0.25, True), (1, 1.0, True), (10, 1.0, True)]:
        def run(a, b, ya):
            v = CountVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=ngram)
            A = v.fit_transform(a); B = v.transform(b)
            return nbsvm(A, ya, B, classes, C=C, beta=beta, l2=l2)
        cv = [(run(Xtr[a], Xtr[b], ytr[a]) == ytr[b]).mean() for a, b in skf.split(Xtr, ytr)]
        te = (run(Xtr, Xte, ytr) == yte).mean()
        print(ds, ngram, 'C', C, 'beta', beta, 'l2', l2, f'cv {np.mean(cv)*100:.2f}  test {te*100:.2f}', flush=True)
