"""Simulated devices that speak the real protocols on loopback.

Simulators stand where the hardware stands: they read site files and profiles (data)
but never import the drivers' codecs, the twin or the API.
"""
