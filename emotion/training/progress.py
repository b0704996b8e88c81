"""A tqdm progress display for Keras training (one bar per epoch), so that long CPU runs show
speed and an ETA the same way the project's other long jobs do."""

from __future__ import annotations

import keras
from tqdm.auto import tqdm


class TqdmProgress(keras.callbacks.Callback):
    def __init__(self, total_epochs: int, steps_per_epoch: int, disable: bool = False):
        super().__init__()
        self.total_epochs = total_epochs
        self.steps = steps_per_epoch
        self.disable = disable
        self._bar: tqdm | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._bar = tqdm(total=self.steps, desc=f"epoch {epoch + 1}/{self.total_epochs}", unit="batch",
                         leave=False, disable=self.disable, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            if logs and batch % 10 == 0:
                self._bar.set_postfix(loss=f"{float(logs.get('loss', 0)):.3f}", acc=f"{float(logs.get('accuracy', 0)):.3f}")

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.close()
        logs = logs or {}
        summary = " ".join(f"{k}={float(v):.4f}" for k, v in logs.items() if k != "learning_rate")
        tqdm.write(f"epoch {epoch + 1}/{self.total_epochs}: {summary}")
