"""Synthetic values: the demo poverty rates and the national benchmark coverage."""
