"""ARM JSON <-> domain values: one codec per resource, shared by the ARM endpoint and the Azure adapter.

Imports only `vmss_tui.domain` (never `azure`): the endpoint runs on the emulator path.
"""
