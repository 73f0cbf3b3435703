"""The Textual front end: `run_app` opens it; `VmssApp` builds it for tests and benchmarks."""
