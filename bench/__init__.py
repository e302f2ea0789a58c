"""Benchmarks of the Kon Tum poverty map (``python -m bench``; see bench/README.md).

Speed targets live here, never in the test suite: tests check correctness,
``make bench`` measures and writes bench/RESULTS.md.
"""
