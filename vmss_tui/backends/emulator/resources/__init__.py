"""Microsoft.Resources as the emulator has it: the subscription and its resource groups."""
