"""Peeka: face authentication that never stores a face."""
