"""The whole Peyvand stack as a list of processes: used by `make run`, the tests and the benchmarks."""
