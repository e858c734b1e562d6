"""What every layer of podium uses: errors meant for people, close-match
suggestions, lazy registries, escapes, digests and names (imports nothing
of podium outside this package)."""
