"""The bottom floor of the web side: the audit log, throttles and lockouts, the client's
address, the key-vault handle and the privacy registry every app above registers with."""
