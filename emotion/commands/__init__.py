"""The command-line tools behind `emotion COMMAND` (emotion/cli.py), one module each: `train`,
`train_members`, `evaluate`, `export`, `ensemble`, `visualize`. Each has a `main(argv)`; the
training ones may import the training wing, which the app and batch never do."""
