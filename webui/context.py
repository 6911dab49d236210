"""The wired Casework of the running app, and the acting user as the core sees her."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from casework.bootstrap import Casework
from casework.people.access import Actor


def casework() -> Casework:
    return current_app.extensions["casework"]


def actor() -> Actor:
    return current_user.actor
