"""The Django project: settings, URLs, the WSGI application, base templates and static files."""
