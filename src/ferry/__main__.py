"""``python -m ferry`` runs the CLI."""

from ferry.cli import main

if __name__ == "__main__":
    main()
