"""Microsoft.Insights in the emulator: autoscale settings, the simulated load, metrics and the engine's runs."""
