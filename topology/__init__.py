"""The facility's static structure: site files, device profiles and graph queries.

This package is the base every other package may import. It holds no live state
and does no I/O beyond reading files.
"""
