import sys, numpy as np
sys.path.insert(0, __import__('os').path.dirname(__file__))
from common import *
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.svm import LinearSVC
from sklearn.naive_bayes import MultinomialNB
from sklearn.model_selection import StratifiedKFold
def scores(a, b, ya, C):
    v = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=(1,2), sublinear_tf=True)
    A = v.fit_transform(a); B = v.transform(b)
    m = LinearSVC(C=C).fit(A, ya); s = m.decision_function(B)
    if s.ndim == 1: s = np.stack([-s, s], 1)
    cv = CountVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=(1,2))
    nb = MultinomialNB(alpha=1.0).fit(cv.fit_transform(a), ya); lp = nb.predict_log_proba(cv.transform(b))
    return m.classes_, s, lp
G = [0, 0.01, 0.02, 0.05, 0.1, 0.2]
for ds in sys.argv[1:]:
    Xtr, ytr = load(ds, 'train'); Xte, yte = load(ds, 'test')
    Xtr = np.array(Xtr, dtype=object); Xte = np.array(Xte, dtype=object)
    for C in [0.5, 1, 3]:
        cvacc = np.zeros(len(G))
        for a, b in StratifiedKFold(5, shuffle=True, random_state=0).split(Xtr, ytr):
            cl, s, lp = scores(Xtr[a], Xtr[b], ytr[a], C)
            for i, g in enumerate(G): cvacc[i] += (cl[(s + g * lp).argmax(1)] == ytr[b]).mean() / 5
        cl, s, lp = scores(Xtr, Xte, ytr, C)
        te = [(cl[(s + g * lp).argmax(1)] == yte).mean() for g in G]
        print(ds, 'C', C, ' '.join(f'g{g}: cv {c*100:.2f} te {t*100:.2f}' for g, c, t in zip(G, cvacc, te)), flush=True)
