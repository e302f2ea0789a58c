"""Indicator figures: the catalogue of real figures and picking values out of observations."""
