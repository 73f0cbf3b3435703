"""Microsoft.Compute as the emulator has it: scale sets, their instances and Flexible VMs, quotas."""
