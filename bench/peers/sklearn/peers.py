import sys, time, numpy as np
sys.path.insert(0, __import__('os').path.dirname(__file__))
from common import *
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.linear_model import LogisticRegression
for ds in sys.argv[1:] or ["r8", "mr"]:
    Xtr, ytr = load(ds, 'train'); Xte, yte = load(ds, 'test')
    for name, vec, clf in [
        ('tfidf+LinearSVC (sklearn defaults)', TfidfVectorizer(), LinearSVC()),
        ('tfidf(our tok)+LinearSVC', TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None), LinearSVC()),
        ('tfidf sublinear 1-2gram + LinearSVC', TfidfVectorizer(ngram_range=(1,2), sublinear_tf=True), LinearSVC()),
        ('tfidf + LR C=10', TfidfVectorizer(), LogisticRegression(C=10, max_iter=2000)),
    ]:
        t = time.time(); A = vec.fit_transform(Xtr); clf.fit(A, ytr); acc = (clf.predict(vec.transform(Xte)) == yte).mean()
        print(ds, name, f'{acc*100:.2f}', f'{time.time()-t:.1f}s', flush=True)
