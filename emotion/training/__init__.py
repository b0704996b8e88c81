"""Training, evaluation, export and ensembles. Only the training commands import this wing;
the app and batch never do (they run the exported TFLite files)."""
