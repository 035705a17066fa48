# Prints the reference values pasted into ClassificationReportTests.cs.
# Run: /usr/bin/python3 tests/TinyLM.Tests/Training/Metrics/reference_values.py
# (Debian 12: apt-get install python3-sklearn; values below came from scikit-learn 1.2.1.)
import json
import sklearn
from sklearn.metrics import classification_report, confusion_matrix, accuracy_score

cases = {
    "three_class": ([0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 2, 1, 0, 1, 1], ["neg", "neu", "pos"]),
    "zero_division": ([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 0], ["a", "b", "never-predicted", "absent"]),
    "long_names": ([0, 1, 1, 2, 2, 2, 0], [0, 1, 2, 2, 2, 0, 0], ["business-and-finance", "sport", "x"]),
    "tie_rounding": ([0] + [1] * 31, [0] * 32, ["rare", "common"]),
}
print("sklearn", sklearn.__version__)
for name, (yt, yp, labels) in cases.items():
    k = len(labels)
    print("==", name)
    print(classification_report(yt, yp, labels=list(range(k)), target_names=labels, digits=4, zero_division=0), end="")
    d = classification_report(yt, yp, labels=list(range(k)), target_names=labels, output_dict=True, zero_division=0)
    print(json.dumps({"accuracy": accuracy_score(yt, yp), "macro": d["macro avg"], "weighted": d["weighted avg"],
                      "per_class": {l: d[l] for l in labels}}))
    print(confusion_matrix(yt, yp, labels=list(range(k))).tolist())
