"""Per-frame inference: images in, classified faces out (detectors, emotion CNN, face mesh,
action measurements, the analyzer that combines them, and the one model cache).

Imports `io/`, never `temporal/`, `draw/` or `training/`."""
