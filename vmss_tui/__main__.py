"""`python -m vmss_tui` is the same as the `vmss-tui` command."""

from vmss_tui.cli import main

raise SystemExit(main())
