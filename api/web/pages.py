"""The web app's pages: sign-in, the AI Inbox (list, metrics, the detail panel, the takeover form and the
decisions), and the Conversations. Each reads and changes things through the JSON API (`client.py`); a refusal is
shown in the API's words, next to what the operator was doing."""

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api import changes as live
from api.deps import EngineDep
from api.routers.meta import VOCABULARY
from api.schemas import BATCH_MOST, HIGH_CONFIDENCE
from api.web import oidc, session
from api.web.client import Api, ApiRefused
from domain.content import LINK, sanitize_html, typed_as_html
from domain.variables import ALLOWED
from models import operators
from models.operators import Permission, hash_token

router = APIRouter(prefix="/app", include_in_schema=False)
NUMBER = re.compile(r"-?[0-9]{1,15}")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Stored HTML is shown only as the API would send it: sanitised again, never taken as it is.
templates.env.filters["safe_html"] = lambda body_html: Markup(sanitize_html(body_html or ""))
templates.env.filters["todatetime"] = datetime.fromisoformat
# A confidence's band, as operators read it at a glance: high (80+), medium (50-79) or low.
templates.env.filters["band"] = lambda confidence: (
    "high" if confidence >= HIGH_CONFIDENCE else "medium" if confidence >= 50 else "low"
)


def _linked(text: str) -> Markup:
    """Text with its web addresses made links (only http and https, opened apart from the app), the rest escaped."""
    text, parts, last = text or "", [], 0
    for found in LINK.finditer(text):
        address = escape(found[0] if found[0].lower().startswith("http") else f"https://{found[0]}")
        link = f'<a href="{address}" rel="noopener noreferrer" target="_blank">{escape(found[0])}</a>'
        parts += [escape(text[last : found.start()]), link]
        last = found.end()
    return Markup("".join([*parts, escape(text[last:])]))


templates.env.filters["linked"] = _linked
# A time the API gives (UTC, ISO 8601) on the location's clock; the page names the zone once.
templates.env.filters["local"] = lambda at, zone: (
    f"{datetime.fromisoformat(at).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"
)
# The API's links to what a timeline entry came from, as the web app's pages that show them: a browser holds no
# bearer token, so an /api link would answer 401 there.
WEB_PAGES = {"/api/helpdesk/tickets/": "/app/tickets/", "/api/inbound/": "/app/inbound/"}
templates.env.filters["app_link"] = lambda link: next(
    (page + link.removeprefix(api) for api, page in WEB_PAGES.items() if link.startswith(api)), link
)
STATIC = Path(__file__).parent / "static"

# Every enum and choice, with its label, as the API gives them (`GET /api/meta`).
CHANNELS = {choice.value: choice.label for choice in VOCABULARY.channels}
STATUSES = [choice.value for choice in VOCABULARY.statuses]
AGENTS = [kind.agent_type.value for kind in VOCABULARY.agents]
CATEGORIES = {choice.value: choice.label for choice in VOCABULARY.categories}
PRIORITIES = [choice.value for choice in VOCABULARY.priorities]
SORTS = VOCABULARY.sorts
TICKET_STATUSES = [choice.value for choice in VOCABULARY.ticket_statuses]
# Rows a page of the inbox list shows; Show more reads on from the last.
PAGE_ROWS = 50
SETTINGS = VOCABULARY.agent_settings
OPENING_SECONDS = 5.0
# What the pages offer only to an operator the API would let do it.
REVIEW, CONFIGURE = Permission.proposed_action.value, Permission.agent_config.value


def _page(request: Request, name: str, token: str | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    csrf = session.csrf_token(token) if token else ""
    return templates.TemplateResponse(request, name, {"csrf": csrf, "channels": CHANNELS, **context},
                                      status_code=status_code)  # fmt: skip


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/app/sign-in", status_code=303)


def install(app: FastAPI) -> None:
    """Serve the web app: its pages, its static files, and what a page does when the API refuses it — a session
    that is over signs in again; any other refusal is said in the API's words (in place, for a part htmx swaps)."""
    app.include_router(router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        """Whoever opens the server's address finds the web app (the API's reference is at /docs)."""
        return RedirectResponse("/app", status_code=307)

    @app.exception_handler(session.NotSignedIn)
    async def not_signed_in(_request: Request, _error: session.NotSignedIn) -> Response:
        return _to_sign_in()

    @app.exception_handler(ApiRefused)
    async def refused(request: Request, error: ApiRefused) -> Response:
        if error.status == 401:
            signed_out = _to_sign_in()
            signed_out.delete_cookie(session.COOKIE, path="/app")
            return signed_out
        if request.headers.get("HX-Request"):
            return HTMLResponse(f'<p class="error" role="alert">{escape(error.detail)}</p>', status_code=error.status)
        return _page(request, "missing.html", session.token_of(request), status_code=error.status, error=error.detail)


def _sign_in_form(request: Request, name: str, path: str, status_code: int = 200, error: str | None = None,
                  **context: Any) -> HTMLResponse:  # fmt: skip
    """A form that signs a browser in (the sign-in page, an invitation's), with a fresh token of its own in a cookie
    and in the form: only this page can post it, so no other site signs a browser in to an account of its choice."""
    sign_in_token = session.new_sign_in_token()
    page = _page(request, name, None, status_code=status_code, error=error, sign_in_csrf=sign_in_token, **context)
    page.set_cookie(session.SIGN_IN_COOKIE, sign_in_token, httponly=True, samesite="strict",
                    secure=session.secure(request), path=path)  # fmt: skip
    return page


# Where signing in may lead back to: a page of the app, never another site ("//elsewhere", "/\\elsewhere") nor,
# by dot segments (plain or encoded), a page outside the app ("/app/../api/…").
_BACK = re.compile(r"/app(?:[/?][^\s\\]*)?")
_DOTS = re.compile(r"/\.\.?(?:[/?#]|$)")


def _in_app(page: str) -> bool:
    return bool(_BACK.fullmatch(page)) and not _DOTS.search(unquote(page))


def _sign_in_page(request: Request, status_code: int = 200, error: str | None = None, email: str = "",
                  next_page: str = "") -> HTMLResponse:  # fmt: skip
    back = next_page if _in_app(next_page) else ""  # a page it would not lead back to: none, and no banner
    settings = request.app.state.settings
    return _sign_in_form(request, "sign_in.html", "/app/sign-in", status_code, error, email=email, next_page=back,
                         oidc_name=settings.oidc_name if settings.oidc_issuer else "")  # fmt: skip


async def _signed_in(request: Request, operator_id: str, path: str, next_page: str = "",
                     from_elsewhere: bool = False) -> Response:  # fmt: skip
    """The operator's new session, its cookie set, and on to the page it was on (the inbox, at first). Back from
    another site (the sign-in provider) a page of ours moves on: a redirect there would not carry the cookie."""
    hours = request.app.state.settings.web_session_hours
    started = await run_in_threadpool(session.start, request.app.state.engine, operator_id, hours)
    page = next_page if _in_app(next_page) else "/app"
    signed_in: Response = (_page(request, "signed_in.html", None, next_page=page) if from_elsewhere
                           else RedirectResponse(page, status_code=303))  # fmt: skip
    signed_in.set_cookie(session.COOKIE, started, httponly=True, samesite="strict",
                         secure=session.secure(request), path="/app")  # fmt: skip
    signed_in.delete_cookie(session.SIGN_IN_COOKIE, path=path)
    return signed_in


@router.get("/sign-in/oidc", response_model=None)
async def sign_in_with_provider(request: Request, next: str = "") -> Response:
    """To the organisation's sign-in provider, this browser's flow (state, nonce, code verifier) in a cookie of its
    own, sent back only to the callback."""
    settings = request.app.state.settings
    if not settings.oidc_issuer:
        return _sign_in_page(request, 404, "Signing in with your organisation's provider is not set up here: sign in "
                             "with your email address and password.")  # fmt: skip
    flow = oidc.Flow.start(next if _in_app(next) else "")
    try:
        found = await oidc.provider(settings)
    except oidc.OidcRefused as refused:
        return _sign_in_page(request, 502, str(refused), next_page=next)
    going = RedirectResponse(flow.authorization_url(found, settings), status_code=303)
    # Lax: the provider's way back is a visit another site starts, which a strict cookie would not go with.
    going.set_cookie(oidc.COOKIE, flow.cookie(), max_age=oidc.FLOW_SECONDS, httponly=True, samesite="lax",
                     secure=session.secure(request), path=oidc.CALLBACK)  # fmt: skip
    return going


@router.get("/sign-in/oidc/callback", response_model=None)
async def signed_in_by_provider(request: Request, code: Annotated[str, Query(max_length=2_000)] = "",
                                state: Annotated[str, Query(max_length=200)] = "",
                                error: Annotated[str, Query(max_length=200)] = "",
                                error_description: Annotated[str, Query(max_length=500)] = "") -> Response:  # fmt: skip
    """Back from the provider: the flow this browser started, the code exchanged and the ID token checked; the
    verified address must be an operator's (the provider says who someone is, an admin's invitation that they may
    come in)."""
    flow = oidc.Flow.from_cookie(request.cookies.get(oidc.COOKIE))

    def refused(status_code: int, detail: str) -> Response:
        page = _sign_in_page(request, status_code, detail)
        page.delete_cookie(oidc.COOKIE, path=oidc.CALLBACK)
        return page

    if error:
        return refused(401, f"Your organisation's sign-in did not sign you in ({error_description or error}).")
    if flow is None or not secrets.compare_digest(flow.state.encode(), state.encode()):  # any text, in bytes
        return refused(400, "This sign-in was not started in this browser, or took over 10 minutes: start again.")
    try:
        email = await oidc.signed_in_email(request.app.state.settings, flow, code)
    except oidc.OidcRefused as why:
        return refused(401, str(why))
    operator_id = await run_in_threadpool(operators.operator_with_email, request.app.state.engine, email)
    if operator_id is None:
        return refused(403, f"{email} is no operator's address here: ask an admin to invite you.")
    done = await _signed_in(request, operator_id, "/app/sign-in", flow.next_page, from_elsewhere=True)
    done.delete_cookie(oidc.COOKIE, path=oidc.CALLBACK)
    return done


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "") -> HTMLResponse:
    """The sign-in form; `next`: the page a session that ended was on, where signing in leads back."""
    return _sign_in_page(request, next_page=next)


@router.post("/sign-in", response_model=None)
async def sign_in(request: Request, email: Annotated[str, Form(max_length=254)] = "",
                  password: Annotated[str, Form(max_length=1_000)] = "", token: Annotated[str, Form()] = "",
                  sign_in_csrf: Annotated[str, Form()] = "", next: Annotated[str, Form(max_length=2_000)] = "",
                  ) -> Response:  # fmt: skip
    """A person signs in with their email address and password; a script's API token also opens a session."""
    if not session.sign_in_allowed(request, sign_in_csrf):
        return _sign_in_page(request, 403, "The sign-in form has expired; sign in again from this page.", email, next)
    engine = request.app.state.engine
    if token.strip():
        operator_id = await run_in_threadpool(operators.operator_with_token, engine, token.strip())
        refusal = "That API token is not valid: sign in with your email address and password, or ask an admin."
    else:
        operator_id = await run_in_threadpool(operators.signing_in, engine, email, password, datetime.now(UTC))
        refusal = operators.NOT_SIGNED_IN
    if operator_id is None:
        return _sign_in_page(request, 401, refusal, email, next)
    return await _signed_in(request, operator_id, "/app/sign-in", next)


@router.get("/invitation", response_class=HTMLResponse)
async def invitation_form(request: Request) -> HTMLResponse:
    """Where an invited operator chooses a password; the link's token (after `#`) is put in the form by the page."""
    return _sign_in_form(request, "invitation.html", "/app/invitation")


@router.post("/invitation", response_model=None)
async def accept_invitation(request: Request, invitation: Annotated[str, Form(max_length=200)] = "",
                            password: Annotated[str, Form(max_length=1_000)] = "",
                            repeated: Annotated[str, Form(max_length=1_000)] = "",
                            sign_in_csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    def again(status_code: int, error: str) -> HTMLResponse:
        return _sign_in_form(request, "invitation.html", "/app/invitation", status_code, error, invitation=invitation)

    if not session.sign_in_allowed(request, sign_in_csrf):
        return again(403, "The form has expired; choose your password again on this page.")
    if password != repeated:
        return again(422, "The two passwords differ: type the same password twice.")
    try:
        operator_id = await run_in_threadpool(operators.accept_invitation, request.app.state.engine, invitation,
                                              password, datetime.now(UTC))  # fmt: skip
    except operators.InvitationRefused as refused:
        return again(422, str(refused))
    request.app.state.operators.forget_operator(operator_id)  # its other sessions ended: not trusted from memory
    return await _signed_in(request, operator_id, "/app/invitation")


@router.post("/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    token = session.token_of(request)
    if token:
        await session.check_csrf(request, token)
        await run_in_threadpool(session.end, request.app.state.engine, token)
        request.app.state.operators.forget(hash_token(token))
    signed_out = _to_sign_in()
    signed_out.delete_cookie(session.COOKIE, path="/app")
    return signed_out


@router.get("", response_class=HTMLResponse, response_model=None)
async def inbox(
    request: Request,
    token: session.SignedIn,
    status: str = "pending",
    agent_type: str = "",
    channel: str = "",
    location_id: str = "",
    category: str = "",
    q: str = "",
    sort: str = SORTS[0].value,
    cursor: str = "",
) -> Response:
    """The list, what needs attention first; `cursor` answers only the rows after a page's last (Show more)."""
    filters = {"status": status, "agent_type": agent_type, "channel": channel, "location_id": location_id,
               "category": category, "q": q, "sort": sort}  # fmt: skip
    async with Api(request, token) as api:
        page = await api.get("/api/inbox", page_size=PAGE_ROWS, cursor=cursor, **filters)
        me = await api.get("/api/me")
        following = filters | {"cursor": page["next_cursor"]}  # "any status" too: the list's default is pending
        # One agent's waiting proposals can be approved together, by who may review.
        batching = bool(agent_type) and status in ("pending", "snoozed") and REVIEW in me["permissions"]
        rows = {"page": page, "cursor": cursor, "page_rows": PAGE_ROWS, "now": datetime.now(UTC),
                "more": f"/app?{urlencode(following)}" if page["next_cursor"] else None, "batching": batching,
                "batch_confidence": HIGH_CONFIDENCE, "batch_most": BATCH_MOST}  # fmt: skip
        if cursor and request.headers.get("HX-Request"):  # Show more: the rows after, in place of the link
            return _page(request, "_rows.html", token, **rows)
        summary = await api.get("/api/inbox/summary", location_id=location_id)
        locations = sorted({config["location_id"] for config in await api.get("/api/agents")})
    return _page(request, "inbox.html", token, filters=filters, summary=summary, locations=locations,
                 statuses=STATUSES, agents=AGENTS, categories=CATEGORIES, sorts=SORTS, **rows)  # fmt: skip


@router.post("/batch", response_model=None)
async def batch(request: Request, token: session.SignedIn) -> Response:
    """The selected proposals, each shown as it would go, to approve together — or, once confirmed, approved through
    the API (each validated on its own) and what became of each."""
    await session.check_csrf(request, token)
    form = await request.form()
    ids = [value for value in form.getlist("ids") if isinstance(value, str)]
    notes = form.get("review_notes")
    async with Api(request, token) as api:
        if form.get("confirmed") == "yes":
            body = {"action_ids": ids, "min_confidence": HIGH_CONFIDENCE,
                    "review_notes": notes if isinstance(notes, str) and notes.strip() else None}  # fmt: skip
            try:
                outcomes = await api.send("POST", "/api/inbox/approve-batch", body)
            except ApiRefused as refused:
                if refused.status == 401:
                    raise
                return await _batch_page(request, token, api, ids, error=refused.detail, status_code=refused.status)
            return await _batch_page(request, token, api, ids, outcomes={o["action_id"]: o for o in outcomes})
        if not ids:
            return _page(request, "batch.html", token, proposals=[], error="Select the proposals to approve "
                         "together first, on an agent's list.", status_code=422)  # fmt: skip
        if len(ids) > BATCH_MOST:
            return await _batch_page(request, token, api, ids, error=f"At most {BATCH_MOST} proposals are approved "
                                     f"together; {len(ids)} were selected.", status_code=422)  # fmt: skip
        return await _batch_page(request, token, api, ids)


async def _batch_page(request: Request, token: str, api: Api, ids: list[str], *, error: str = "",
                      outcomes: dict[str, Any] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    """Each proposal with what approving it as drafted delivers (the preview: variables filled, to whom)."""
    proposals = []
    for action_id in ids[:BATCH_MOST]:
        proposal = await api.get(f"/api/inbox/{action_id}")
        goes = None if outcomes else await api.send("POST", f"/api/inbox/{action_id}/preview", {})
        proposals.append({"proposal": proposal, "preview": goes, "outcome": (outcomes or {}).get(action_id)})
    return _page(request, "batch.html", token, proposals=proposals, decided=outcomes is not None, error=error,
                 status_code=status_code)  # fmt: skip


@router.get("/inbox/{action_id}", response_class=HTMLResponse, response_model=None)
async def detail(
    request: Request, token: session.SignedIn, action_id: str, done: str = "", channel: str = ""
) -> Response:
    return await _detail(request, token, action_id, done=done, channel=channel)


async def _detail(request: Request, token: str, action_id: str, *, done: str = "", channel: str = "",
                  error: str = "", status_code: int = 200, form: dict[str, str] | None = None) -> Response:  # fmt: skip
    async with Api(request, token) as api:
        proposal = await api.get(f"/api/inbox/{action_id}")
        departments = await api.get("/api/helpdesk/departments", location_id=proposal["location_id"])
        me = await api.get("/api/me")
        # A team's proposal is about no customer: it has no history, and its clock is its location's.
        customer = proposal["customer"]
        if customer:
            history = await api.get(f"/api/customers/{customer['id']}/history")
            zone = history["time_zone"]
        else:
            history = None
            zone = next(place["time_zone"] for place in await api.get("/api/locations")
                        if place["id"] == proposal["location_id"])  # fmt: skip
    presets = snooze_presets(zone, datetime.now(UTC))
    chosen = channel or (form or {}).get("channel") or proposal["channel"]
    return _page(request, "detail.html", token, status_code=status_code, p=proposal, h=history, presets=presets,
                 done=done, error=error, zone=zone,
                 chosen=chosen, option=_option(proposal, chosen), departments=departments, priorities=PRIORITIES,
                 variables=ALLOWED, form=form or {}, may_review=REVIEW in me["permissions"],
                 development=request.app.state.settings.development)  # fmt: skip


def snooze_presets(time_zone: str, now: datetime) -> list[tuple[str, str]]:
    """The snoozes operators choose most, on the location's clock: an hour, tomorrow morning, next Monday morning."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    morning = time(9)
    tomorrow = datetime.combine(today + timedelta(days=1), morning, zone)
    monday = datetime.combine(today + timedelta(days=7 - today.weekday()), morning, zone)
    return [("In 1 hour", (now + timedelta(hours=1)).isoformat()), ("Tomorrow 09:00", tomorrow.isoformat()),
            ("Monday 09:00", monday.isoformat())]  # fmt: skip


def _option(proposal: dict[str, Any], channel: str) -> dict[str, Any]:
    """What the product says of a channel for this customer: whether it reaches them, and the warning."""
    return next((option for option in proposal["channel_options"] if option["channel"] == channel),
                {"channel": channel, "available": False, "warning": "This channel is not offered."})  # fmt: skip


@router.get("/inbox/{action_id}/takeover", response_class=HTMLResponse, response_model=None)
async def takeover_fields(request: Request, token: session.SignedIn, action_id: str, channel: str) -> Response:
    """The part of the takeover form that changes with the channel, and the product's words about it."""
    async with Api(request, token) as api:
        proposal = await api.get(f"/api/inbox/{action_id}")
        departments = await api.get("/api/helpdesk/departments", location_id=proposal["location_id"])
    return _page(request, "_channel_fields.html", token, p=proposal, chosen=channel,
                 option=_option(proposal, channel), departments=departments, priorities=PRIORITIES,
                 form={})  # fmt: skip


@router.post("/inbox/{action_id}/preview", response_class=HTMLResponse, response_model=None)
async def preview(request: Request, token: session.SignedIn, action_id: str) -> Response:
    """What approving the form as it stands would deliver (`POST /api/inbox/{id}/preview`): the message as the
    customer gets it, and what the edits change of the draft."""
    await session.check_csrf(request, token)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    try:
        async with Api(request, token) as api:
            shown = await api.send("POST", f"/api/inbox/{action_id}/preview", _decision_body("approve", form))
    except ApiRefused as refused:
        if refused.status == 401:
            raise  # the session is over: `install`'s handler sends the browser to sign in
        return HTMLResponse(f'<p class="error" role="alert">{escape(refused.detail)}</p>')
    return _page(request, "_preview.html", token, v=shown)


@router.post("/inbox/{action_id}/reply", response_model=None)
async def reply_as_customer(request: Request, token: session.SignedIn, action_id: str) -> Response:
    """The sandbox plays the customer: a reply to what was sent, as if by mail; then to the conversation."""
    await session.check_csrf(request, token)
    body = (await request.form()).get("body")
    reply = {"proposed_action_id": action_id, "body": body if isinstance(body, str) else ""}
    try:
        async with Api(request, token) as api:
            accepted = await api.send("POST", "/api/dev/simulate-reply", reply)
            opened = await _opened(api, accepted["conversation_id"])
    except ApiRefused as refused:
        if refused.status == 401:
            raise  # the session is over: `install`'s handler sends the browser to sign in
        return await _detail(request, token, action_id, error=refused.detail, status_code=refused.status)
    if not opened:  # still opening: the proposal's timeline shows the reply meanwhile
        return RedirectResponse(f"/app/inbox/{action_id}?done=reply", status_code=303)
    return RedirectResponse(f"/app/conversations/{accepted['conversation_id']}", status_code=303)


async def _opened(api: Api, conversation_id: str) -> bool:
    """Whether the conversation a reply opens is there, waiting a few seconds for its workflow to open it."""
    deadline = asyncio.get_running_loop().time() + OPENING_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        try:
            await api.get(f"/api/conversations/{conversation_id}")
        except ApiRefused as refused:
            if refused.status != 404:
                raise
            await asyncio.sleep(0.1)  # the conversation's workflow opens it in a moment
            continue
        return True
    return False


@router.post("/inbox/{action_id}/{decision}", response_model=None)
async def decide(request: Request, token: session.SignedIn, action_id: str, decision: str) -> Response:
    """Approve (with the takeover's channel and edits), reject or snooze: the API decides, and says why not."""
    await session.check_csrf(request, token)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    body = _decision_body(decision, form)
    if body is None:
        return await _detail(request, token, action_id, error=f"There is no decision {decision!r}.", status_code=404)
    try:
        async with Api(request, token) as api:
            await api.send("POST", f"/api/inbox/{action_id}/{decision}", body)
    except ApiRefused as refused:
        if refused.status == 401:
            raise  # the session is over: `install`'s handler sends the browser to sign in
        return await _detail(request, token, action_id, error=refused.detail, status_code=refused.status, form=form)
    return RedirectResponse(f"/app/inbox/{action_id}?done={decision}", status_code=303)


def _decision_body(decision: str, form: dict[str, str]) -> dict[str, Any] | None:
    if decision == "reject":
        return {"reason": form.get("reason", "")}
    if decision == "snooze":
        return {"until": form.get("preset") or form.get("until", "")}
    if decision != "approve":
        return None
    fields = ("channel", "subject", "body_html", "voice_script", "send_from", "department_id", "priority",
              "internal_notes", "review_notes")  # fmt: skip
    return {name: form[name] for name in fields if form.get(name)}


@router.get("/conversations", response_class=HTMLResponse, response_model=None)
async def conversations(request: Request, token: session.SignedIn, q: str = "", status: str = "") -> Response:
    async with Api(request, token) as api:
        page = await api.get("/api/conversations", q=q, status=status, page_size=50)
    return _page(request, "conversations.html", token, items=page["items"], q=q, status=status)


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse, response_model=None)
async def conversation(request: Request, token: session.SignedIn, conversation_id: str, done: str = "") -> Response:
    """A conversation's timeline, and what the team can do in it."""
    return await _conversation(request, token, conversation_id, done=done)


@router.get("/conversations/{conversation_id}/changes", response_model=None)
async def conversation_changes(request: Request, token: session.SignedIn, conversation_id: str,
                               engine: EngineDep) -> Response:  # fmt: skip
    """The conversation's page kept current (server-sent events): each time the conversation moves, its timeline and
    status badge, read through the API as the operator — so a session that ends stops the stream (`signed-out`)."""
    async with Api(request, token) as api:
        await api.get(f"/api/conversations/{conversation_id}")  # not theirs, or signed out: refused as any page is

    async def stream() -> AsyncIterator[str]:
        yield live.START
        async for now in live.versions(engine, conversation_id):
            if now is None:
                yield live.KEPT_ALIVE
                continue
            try:
                async with Api(request, token) as api:
                    found = await api.get(f"/api/conversations/{conversation_id}")
            except ApiRefused:
                yield live.event("signed-out", "")
                return
            part = _page(request, "_live.html", token, c=found, timeline=found["timeline"], zone=found["time_zone"])
            yield live.event("timeline", bytes(part.body).decode())

    return StreamingResponse(stream(), media_type="text/event-stream", headers=live.HEADERS)


# What the conversation page says was done, by the `done` its redirect names.
CONVERSATION_DONE = {"take-over": "You have the conversation: the AI answers nothing until you hand it back.",
                     "replies": "Sent to the customer.", "hand-back": "The AI answers the customer again."}  # fmt: skip


async def _conversation(request: Request, token: str, conversation_id: str, *, done: str = "", error: str = "",
                        status_code: int = 200, typed: str = "") -> Response:  # fmt: skip
    async with Api(request, token) as api:
        found = await api.get(f"/api/conversations/{conversation_id}")
        me = await api.get("/api/me")
    return _page(request, "conversation.html", token, status_code=status_code, c=found, timeline=found["timeline"],
                 zone=found["time_zone"], done=CONVERSATION_DONE.get(done), error=error, typed=typed,
                 request_id=secrets.token_urlsafe(16), me=me["id"],
                 may_change=REVIEW in me["permissions"])  # fmt: skip


@router.post("/conversations/{conversation_id}/{action}", response_model=None)
async def act_in_conversation(request: Request, token: session.SignedIn, conversation_id: str,
                              action: Literal["take-over", "replies", "hand-back"]) -> Response:  # fmt: skip
    """The team in a conversation: take it over from the AI, answer the customer (typed as plain text), hand it
    back — through the API, a refusal shown on the conversation in its words, what was typed kept."""
    await session.check_csrf(request, token)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    typed = form.get("text", "")
    body = {"text": typed, "request_id": form.get("request_id", "")} if action == "replies" else None
    return await _changed(request, token, "POST", f"/api/conversations/{conversation_id}/{action}", body,
                          f"/app/conversations/{conversation_id}?done={action}",
                          lambda error, code: _conversation(request, token, conversation_id, error=error,
                                                            status_code=code, typed=typed))  # fmt: skip


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse, response_model=None)
async def ticket(request: Request, token: session.SignedIn, ticket_id: str) -> Response:
    """A help-desk ticket: an escalation's brief for the team, and every comment since."""
    return await _ticket(request, token, ticket_id, done=request.query_params.get("done", ""))


# What the ticket page says was done, by the `done` its redirect names.
TICKET_DONE = {"saved": "Saved.", "replied": "Sent to the customer, and on the ticket.", "noted": "Noted."}


async def _ticket(request: Request, token: str, ticket_id: str, *, done: str = "", error: str = "",
                  status_code: int = 200, comment: str = "") -> Response:  # fmt: skip
    async with Api(request, token) as api:
        found = await api.get(f"/api/helpdesk/tickets/{ticket_id}")
        me = await api.get("/api/me")
    return _page(request, "ticket.html", token, status_code=status_code, t=found, done=TICKET_DONE.get(done),
                 error=error, statuses=TICKET_STATUSES, priorities=PRIORITIES, comment=comment,
                 request_id=secrets.token_urlsafe(16), me=me["id"],
                 may_change=REVIEW in me["permissions"])  # fmt: skip


async def _ticket_change(request: Request, token: str, ticket_id: str, method: str, path: str, body: dict[str, Any],
                         done: str, typed: str = "") -> Response:  # fmt: skip
    """A change to the ticket through the API; a refusal is shown on the ticket in its words, what was typed kept."""
    return await _changed(request, token, method, f"/api/helpdesk/tickets/{ticket_id}{path}", body,
                          f"/app/tickets/{ticket_id}?done={done}",
                          lambda error, code: _ticket(request, token, ticket_id, error=error, status_code=code,
                                                      comment=typed))  # fmt: skip


async def _changed(request: Request, token: str, method: str, path: str, body: dict[str, Any] | None, done: str,
                   refused_page: Callable[[str, int], Awaitable[Response]]) -> Response:  # fmt: skip
    """A change through the API, then on to `done`; a refusal is the page again with the API's words."""
    try:
        async with Api(request, token) as api:
            await api.send(method, path, body)
    except ApiRefused as refused:
        if refused.status == 401:
            raise  # the session is over: `install`'s handler sends the browser to sign in
        return await refused_page(refused.detail, refused.status)
    return RedirectResponse(done, status_code=303)


@router.post("/tickets/{ticket_id}", response_model=None)
async def update_ticket(request: Request, token: session.SignedIn, ticket_id: str) -> Response:
    """The ticket's status, priority, category and assignee (chosen, or "Assign to me"), as the team sets them
    (`PATCH /api/helpdesk/tickets/{id}`); a category left blank stays as it was, an assignee of "No one" unassigns."""
    await session.check_csrf(request, token)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    changes = {"status": form.get("status"), "priority": form.get("priority"),
               "category": form.get("category", "").strip()}  # fmt: skip
    body: dict[str, Any] = {name: value for name, value in changes.items() if value}
    if "assignee_id" in form:
        body["assignee_id"] = form["assignee_id"]
    return await _ticket_change(request, token, ticket_id, "PATCH", "", body, "saved")


@router.post("/tickets/{ticket_id}/comments", response_model=None)
async def comment_on_ticket(request: Request, token: session.SignedIn, ticket_id: str) -> Response:
    """A reply to the customer (emailed in the ticket's thread) or an internal note, typed as plain text."""
    await session.check_csrf(request, token)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    text, public = form.get("body", ""), form.get("public") == "yes"
    body = {
        "body_html": typed_as_html(text) or " ",
        "public": public,
        "request_id": form.get("request_id") or None,
    }  # blank: the API says what is missing
    return await _ticket_change(request, token, ticket_id, "POST", "/comments", body,
                                "replied" if public else "noted", typed=text)  # fmt: skip


@router.get("/inbound/{inbound_id}", response_class=HTMLResponse, response_model=None)
async def inbound_mail(request: Request, token: session.SignedIn, inbound_id: str) -> Response:
    """A mail that came home, as the team reads it: what was new in it, all of it, its attachments."""
    async with Api(request, token) as api:
        found = await api.get(f"/api/inbound/{inbound_id}")
    return _page(request, "mail.html", token, m=found)


@router.get("/inbound/{inbound_id}/attachments/{position}", response_model=None)
async def inbound_attachment(request: Request, token: session.SignedIn, inbound_id: str, position: int) -> Response:
    """An attachment, downloaded as the API hands it out (never shown inline)."""
    async with Api(request, token) as api:
        found = await api.download(f"/api/inbound/{inbound_id}/attachments/{position}")
    keep = ("content-type", "content-disposition", "x-content-type-options")
    return Response(found.content, headers={name: found.headers[name] for name in keep if name in found.headers})


@router.get("/agents", response_class=HTMLResponse, response_model=None)
async def agents(request: Request, token: session.SignedIn, location_id: str = "") -> Response:
    return await _agents(request, token, location_id)


async def _agents(request: Request, token: str, location_id: str, *, saved: str = "", error: str = "",
                  failed: str = "", typed: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:  # fmt: skip
    """The agents of a location; the one whose change was refused (`failed`) shows what was `typed`, not what is
    kept, so the operator corrects it rather than types it all again."""
    async with Api(request, token) as api:
        configs = await api.get("/api/agents")
        me = await api.get("/api/me")
    locations = sorted({config["location_id"] for config in configs})
    shown = location_id if location_id in locations else (locations[0] if locations else "")
    return _page(request, "agents.html", token, status_code=status_code, configs=[
        {**config, **(typed or {})} if config["agent_type"] == failed else config
        for config in configs if config["location_id"] == shown], locations=locations, location_id=shown,
        saved=saved, failed=failed, agent_error=error, may_configure=CONFIGURE in me["permissions"],
        settings=SETTINGS)  # fmt: skip


@router.post("/agents/{agent_type}", response_model=None)
async def save_agent(request: Request, token: session.SignedIn, agent_type: str, location_id: str) -> Response:
    """An agent's configuration, as the form has it; the API validates it and says what is wrong."""
    await session.check_csrf(request, token)
    changes = _typed_settings(await request.form())
    try:
        async with Api(request, token) as api:
            await api.send("PUT", f"/api/agents/{agent_type}?location_id={location_id}", changes)
    except ApiRefused as refused:
        if refused.status == 401:
            raise  # the session is over: `install`'s handler sends the browser to sign in
        return await _agents(request, token, location_id, error=refused.detail, failed=agent_type, typed=changes,
                             status_code=refused.status)  # fmt: skip
    return await _agents(request, token, location_id, saved=agent_type)


def _typed_settings(form: FormData) -> dict[str, Any]:
    """An agent's settings as its form has them; none from a form that may not be changed (its fields are off)."""
    if not any(setting.name in form for setting in SETTINGS):
        return {}
    changes: dict[str, Any] = {}
    for setting in SETTINGS:
        value = form.get(setting.name)
        if setting.kind == "switch":
            changes[setting.name] = value == "on"  # an unchecked box sends nothing: off
        elif isinstance(value, str) and value != "":
            # Only plain ASCII digits are a number here ("²" is a digit to Python); anything else goes to the API
            # as typed, which says what is wrong with it.
            changes[setting.name] = int(value) if setting.kind == "number" and NUMBER.fullmatch(value) else value
    return changes


@router.post("/agents/{agent_type}/preview", response_class=HTMLResponse, response_model=None)
async def dry_run(request: Request, token: session.SignedIn, agent_type: str, location_id: str) -> Response:
    """What the agent would propose now with the form's settings as typed (saved or not), and why the others are
    skipped: nothing is written."""
    await session.check_csrf(request, token)
    trying = _typed_settings(await request.form())
    try:
        async with Api(request, token) as api:
            saved = await api.get(f"/api/agents/{agent_type}", location_id=location_id)
            found = await api.send("POST", f"/api/agents/{agent_type}/preview?location_id={location_id}",
                                   trying or None)  # fmt: skip
    except ApiRefused as refused:
        if refused.status == 401:
            raise
        return _page(request, "_dry_run.html", token, run=None, error=refused.detail)
    unsaved = any(saved.get(name) != value for name, value in trying.items())
    return _page(request, "_dry_run.html", token, run=found, unsaved=unsaved)
