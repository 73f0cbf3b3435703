"""End-to-end tests across real processes: sshd, tmux, terminals."""
