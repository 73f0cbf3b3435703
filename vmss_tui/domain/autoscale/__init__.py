"""Autoscale (Microsoft.Insights/autoscaleSettings) as pure values and rules, shared by the emulator and the adapter.

`model` holds the setting's shape, `durations` ISO 8601 durations, `metrics` the aggregation a metric
trigger asks for, and `engine` one evaluation run as Azure's autoscale engine makes it. No I/O here:
the emulator's insights provider feeds stored load and the clock in, the TUI and `autoscale simulate`
read the evaluations out.
"""
