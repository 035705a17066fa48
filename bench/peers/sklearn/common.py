# Python peers for issue 3 (scikit-learn 1.2, Debian python3-sklearn): data from $TINYLM_DATA, tokenised like WordTokenizer.
import re, numpy as np
FILT = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
TR = str.maketrans({c: ' ' for c in FILT})
def tok(s): return s.lower().translate(TR).split()
def load(ds, part):
    X, y = [], []
    for line in open(__import__('os').environ.get('TINYLM_DATA', '../shared/datasets') + f'/{ds}/{part}.tsv', encoding='utf-8'):
        line = line.rstrip('\n').rstrip('\r')
        if not line: continue
        l, t = line.split('\t', 1)
        X.append(t); y.append(l)
    return X, np.array(y)
