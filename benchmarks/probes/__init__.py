"""One-off probes: questions asked once (where a leak came from, whether another method would
measure more), kept so their answers can be checked. Run from the repository root as modules,
e.g. `python -m benchmarks.probes.actions_leak`; their tables are under benchmarks/results/."""
