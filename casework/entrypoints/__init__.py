"""Entry points: the ``casework`` command line (``cli``) and the demo county (``demo``).

They parse what a person types, call the services of the other concepts through the one wiring
in ``casework.bootstrap``, and turn a domain error into one sentence on stderr with exit status
1.  No rule lives here.  The web app (``webui``) is the other entry point, beside this package.
"""
