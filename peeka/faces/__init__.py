"""Face enrollment and face login over protected templates: models, services and views. Only
`services.py` talks to the engine and the protection schemes; views stay thin."""
