"""Running vmss-tui as a shared admin console: who the operator is, what they may do, what they did."""
