"""Drawing: annotated frames and matplotlib figures (training curves, confusion matrices,
probability bars, the video timeline).

Never imports `inference/`, `temporal/` or `training/`."""
