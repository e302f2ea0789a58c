"""Map layers declared in ``layers/*.toml``: loading, validating, turning into layer data."""
