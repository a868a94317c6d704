"""Evaluation tools: biometric error rates, LFW-style accuracy and reports."""
