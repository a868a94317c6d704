"""Dashboards: the security view for HR administrators (failed face attempts and lockouts per
hour, liveness rejections, kiosks, accounts without a second factor) and its alerts."""
