"""Operators and their API tokens: tokens are random, shown once, stored only as a hash."""

import hashlib
import re
import secrets
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine

from models.db import session_scope
from models.tables import Operator

DEV_ADMIN_ID = "dev-admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_operator(engine: Engine, *, name: str, email: str, location_ids: list[str], is_admin: bool) -> str:
    """Create an operator; returns its new token."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"{email!r} is not a valid email address: {error}") from error
    token = secrets.token_urlsafe(32)
    operator_id = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
    with session_scope(engine) as session:
        session.merge(
            Operator(
                id=operator_id,
                name=name,
                email=email,
                token_hash=hash_token(token),
                is_admin=is_admin,
                location_ids=location_ids,
            )
        )
    return token


def ensure_dev_admin(engine: Engine, token_file: Path) -> str:
    """The demo admin of `make run`: its token lives in `token_file` and survives restarts."""
    token = token_file.read_text().strip() if token_file.exists() else secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.merge(
            Operator(
                id=DEV_ADMIN_ID,
                name="Demo admin",
                email="admin@outreach.example",
                token_hash=hash_token(token),
                is_admin=True,
                location_ids=[],
            )
        )
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return token
