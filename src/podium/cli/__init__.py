"""The `podium` command: a thin layer over the service (`main` holds the commands)."""
