"""The contract suite's `backend` fixture (emulator, and the Azure adapter over HTTPS to the endpoint) for these tests."""

from tests.contract.conftest import arm_state_dir, backend, clock  # noqa: F401  (fixtures, found by pytest here)
