"""Attendance: kiosk devices (a shared device whose key can only punch) and punches (who, when,
in or out, how, on which device — never an image)."""
