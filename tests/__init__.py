"""vmss-tui test suite (a package, so tests/azure never shadows the real `azure` namespace)."""
