"""Input a newcomer (or an attacker) sends that once slipped through: each gets a clear 4xx and changes
nothing, and no query parameter can cause a 500."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import Session

from api.web import session as web_session
from domain.channels import UNTRACKED_REPLIES
from models.messages import AgentType
from models.tables import LeadInquiry
from tests.api.test_access import first_pending
from tests.conftest import Stack, poll, poll_emailable

LISTS = ["/api/inbox", "/api/outbox", "/api/conversations"]


@pytest.mark.parametrize("path", LISTS)
async def test_no_page_number_causes_a_500(stack: Stack, path: str) -> None:
    for page in ("1000000000000000000", "99999999999999999999999", "-1", "1e3"):
        response = await stack.http.get(path, params={"page": page})
        assert response.status_code == 422, (page, response.text)
        assert response.json()["detail"].startswith("query.page:")
    last = await stack.http.get(path, params={"page": 1_000_000, "page_size": 200})
    assert last.status_code == 200
    assert last.json()["items"] == []


async def test_nul_characters_in_the_path_or_query_are_refused(stack: Stack) -> None:
    for path, params in [
        ("/api/inbox", {"q": "a\x00b"}),
        ("/api/inbox", {"location_id": "\x00"}),
        ("/api/conversations", {"q": "\x00"}),
        ("/api/inbox/outreach:ams:x%00y", {}),
    ]:
        response = await stack.http.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert "NUL" in response.json()["detail"]


async def test_a_subject_with_a_line_break_is_refused_everywhere(stack: Stack) -> None:
    action = await first_pending(stack, "ams")
    base = f"/api/inbox/{action['id']}"
    for method, path in (("PATCH", base), ("POST", f"{base}/approve")):
        for subject in ("Hi\r\nBcc: x@evil.com", "Hi\nthere", "Hi\rthere"):
            response = await stack.http.request(method, path, json={"subject": subject})
            assert response.status_code == 422, (method, subject, response.text)
            assert "subject" in response.json()["detail"]
            assert "line breaks (CR or LF)" in response.json()["detail"]
    detail = (await stack.http.get(base)).json()
    assert detail["status"] == "pending"
    assert detail["subject"] == action["subject"]


async def test_nul_characters_in_a_body_are_refused(stack: Stack) -> None:
    action = await first_pending(stack, "ams")
    response = await stack.http.post(f"/api/inbox/{action['id']}/reject", json={"reason": "no\x00pe"})
    assert response.status_code == 422
    assert "reason contains a NUL character" in response.json()["detail"]
    assert (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "pending"


async def test_an_oversized_body_is_refused_before_it_is_read(stack: Stack) -> None:
    action = await first_pending(stack, "ams")
    path = f"/api/inbox/{action['id']}"
    before = (await stack.http.get(path)).json()["body_html"]
    big = b'{"body_html": "' + b"x" * 2_000_000 + b'"}'
    declared = await stack.http.patch(path, content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert "larger than 1,048,576 bytes" in declared.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    streamed = await stack.http.patch(path, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert (await stack.http.get(path)).json()["body_html"] == before


async def test_an_unknown_channel_names_the_channels_this_proposal_can_use(stack: Stack) -> None:
    action = await first_pending(stack, "ams")  # email on file; voice is not enabled at ams
    response = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "pigeon"})
    assert response.status_code == 422
    assert response.json()["detail"] == "There is no 'pigeon' channel. Approve with ai_email, email or helpdesk."
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert detail["channel_options"] == [
        {"channel": "ai_email", "available": True, "warning": None},
        {"channel": "voice", "available": False, "warning": "The Voice AI agent is not enabled for this location."},
        {"channel": "email", "available": True, "warning": UNTRACKED_REPLIES},
        {"channel": "helpdesk", "available": True, "warning": None},
    ]


async def test_a_reply_of_only_white_space_is_refused(stack: Stack) -> None:
    action = await stack.pending_email()
    approved = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={})
    assert approved.status_code == 200
    for body in (" ", "\n\t  \n"):
        response = await stack.http.post(
            "/api/dev/simulate-reply", json={"proposed_action_id": action["id"], "body": body}
        )
        assert response.status_code == 422
        assert "the message is empty" in response.json()["detail"]


async def test_a_lead_follow_up_that_was_sent_marks_the_inquiry_followed_up(stack: Stack) -> None:
    await stack.detect("ams", only=AgentType.lead_follow_up)

    async def leads() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"agent_type": "lead_follow_up", "status": "pending", "page_size": 50}
        return (await stack.http.get("/api/inbox", params=params)).json()["items"] or None

    lead = await poll_emailable(stack.http, leads, "a pending lead follow-up to a customer with an address")
    inquiry_id = (await stack.http.get(f"/api/inbox/{lead['id']}")).json()["facts"]["inquiry_id"]
    assert (await stack.http.post(f"/api/inbox/{lead['id']}/approve", json={})).status_code == 200

    async def sent() -> bool:
        return (await stack.http.get(f"/api/inbox/{lead['id']}")).json()["status"] == "sent"

    await poll(sent, "the lead follow-up to be sent")
    with Session(stack.engine) as session:
        inquiry = session.get(LeadInquiry, inquiry_id)
        assert inquiry is not None
        assert inquiry.followed_up_at is not None


async def test_the_web_apps_forms_answer_in_words_whatever_is_typed(stack: Stack) -> None:
    signed_in = {"Cookie": f"{web_session.COOKIE}={stack.admin_token}"}
    form = {"csrf": web_session.csrf_token(stack.admin_token), "daily_max": "²"}  # a digit to Python, not a number
    odd = await stack.http.post("/app/agents/due_invoice", params={"location_id": "ams"}, data=form, headers=signed_in)
    assert odd.status_code == 422 and "daily_max" in odd.text
    forged = [(name.encode(), value.encode()) for name, value in signed_in.items()]
    forged.append((web_session.CSRF_HEADER.encode(), "é".encode()))  # a header of any bytes
    refused = await stack.http.post("/app/agents/due_invoice", params={"location_id": "ams"}, headers=forged)
    assert refused.status_code == 403 and "reload the page" in refused.text
