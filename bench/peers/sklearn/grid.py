import sys, time, numpy as np
sys.path.insert(0, __import__('os').path.dirname(__file__))
from common import *
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.svm import LinearSVC
from sklearn.model_selection import StratifiedKFold
def feats(kind, ngram, Xa, Xb):
    if kind == 'tfidf': v = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=ngram)
    if kind == 'subl': v = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=ngram, sublinear_tf=True)
    if kind == 'bin': v = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=ngram, binary=True)
    if kind == 'subl-noidf': v = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None, ngram_range=ngram, sublinear_tf=True, use_idf=False)
    return v.fit_transform(Xa), v.transform(Xb)
for ds in sys.argv[1:]:
    Xtr, ytr = load(ds, 'train'); Xte, yte = load(ds, 'test')
    Xtr = np.array(Xtr, dtype=object); Xte = np.array(Xte, dtype=object)
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    for kind in ['tfidf', 'subl', 'bin', 'subl-noidf']:
        for ngram in [(1,1), (1,2)]:
            for C in [0.3, 1, 3]:
                cv = []
                for a, b in skf.split(Xtr, ytr):
                    A, B = feats(kind, ngram, Xtr[a], Xtr[b]); cv.append((LinearSVC(C=C).fit(A, ytr[a]).predict(B) == ytr[b]).mean())
                A, B = feats(kind, ngram, Xtr, Xte); te = (LinearSVC(C=C).fit(A, ytr).predict(B) == yte).mean()
                print(ds, kind, ngram, C, f'cv {np.mean(cv)*100:.2f}  test {te*100:.2f}', flush=True)
