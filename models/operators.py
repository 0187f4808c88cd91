"""Operators and how they prove who they are: an API token for scripts and integrations (random, shown once,
stored only as a hash), and for people a password chosen from an admin's invitation (stored as an argon2id hash;
too many wrong ones in a row pause sign-in)."""

import hashlib
import re
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, col, select

from models.db import session_scope
from models.tables import Invitation, Operator, WebSession

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


def held(operator: Operator) -> list[Permission]:
    """What the operator may change: every permission for an admin, else those it was granted (known today)."""
    known = {permission.value for permission in Permission}
    return list(Permission) if operator.is_admin else [Permission(p) for p in operator.permissions if p in known]


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
    """Create an operator, or change one (its password, if it has one, is kept); returns its new API token. By
    default it may review proposals only."""
    email = normalized_email(email)
    token = secrets.token_urlsafe(32)
    _keep(engine, Operator(id=operator_id_for(email), name=name, email=email, token_hash=hash_token(token),
                           is_admin=is_admin, location_ids=location_ids,
                           permissions=sorted(set(permissions))))  # fmt: skip
    return token


def _keep(engine: Engine, operator: Operator) -> None:
    """The operator as given, over what was kept of it but its password and the count of wrong ones."""
    with session_scope(engine) as session:
        kept = session.get(Operator, operator.id)
        if kept is None:
            session.add(operator)
            return
        for name in ("name", "email", "token_hash", "is_admin", "location_ids", "permissions"):
            setattr(kept, name, getattr(operator, name))


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
    _keep(engine, Operator(id=DEV_ADMIN_ID, name="Demo admin", email="admin@outreach.example",
                           token_hash=hash_token(token), is_admin=True, location_ids=[]))  # fmt: skip
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)


# --- people: invitations and passwords ------------------------------------------------------------------------

INVITATION_HOURS = 72
PASSWORD_CHARS = (12, 256)  # at least long enough to resist guessing offline; at most what a person types
ATTEMPTS = 10  # wrong passwords in a row before sign-in pauses …
PAUSED = timedelta(minutes=15)  # … for this long
# One answer whatever was wrong, so the sign-in form tells no one which addresses are operators'.
NOT_SIGNED_IN = (
    f"That email address and password do not match. After {ATTEMPTS} wrong passwords in a row sign-in pauses for "
    f"{int(PAUSED.total_seconds()) // 60} minutes; an admin can send you a new invitation to choose a new password."
)
INVITATION_GONE = (
    "This invitation link no longer works: it was used already, a newer one replaced it, or it is more than "
    f"{INVITATION_HOURS} hours old. Ask an admin for a new one."
)
_hasher = PasswordHasher()  # argon2id with the parameters RFC 9106 recommends where memory is limited
# Hashes computed at once, at most: each holds 64 MiB for its moment, and sign-in is open to anyone.
_hashing = threading.BoundedSemaphore(2)


class InvitationRefused(ValueError):
    """The invitation link cannot set a password (`INVITATION_GONE`), or the password is not one to keep."""


@cache
def _nobody() -> str:
    """A hash no password matches, verified against when no operator could sign in: the answer takes as long."""
    return _hashed(secrets.token_urlsafe(32))


def _hashed(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def _matches(password_hash: str, password: str) -> bool:
    with _hashing:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def invitation_link(public_base_url: str, token: str) -> str:
    """The invitation's page, the token after `#`: a browser never sends that part, so no server's access log and
    no page's Referer holds it; the page posts it."""
    return f"{public_base_url.rstrip('/')}/app/invitation#{token}"


def invite(engine: Engine, operator_id: str, invited_by: str, now: datetime) -> tuple[str, datetime]:
    """A new invitation for the operator (voiding any earlier one): its token, for the link and shown once, and
    when it expires. The operator's password, if it has one, works until a new one is chosen."""
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=INVITATION_HOURS)
    with session_scope(engine) as session:
        gone = or_(col(Invitation.operator_id) == operator_id, col(Invitation.expires_at) <= now)  # and any expired
        session.execute(delete(Invitation).where(gone))
        session.add(Invitation(token_hash=hash_token(token), operator_id=operator_id, invited_by=invited_by,
                               created_at=now, expires_at=expires_at))  # fmt: skip
    return token, expires_at


def void_invitation(engine: Engine, operator_id: str) -> None:
    """The operator's open invitation opens nothing any more (one whose email the provider refused)."""
    with session_scope(engine) as session:
        session.execute(delete(Invitation).where(col(Invitation.operator_id) == operator_id))


def password_problem(password: str) -> str | None:
    """Why a password will not do, in words; None if it will."""
    shortest, longest = PASSWORD_CHARS
    if len(password) < shortest:
        return f"Choose a password of at least {shortest} characters (a few words make a good one)."
    if len(password) > longest:
        return f"Choose a password of at most {longest} characters."
    if not password.strip():
        return "Choose a password that is not only spaces."
    return None


def accept_invitation(engine: Engine, token: str, password: str, now: datetime) -> str:
    """The invited operator's password is set and the link used up; every session it had ends (whoever held one
    no longer holds its password). Answers the operator's id; raises InvitationRefused, in words."""
    problem = password_problem(password)
    if problem:
        raise InvitationRefused(problem)
    token_hash = hash_token(token)
    with Session(engine) as session:
        if _open_invitation(session, token_hash, now) is None:  # before hashing: a made-up link costs no hash
            raise InvitationRefused(INVITATION_GONE)
    password_hash = _hashed(password)  # outside the transaction: it takes a noticeable moment, by design
    with session_scope(engine) as session:
        invitation = _open_invitation(session, token_hash, now)
        if invitation is None:
            raise InvitationRefused(INVITATION_GONE)
        # Used once: of two browsers posting the same link at once, only the one that deletes it sets a password.
        used = session.execute(delete(Invitation).where(col(Invitation.token_hash) == token_hash))
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise InvitationRefused(INVITATION_GONE)
        session.execute(update(Operator).where(col(Operator.id) == invitation.operator_id).values(
            password_hash=password_hash, failed_sign_ins=0, locked_until=None))  # fmt: skip
        session.execute(delete(WebSession).where(col(WebSession.operator_id) == invitation.operator_id))
        return invitation.operator_id


def _open_invitation(session: Session, token_hash: str, now: datetime) -> Invitation | None:
    invitation = session.get(Invitation, token_hash)
    return invitation if invitation is not None and invitation.expires_at > now else None


def operator_with_email(engine: Engine, email: str) -> str | None:
    """The id of the operator whose (verified) email address this is, or None."""
    try:
        operator_id = operator_id_for(normalized_email(email.strip()))
    except ValueError:
        return None
    with Session(engine) as session:
        return operator_id if session.get(Operator, operator_id) is not None else None


def signing_in(engine: Engine, email: str, password: str, now: datetime) -> str | None:
    """The id of the operator whose email address and password these are, or None — for an unknown address, an
    operator without a password or one whose sign-in is paused as for a wrong password, with the same statements
    and one hash verification each, so neither the answer nor its time says who is an operator.

    An attempt is counted before its password is verified, in one statement that also checks the pause: guesses
    sent at once, or to several API processes, are refused once `ATTEMPTS` are under way or made."""
    try:
        operator_id = operator_id_for(normalized_email(email.strip()))
    except ValueError:
        operator_id = ""  # no operator has it
    mine = col(Operator.id) == operator_id
    wrong = col(Operator.failed_sign_ins)
    with session_scope(engine) as session:
        open_to_try = or_(col(Operator.locked_until).is_(None), col(Operator.locked_until) <= now)
        claimed = session.execute(update(Operator).where(
            mine, col(Operator.password_hash).is_not(None), open_to_try, wrong < ATTEMPTS,
        ).values(failed_sign_ins=wrong + 1, locked_until=None))  # fmt: skip
        kept = session.get(Operator, operator_id)  # read whatever was claimed: the same statements either way
        password_hash = kept.password_hash if kept is not None and claimed.rowcount == 1 else None  # type: ignore[attr-defined]
    right = _matches(password_hash or _nobody(), password) and password_hash is not None
    with session_scope(engine) as session:
        if right:
            changes: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None}
            if _hasher.check_needs_rehash(password_hash or ""):  # hashed with older parameters: kept with today's
                changes["password_hash"] = _hashed(password)
            session.execute(update(Operator).where(mine).values(**changes))
            return operator_id
        session.execute(update(Operator).where(mine, wrong >= ATTEMPTS).values(failed_sign_ins=0,
                                                                               locked_until=now + PAUSED))  # fmt: skip
    return None


def operator_with_token(engine: Engine, token: str) -> str | None:
    """The id of the operator whose API token this is, or None."""
    with Session(engine) as session:
        return session.exec(select(Operator.id).where(col(Operator.token_hash) == hash_token(token))).first()
