"""Writes of the proximity app, one module per aggregate; each function is one transaction."""
