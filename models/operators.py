"""Operators and their API tokens: tokens are random, shown once, stored only as a hash."""

import hashlib
import re
import secrets
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine

from models.db import session_scope
from models.tables import Operator

DEV_ADMIN_ID = "dev-admin"


class Permission(StrEnum):
    """What an operator may change at its locations; reading them needs none. Admins may do everything."""

    proposed_action = "proposedAction"
    agent_config = "agentConfig"
    email_account = "emailAccount"
    mail_server = "mailServer"
    space_events = "spaceEvents"
    member_chat = "memberChat"

    @property
    def allows(self) -> str:
        return {
            Permission.proposed_action: "review proposals (approve, reject, snooze, edit)",
            Permission.agent_config: "configure agents and detection, and run detection",
            Permission.email_account: "connect email accounts and send from them",
            Permission.mail_server: "choose the mail servers of email accounts (hosts, ports, security) and where "
            "their passwords are",
            Permission.space_events: "report the space's events (invoices paid, bookings, renewals, new members)",
            Permission.member_chat: "issue the members' chat links the space's member portal hands its members",
        }[self]


# A new operator reviews proposals; changing agents is granted on purpose.
DEFAULT_PERMISSIONS = (Permission.proposed_action,)


def operator_id_for(email: str) -> str:
    """The operator's id: readable (the address's words) and its own (a digest of the whole address), so two
    addresses never share one — `a.b@x.com` and `a-b@x.com` are two operators; the same address in other capitals
    is the same one."""
    address = email.lower()
    return f"{re.sub(r'[^a-z0-9]+', '-', address).strip('-')[:40]}-{hashlib.sha256(address.encode()).hexdigest()[:12]}"


def normalized_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"{email!r} is not a valid email address: {error}") from error


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_operator(
    engine: Engine,
    *,
    name: str,
    email: str,
    location_ids: list[str],
    is_admin: bool,
    permissions: Sequence[Permission] = DEFAULT_PERMISSIONS,
) -> str:
    """Create (or replace) an operator; returns its new token. By default it may review proposals only."""
    email = normalized_email(email)
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.merge(
            Operator(
                id=operator_id_for(email),
                name=name,
                email=email,
                token_hash=hash_token(token),
                is_admin=is_admin,
                location_ids=location_ids,
                permissions=sorted(set(permissions)),
            )
        )
    return token


def grant(engine: Engine, email: str, permissions: Sequence[Permission]) -> list[str]:
    """Add permissions to an operator, keeping its token; returns all it now has."""
    with session_scope(engine) as session:
        operator = session.get(Operator, operator_id_for(normalized_email(email)))
        if operator is None:
            raise ValueError(f"No operator with the email {email!r}; create one with `outreach operators create`.")
        operator.permissions = sorted(set(operator.permissions) | set(permissions))
        return operator.permissions


def ensure_dev_admin(engine: Engine, token_file: Path) -> None:
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
