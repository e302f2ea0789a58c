"""Spatial analysis: distances and constraints, ranking for targeting, class breaks."""
