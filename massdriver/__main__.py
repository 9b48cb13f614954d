"""``python -m massdriver`` runs the command-line interface."""

from massdriver.cli import main

raise SystemExit(main())
