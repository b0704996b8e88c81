"""Time: faces of successive frames in, tracked faces out (ids, smoothing, motion, baselines,
events), written once in `FaceStream` for batch and live alike.

Works on the value types only; never imports `inference/`, `draw/` or `training/`."""
