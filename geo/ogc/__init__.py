"""The OGC API – Features provider: collections, their columns and feature selections."""
