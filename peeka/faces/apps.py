from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "peeka.faces"
    label = "faces"
    default_auto_field = "django.db.models.BigAutoField"
