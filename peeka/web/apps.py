"""The web app's configuration: registers Peeka's system checks (`checks.py`) when Django
starts, so `manage.py check` and `check --deploy` report a misconfigured deployment."""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register


class WebConfig(AppConfig):
    name = "peeka.web"
    label = "web"

    def ready(self) -> None:
        from peeka.web import checks

        # Every check also carries the "peeka" tag: `check --tag peeka` runs Peeka's alone.
        register(checks.check_key_vault, "peeka", Tags.security)
        register(checks.check_https, "peeka", Tags.security)
        register(checks.check_plain_http_hosts, "peeka", Tags.security, deploy=True)
        register(checks.check_calibration, "peeka")
        # Returns at once without REDIS_URL, so it costs nothing where Redis is not used.
        register(checks.check_redis, "peeka", Tags.caches)
