"""Administrative units: loading the boundaries, the border, name matching and joins."""
