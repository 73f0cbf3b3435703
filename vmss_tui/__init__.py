"""vmss-tui: an interactive terminal shell for Azure Virtual Machine Scale Sets."""

__version__ = "0.1.0"
