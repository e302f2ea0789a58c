"""Uploads of official figures and boundaries, and the dataset versions they create."""
