"""The web app: server-rendered pages and the JSON API over the same service calls as the CLI.

``create_app(settings)`` in app.py builds it; ``commission serve`` runs it under uvicorn. Nothing imports
this package except its own tests and serve's composition.
"""
