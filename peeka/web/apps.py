from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "peeka.web"
    label = "web"
