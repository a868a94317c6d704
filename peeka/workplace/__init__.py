"""PEEKA workplace: small Django apps for a company whose sensitive steps are tied to a live
face — organisation and directory (`org`), and after it attendance, leave, approvals,
calendar, notices, messages and dashboards. They call `peeka.faces` flows and the services of
the apps below them, never each other's internals except through services and selectors."""
