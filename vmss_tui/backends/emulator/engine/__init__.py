"""The resource-neutral machinery every emulated provider shares: the context, LRO records."""
