"""Benchmarks that run the platform's real parts at scale and print figures.

Each benchmark generates its own site, starts what it needs on loopback only and
stops everything it started before it returns.
"""
