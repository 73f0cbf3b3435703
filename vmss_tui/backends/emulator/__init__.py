"""The offline emulator: Azure's scale-set behaviour on crash-safe TinyDB storage."""
