"""The JSON API `/api/v1` for other apps (enroll, verify, identify, delete), with API keys."""
