"""Microsoft.Insights in the emulator: autoscale settings, the simulated load, metrics and the engine's runs."""

SETTINGS_PREFIX = "autoscale/"
"""Store keys of autoscale settings: `autoscale/<group>/<name>` (a light module: the backend checks it on reads)."""
