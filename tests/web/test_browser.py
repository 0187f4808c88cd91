"""The operators' web app in a real browser: Debian's chromium, driven by Playwright through its executable (no
browser is downloaded; `make test` installs chromium when it is missing, and these tests fail rather than skip
without it). Sign in, filter the inbox, open a proposal, switch the channel and read the product's words about
it, edit and approve through the confirmation dialog, see it sent, play the customer's reply and watch it arrive
on the conversation's timeline, then the escalation's ticket with its brief; configure an agent (a refused value
in the API's words, then saved) and run it dry; choose Voice where calls are on and read its warning; an
operator invited by an admin chooses a password, signs in with it and, being of another location, sees none of it;
a proposal snoozed and rejected; every screen fits a tablet.

`OUTREACH_SCREENSHOTS=docs/screenshots` saves the main screens there (`make screenshots`), for the README.
`make test` drives the browser on SQLite only, to stay fast: the app reads the API, whose own tests run on both
databases; `make both-databases` drives it on PostgreSQL too."""

import os
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import col, select

from domain.channels import VOICE_HOURS
from models.db import session_scope
from models.messages import AgentType
from models.operators import create_operator
from models.tables import Customer, FaqArticle
from tests.api.test_voice_channel import callable_proposal
from tests.conftest import Stack, poll
from tests.factories import add_customer, add_invoice

# What it tests is the web app in Chromium, not the database (the API it reads is tested on both): SQLite in
# `make test` (see the marker).
pytestmark = pytest.mark.one_database

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = os.environ.get("OUTREACH_SCREENSHOTS")
CHECKER = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: `make test` installs it (Debian's chromium).")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        await launched.close()


async def signed_in(browser: Browser, stack: Stack, token: str) -> Page:
    page = await browser.new_page(base_url=str(stack.http.base_url), viewport={"width": 1280, "height": 900})
    await page.goto("/app")
    await expect(page).to_have_url(re.compile(r"/app/sign-in$"))
    await page.get_by_text("Sign in with an API token instead").click()
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in with the token").click()
    await expect(page.get_by_role("heading", name="AI Inbox")).to_be_visible()
    # The heading shows as soon as the page is parsed; its scripts (htmx, the app's own) run before `load`.
    await page.wait_for_load_state("load")
    return page


async def accessible(browser: Browser, stack: Stack, signed_in_pages: list[str]) -> None:
    """Each page (and the pages before signing in) checked by the accessibility checker, vendored, against WCAG 2 A
    and AA: no serious or critical violation. The checker's script is injected, so its pages lift the content
    security policy, which the other tests keep."""
    context = await browser.new_context(base_url=str(stack.http.base_url), bypass_csp=True)
    page = await context.new_page()
    for path in ["/app/invitation", "/app/sign-in", *signed_in_pages]:
        await page.goto(path)
        await page.wait_for_load_state("load")
        await page.add_script_tag(path=str(CHECKER))
        violations = await page.evaluate("""async () => {
            const found = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "best-practice"] });
            return found.violations.filter((v) => ["serious", "critical"].includes(v.impact))
                .map((v) => `${v.id}: ${v.help} at ${v.nodes.map((node) => node.target.join(" ")).join(", ")}`);
        }""")
        assert not violations, (path, violations)
        if path == "/app/sign-in":  # then signed in, for the rest
            await page.get_by_text("Sign in with an API token instead").click()
            await page.get_by_label("API token").fill(stack.admin_token)
            await page.get_by_role("button", name="Sign in with the token").click()
            await expect(page.get_by_role("heading", name="AI Inbox")).to_be_visible()
    await context.close()


async def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


async def test_an_operator_reviews_takes_over_approves_and_watches_the_reply(browser: Browser, stack: Stack) -> None:
    action = await stack.pending_email()
    detail: dict[str, Any] = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    await stack.detect("ams", only=AgentType.contract_renewal)  # another agent's proposals, for the filter to leave out

    async def renewal() -> bool:
        params = {"agent_type": "contract_renewal", "status": "pending"}
        return bool((await stack.http.get("/api/inbox", params=params)).json()["items"])

    await poll(renewal, "a contract renewal's proposal")

    page = await browser.new_page(base_url=str(stack.http.base_url))
    await page.goto("/app/sign-in")
    await page.get_by_text("Sign in with an API token instead").click()
    await page.get_by_label("API token").fill("not-a-token")
    await page.get_by_role("button", name="Sign in with the token").click()
    await expect(page.get_by_role("alert")).to_contain_text("That API token is not valid")
    page = await signed_in(browser, stack, stack.admin_token)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "outreach_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # The inbox, filtered to one agent without a page load. Each filter's list is awaited (its address) before the
    # next, as an operator sees one list before changing it: a list still loading would replace a later one.
    rows = page.locator(".row .meta")
    await expect(rows.filter(has_text="contract renewal").first).to_be_visible()
    await page.get_by_label("Agent").select_option("due_invoice")
    await expect(page).to_have_url(re.compile(r"[?&]agent_type=due_invoice"))
    metas = await rows.all_inner_texts()
    assert metas and all(meta.startswith("due invoice") for meta in metas)
    # Confidence in bands (high 80+, medium 50-79, low), its reasons on hover.
    badge = page.locator(".row .badge.confidence").first
    confidence = int((await badge.inner_text()).rstrip("%"))
    band = "high" if confidence >= 80 else "medium" if confidence >= 50 else "low"
    await expect(badge).to_have_class(re.compile(rf"\b{band}\b"))
    assert (await badge.get_attribute("title") or "").startswith(f"Confidence {confidence}%: ")
    await shot(page, "inbox")

    # A proposal opens in the inbox's panel, beside the list.
    await page.get_by_label("Status").select_option("pending")
    await expect(page).to_have_url(re.compile(r"[?&]status=pending"))
    await page.get_by_label("Search").fill(detail["customer"]["name"])
    await expect(page).to_have_url(re.compile(r"[?&]q=[^&]+"))  # the list is searched as the operator types
    await page.locator(".row a", has_text=detail["subject"]).first.click()
    await expect(page.locator("#panel").get_by_role("heading", name=detail["subject"])).to_be_visible()
    await expect(page).to_have_url(re.compile(f"/app/inbox/{re.escape(action['id'])}$"))
    await expect(page.locator("#rows")).to_be_visible()
    await shot(page, "inbox-panel")

    # Opened while the list is still being searched, a proposal keeps its address when the list comes after it.
    await page.goto("/app?status=pending&agent_type=due_invoice")
    row = page.locator(".row a", has_text=detail["subject"]).first
    async with page.expect_response(lambda response: "q=" in response.url) as searched:
        await page.get_by_label("Search").fill(detail["customer"]["name"].split()[0])
        await row.click()  # before the search's list comes: it waits for typing to pause
    await searched.value
    await expect(page.locator("form.filters")).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    await expect(page).to_have_url(re.compile(f"/app/inbox/{re.escape(action['id'])}$"))

    # The proposal: why, how sure, who, the draft; the channel's own words, as the API says them.
    await page.goto(f"/app/inbox/{action['id']}")
    await expect(page.get_by_role("heading", name=detail["subject"])).to_be_visible()
    await expect(page.get_by_text(detail["reason"]).first).to_be_visible()
    voice = next(option for option in detail["channel_options"] if option["channel"] == "voice")
    await page.get_by_label("Channel").select_option("voice")
    await expect(page.locator("#channel-fields")).to_contain_text(voice["warning"])
    await expect(page.get_by_label("Subject")).to_be_hidden()  # a call says its script only
    await shot(page, "takeover-voice")
    await page.get_by_label("Channel").select_option("ai_email")
    await expect(page.locator("#channel-fields")).not_to_contain_text(voice["warning"])
    await expect(page.get_by_label("Subject")).to_be_visible()

    # Edit, preview what will be sent (sanitised), approve through the dialog.
    await page.get_by_label("Subject").fill("About your invoice, once more")
    editor = page.locator("#editor")
    await editor.click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type(" See you soon.")
    await page.evaluate("document.getElementById('editor').insertAdjacentHTML('beforeend', '<script>x()</script>')")
    await editor.press("End")
    await page.get_by_text("Preview what will be sent").click()
    await expect(page.locator("#preview")).to_contain_text("See you soon.")
    # As the customer gets it, to their address, and what the edits changed of the draft.
    await expect(page.locator("#preview .envelope")).to_contain_text(detail["customer"]["email"])
    await expect(page.locator("#preview .changes")).to_contain_text("+ About your invoice, once more")
    assert "<script" not in await page.locator("#preview").inner_html()
    await page.get_by_label("Review notes").fill("Checked with finance")
    await page.get_by_role("button", name="Approve and send").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await shot(page, "approve-dialog")
    await dialog.get_by_role("button", name="Yes, approve and send").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved.")

    async def sent() -> bool:
        return (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"

    await poll(sent, "the approved email to be sent")
    await page.reload()
    await expect(page.locator(".badge.status")).to_have_text("sent")
    await page.goto("/app?status=sent")  # a sent proposal no longer expires
    sent_row = page.locator(".row", has_text="About your invoice, once more")
    await expect(sent_row).to_be_visible()
    await expect(sent_row).not_to_contain_text("expires")
    await page.goto(f"/app/inbox/{action['id']}")
    sent_detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert sent_detail["subject"] == "About your invoice, once more"
    assert "See you soon." in sent_detail["body_html"] and "<script" not in sent_detail["body_html"]

    # The customer replies (the sandbox plays them, from the proposal's page); the conversation's page shows the
    # reply, and the AI's answer, as they arrive.
    await page.get_by_label("Reply as the customer (sandbox)").fill("Can you remind me what this covers?")
    await page.get_by_role("button", name="Send the reply").click()
    await expect(page).to_have_url(re.compile(f"/app/conversations/conversation:{re.escape(action['id'])}$"))
    timeline = page.locator("#live")
    await expect(timeline).to_contain_text("Can you remind me what this covers?", timeout=15_000)
    await expect(timeline.locator(".from-ai").last).to_contain_text("covers", timeout=15_000)
    await shot(page, "conversation")
    # Each tool the AI used is a card in words, its links clickable; times on the location's clock, the zone named.
    await expect(page.locator(".meta").first).to_contain_text("times in Europe/Amsterdam")
    card = timeline.locator(".entry.tool").first
    await expect(card).to_contain_text("Looked up the invoices (invoice number ")
    await expect(card.get_by_role("link").first).to_have_attribute("href", re.compile(r"^https://portal\."))

    # The operator takes the conversation over: the customer's next message waits for them, the AI says nothing;
    # their answer goes to the customer in the thread, and handed back, the AI answers again.
    await page.get_by_role("button", name="Take over from the AI").click()
    await expect(page.get_by_role("status")).to_contain_text("You have the conversation")
    await expect(timeline).to_contain_text("took the conversation over from the AI")
    conversation_page = urlsplit(page.url).path
    await page.goto(f"/app/inbox/{action['id']}")
    await page.get_by_label("Reply as the customer (sandbox)").fill("Is the Loft free on Friday afternoon?")
    await page.get_by_role("button", name="Send the reply").click()
    await expect(timeline).to_contain_text("Is the Loft free on Friday afternoon?", timeout=15_000)
    await page.get_by_label(re.compile("^Reply to the customer")).fill("Hello,\nYes: the Loft is free from 13:00.")
    await page.get_by_role("button", name="Send to the customer").click()
    await expect(page.get_by_role("status")).to_have_text("Sent to the customer.")
    await expect(timeline.locator(".from-operator").last).to_contain_text("the Loft is free from 13:00")
    await expect(timeline.locator(".from-customer").last).to_contain_text("Is the Loft free on Friday afternoon?")
    await shot(page, "conversation-taken-over")
    await page.get_by_role("button", name="Hand back to the AI").click()
    await expect(page.get_by_role("status")).to_have_text("The AI answers the customer again.")
    await expect(page.get_by_role("button", name="Take over from the AI")).to_be_visible()
    assert urlsplit(page.url).path == conversation_page

    # Asked for a person, the AI hands over: the escalation's ticket is one click away, with the team's brief.
    await page.goto(f"/app/inbox/{action['id']}")
    await page.get_by_label("Reply as the customer (sandbox)").fill("I'd like to talk to a person, please.")
    await page.get_by_role("button", name="Send the reply").click()
    await expect(timeline).to_contain_text("Escalated to the team: ticket", timeout=15_000)
    await expect(page.locator("#conversation-status")).to_have_text("escalated")  # the status kept current too
    await timeline.get_by_role("link", name="The help-desk ticket").click()
    await expect(page.get_by_role("heading", name=re.compile(r"^Ticket T-"))).to_be_visible()
    opened = (await page.get_by_role("heading", name=re.compile(r"^Ticket T-")).inner_text()).split()[1].rstrip(":")
    ticket_page = urlsplit(page.url).path
    brief = page.locator(".note")
    await expect(brief).to_contain_text("Escalated by the AI")
    await expect(brief).to_contain_text("Can you remind me what this covers?")
    await shot(page, "ticket")
    # The team files it: a status and a category (what the category spike agent counts), refused in the API's words.
    await page.evaluate("document.getElementById('ticket-category').value = 'x'.repeat(41)")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("category")
    await page.get_by_label("Category").fill("  Billing ")
    await page.get_by_label("Status").select_option("pending")
    await page.get_by_label("Priority").select_option("high")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.locator(".meta")).to_contain_text("billing")
    await expect(page.get_by_label("Status")).to_have_value("pending")
    await expect(page.get_by_label("Priority")).to_have_value("high")
    await expect(page.locator(".meta")).to_contain_text("assigned to no one")
    await page.get_by_role("button", name="Assign to me").click()
    await expect(page.locator(".meta")).to_contain_text("assigned to you")
    await expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    # Or to someone else of the location's team, by name.
    create_operator(stack.engine, name="Sanne (front desk)", email="sanne@ams.example", location_ids=["ams"],
                    is_admin=False)  # fmt: skip
    await page.reload()
    await page.get_by_label("Assigned to").select_option(label="Sanne (front desk)")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator(".meta")).to_contain_text("assigned to Sanne (front desk)")
    # The team answers the customer from the ticket — emailed in its thread — and notes something for itself only.
    comment = page.get_by_label("Reply to the customer, or note for the team")
    await comment.fill("Hello,\nIt covers the desk and the meeting room credits.\n\nThe team")
    await page.get_by_role("button", name="Send to the customer").click()
    await expect(page.get_by_role("status")).to_have_text("Sent to the customer, and on the ticket.")
    answered = page.locator(".timeline .entry").last
    await expect(answered).to_contain_text("· public ·")
    await expect(answered.locator(".avatar")).to_have_text("OP")
    await expect(answered.locator(".body-html")).to_contain_text("It covers the desk and the meeting room credits.")

    async def emailed() -> list[dict[str, Any]]:
        outbox = (await stack.http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()["items"]
        return [item for item in outbox if "meeting room credits" in item["body_html"]]

    [reply] = await poll(emailed, "the team's answer in the outbox")
    assert reply["to_address"] == detail["customer"]["email"]
    assert "<p>Hello,<br>It covers the desk and the meeting room credits.</p><p>The team</p>" in reply["body_html"]
    await comment.fill("Called her as well; she is fine with it.")
    await page.get_by_role("button", name="Add an internal note").click()
    await expect(page.get_by_role("status")).to_have_text("Noted.")
    await expect(page.locator(".timeline .entry").last).to_contain_text("· internal note ·")
    # The customer answers the team's email (the sandbox plays them): their reply lands on the ticket.
    await page.goto(f"/app/inbox/{action['id']}")
    await page.get_by_label("Reply as the customer (sandbox)").fill("Thanks, that is clear now.")
    await page.get_by_role("button", name="Send the reply").click()
    await page.goto(ticket_page)
    their_reply = page.locator(".timeline .entry").last
    await expect(their_reply).to_contain_text("Thanks, that is clear now.")
    await expect(their_reply.locator(".avatar")).to_have_text("C")

    # Back on the proposal, the customer's history shows the conversation with the team and the ticket it opened,
    # which holds every other outreach to them.
    await page.goto(f"/app/inbox/{action['id']}")
    history = page.locator(".history")
    await expect(history).to_contain_text("escalated")
    await expect(history.get_by_role("link", name=opened)).to_be_visible()  # beside the tickets they had before
    await expect(history).to_contain_text("Every outreach waits: The customer's conversation")
    await shot(page, "history")

    # Every screen of the journey passes the accessibility check: no serious or critical violation.
    conversation = f"/app/conversations/conversation:{action['id']}"
    await accessible(browser, stack, ["/app", f"/app/inbox/{action['id']}", "/app/conversations", conversation,
                                      ticket_page, "/app/agents"])  # fmt: skip


async def test_an_invited_operator_of_another_location_sees_none_of_it(browser: Browser, stack: Stack) -> None:
    action = await stack.pending_email()  # at Amsterdam
    # Invited by an admin, the operator opens the link, chooses a password and is in; later signs in with it.
    invitation = await stack.http.post("/api/operators", json={"name": "Austin desk", "email": "desk@atx.example",
                                                               "location_ids": ["atx"]})  # fmt: skip
    page = await browser.new_page(base_url=str(stack.http.base_url))
    await page.goto(f"/app/invitation#{urlsplit(invitation.json()['link']).fragment}")
    await page.get_by_label("Password", exact=True).fill("a desk in Austin, Texas")
    await page.get_by_label("The same password again").fill("a desk in Austin, Texas")
    await expect(page).to_have_url(re.compile(r"/app/invitation$"))  # the token out of the address bar
    await shot(page, "invitation", full_page=False)
    await page.get_by_role("button", name="Save and sign in").click()
    await expect(page.get_by_role("heading", name="AI Inbox")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Email address").fill("desk@atx.example")
    await page.get_by_label("Password").fill("a desk in Austin, Texas")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("heading", name="AI Inbox")).to_be_visible()
    await page.wait_for_load_state("load")
    await page.get_by_label("Status").select_option("")
    await expect(page.locator(".count")).to_be_visible()
    assert not [meta for meta in await page.locator(".row .meta").all_inner_texts() if "· ams ·" in meta]
    await page.goto(f"/app/inbox/{action['id']}")
    await expect(page.get_by_role("alert")).to_have_text(f"No proposed action with id {action['id']!r}.")
    response = await page.request.post(f"/app/inbox/{action['id']}/approve", form={"channel": "ai_email"})
    assert response.status == 403  # no CSRF token from another page: refused before anything

    # An operator of the location who may read but not decide or configure is offered neither.
    reader = create_operator(stack.engine, name="Amsterdam reader", email="reader@ams.example", location_ids=["ams"],
                             is_admin=False, permissions=[])  # fmt: skip
    page = await signed_in(browser, stack, reader)
    await page.goto(f"/app/inbox/{action['id']}")
    await expect(page.get_by_role("note")).to_contain_text("that needs the proposedAction permission")
    await expect(page.get_by_role("button", name="Approve and send")).to_have_count(0)
    await page.goto("/app/agents")
    await expect(page.get_by_role("note")).to_contain_text("that needs the agentConfig permission")
    await expect(page.get_by_role("button", name="Save")).to_have_count(0)


async def test_an_agent_is_configured_and_dry_run_and_a_call_shows_its_warning(browser: Browser, stack: Stack) -> None:
    page = await signed_in(browser, stack, stack.admin_token)
    await page.get_by_role("link", name="Agents").click()
    await page.get_by_label("Location").select_option("ams")
    renewal = page.locator("section.agent", has=page.get_by_role("heading", name="Contract renewal"))
    await renewal.get_by_label("Confidence threshold (%)").fill("150")
    await renewal.get_by_label("Cooldown (days)").fill("21")
    await renewal.get_by_role("button", name="Save").click()
    renewal = page.locator("section.agent", has=page.get_by_role("heading", name="Contract renewal"))
    await expect(renewal.get_by_role("alert")).to_contain_text(
        "confidence_threshold: Input should be less than or equal to 100"
    )
    # What was typed stays, the refused value with it, to be corrected rather than typed again.
    await expect(renewal.get_by_label("Confidence threshold (%)")).to_have_value("150")
    await expect(renewal.get_by_label("Cooldown (days)")).to_have_value("21")
    await renewal.get_by_label("Confidence threshold (%)").fill("85")
    await renewal.get_by_label("Send without review at or above the confidence threshold").check()
    await renewal.get_by_role("button", name="Save").click()
    renewal = page.locator("section.agent", has=page.get_by_role("heading", name="Contract renewal"))
    await expect(renewal.get_by_role("status")).to_contain_text("Saved")
    saved = (await stack.http.get("/api/agents/contract_renewal", params={"location_id": "ams"})).json()
    assert (saved["confidence_threshold"], saved["auto_execute"]) == (85, True)
    await renewal.get_by_role("button", name="Dry run").click()
    run = (await stack.http.post("/api/agents/contract_renewal/preview", params={"location_id": "ams"})).json()
    # A dry run scans the location's data as the agent would: seconds on a loaded machine, as a reply's turn.
    await expect(renewal.locator(".dry-run")).to_contain_text(f"Would propose {run['would_propose']} now.",
                                                              timeout=15_000)  # fmt: skip
    await expect(renewal.locator(".dry-run")).to_contain_text("already proposed")
    await expect(renewal.locator(".dry-run")).not_to_contain_text("not saved")
    await shot(page, "agents")
    # The dry run tries what the form says before it is saved: a daily maximum of one, typed and not saved.
    await renewal.get_by_label("Daily maximum").fill("1")
    await renewal.get_by_role("button", name="Dry run").click()
    tried = (await stack.http.post("/api/agents/contract_renewal/preview", params={"location_id": "ams"},
                                   json={"daily_max": 1})).json()  # fmt: skip
    await expect(renewal.locator(".dry-run")).to_contain_text("With the settings as typed above, not saved.",
                                                              timeout=15_000)  # fmt: skip
    await expect(renewal.locator(".dry-run")).to_contain_text(f"Would propose {tried['would_propose']} now.")
    assert (await stack.http.get("/api/agents/contract_renewal", params={"location_id": "ams"})).json()[
        "daily_max"] != 1  # fmt: skip

    # At Austin calls are on: choosing Voice shows what the product says of calls, before any click.
    action = await callable_proposal(stack)
    await page.goto(f"/app/inbox/{action['id']}")
    await page.get_by_label("Channel").select_option("voice")
    await expect(page.get_by_role("note")).to_have_text(VOICE_HOURS)
    await expect(page.get_by_label("Call script")).to_have_value(action["voice_script"])


async def test_an_agents_confident_proposals_are_reviewed_and_approved_together(browser: Browser, stack: Stack) -> None:
    await stack.pending_email()  # a detection run at Amsterdam
    page = await signed_in(browser, stack, stack.admin_token)
    await page.goto("/app?agent_type=due_invoice&location_id=ams")
    # Only one agent's list offers it, and only the confident proposals can be selected.
    selectable = page.locator(".row.selectable")
    await expect(selectable.first).to_be_visible()
    for confidence in await selectable.locator(".badge.confidence").all_inner_texts():
        assert int(confidence.rstrip("%")) >= 80
    chosen = [await row.locator("a").get_attribute("href") for row in (await selectable.all())[:2]]
    for row in (await selectable.all())[:2]:
        await row.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Review the selected to approve together").click()
    await expect(page.get_by_role("heading", name="Approve 2 together")).to_be_visible()
    review = page.locator(".batch-review > li")
    await expect(review).to_have_count(2)
    assert "{{" not in await page.locator(".batch-review").inner_text()  # as it goes: the variables filled in
    await page.get_by_label("Review notes").fill("Checked together")
    await shot(page, "batch")
    await page.get_by_role("button", name="Approve these 2").click()
    await expect(page.get_by_role("heading", name="Approved together")).to_be_visible()
    await expect(page.locator(".batch-results li")).to_have_count(2)
    await expect(page.locator(".batch-results li").filter(has_text="approved")).to_have_count(2)
    for href in chosen:
        assert href is not None
        decided = (await stack.http.get(f"/api/inbox/{href.rsplit('/', 1)[1]}")).json()
        assert decided["status"] in ("approved", "sent") and decided["decided_by"]
    await page.goto("/app?agent_type=due_invoice&status=sent")  # a list of what was decided offers no batch
    await expect(page.get_by_role("heading", name="AI Inbox")).to_be_visible()
    await expect(page.get_by_role("button", name="Review the selected to approve together")).to_have_count(0)
    await accessible(browser, stack, ["/app?agent_type=due_invoice&location_id=ams"])  # the selectable rows too


async def test_a_proposal_is_snoozed_then_rejected_with_a_reason(browser: Browser, stack: Stack) -> None:
    action = await stack.pending_email()
    page = await signed_in(browser, stack, stack.admin_token)
    await page.goto(f"/app/inbox/{action['id']}")
    await page.get_by_label("Snooze until").fill("2000-01-01T09:00")
    await page.get_by_role("button", name="Snooze", exact=True).click()
    await expect(page.get_by_role("alert")).to_have_text("The snooze time must be in the future.")
    later = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["expires_at"][:10] + "T08:00"
    await page.get_by_label("Snooze until").fill(later)
    await page.get_by_role("button", name="Snooze", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Snoozed. The proposal is now snoozed.")
    # A preset: tomorrow at nine on the location's clock, whatever the browser's.
    await page.get_by_role("button", name="Tomorrow 09:00").click()
    await expect(page.get_by_role("status")).to_contain_text("Snoozed. The proposal is now snoozed.")
    until = datetime.fromisoformat((await stack.http.get(f"/api/inbox/{action['id']}")).json()["snoozed_until"])
    amsterdam = until.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert (amsterdam.hour, amsterdam.minute) == (9, 0) and amsterdam.date() > datetime.now(amsterdam.tzinfo).date()
    await page.get_by_label("Reject, because").fill("Paid at the front desk")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("status")).to_contain_text("Rejected. The proposal is now rejected.")
    rejected = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "Paid at the front desk")


async def test_on_a_tablet_nothing_runs_off_the_screen(browser: Browser, stack: Stack) -> None:
    action = await stack.pending_email()
    page = await signed_in(browser, stack, stack.admin_token)
    await page.set_viewport_size({"width": 820, "height": 1180})
    for path in ("/app", f"/app/inbox/{action['id']}", "/app/conversations", "/app/agents"):
        await page.goto(path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a tablet's screen"
    # A proposal tapped in the list opens as its own page, its heading in sight, not below the whole list.
    await page.goto("/app?status=pending")
    await page.wait_for_load_state("load")
    await page.locator("[data-row]").first.click()
    await expect(page).to_have_url(re.compile(r"/app/inbox/[^/?]+$"))
    await expect(page.locator("#panel")).to_have_count(0)
    assert await page.locator("h1").first.evaluate("(heading) => heading.getBoundingClientRect().top < innerHeight")
    await page.goto(f"/app/inbox/{action['id']}")
    await shot(page, "tablet-proposal")


async def test_a_proposal_no_channel_can_reach_offers_no_approval(browser: Browser, stack: Stack) -> None:
    action = await stack.pending_email()
    with session_scope(stack.engine) as session:
        customer = session.get(Customer, action["customer"]["id"])
        assert customer is not None
        customer.email, customer.mobile_phone = None, None
    page = await signed_in(browser, stack, stack.admin_token)
    listed = (await stack.http.get("/api/inbox", params={"q": action["customer"]["name"]})).json()["items"]
    assert {item["reachable"] for item in listed if item["id"] == action["id"]} == {False}
    await page.get_by_label("Search").fill(action["customer"]["name"])
    row = page.locator(".row", has=page.locator(f"a[href='/app/inbox/{action['id']}']"))
    await expect(row).to_contain_text("No address or number to reach them")
    await page.goto(f"/app/inbox/{action['id']}")
    await expect(page.get_by_role("note")).to_contain_text("No channel can reach")
    await expect(page.get_by_role("note")).to_contain_text("The customer does not have an email address.")
    await expect(page.get_by_role("button", name="Approve and send")).to_have_count(0)
    await expect(page.get_by_role("button", name="Reject")).to_be_visible()


async def test_the_teams_work_is_filtered_apart_and_approving_an_article_publishes_it(
    browser: Browser, stack: Stack
) -> None:
    result = await stack.detect("ams")

    async def articles() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"category": "team", "agent_type": "faq_gap", "location_id": "ams"}
        items = (await stack.http.get("/api/inbox", params=params)).json()["items"]
        return items if result.started and len(items) == 2 else None  # the demo's parcels and printing

    article = (await poll(articles, "the demo's FAQ gap proposals"))[0]
    page = await signed_in(browser, stack, stack.admin_token)
    await page.get_by_label("Proposals for").select_option("team")
    await expect(page).to_have_url(re.compile(r"[?&]category=team"))
    customers = await page.locator(".row .customer").all_inner_texts()
    assert customers and set(customers) == {"For the team"}

    await page.goto(f"/app/inbox/{article['id']}")
    await expect(page.get_by_role("heading", name="For the team")).to_be_visible()
    await expect(page.get_by_role("heading", name="What customers asked")).to_be_visible()
    await expect(page.get_by_label("Channel")).to_have_value("team")
    await page.get_by_label("Subject").fill("Can I have parcels delivered here?")
    await page.get_by_role("button", name="Approve and create").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("nothing is sent to a customer")
    await dialog.get_by_role("button", name="Yes, approve and create").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved.")

    async def created() -> bool:
        return (await stack.http.get(f"/api/inbox/{article['id']}")).json()["status"] == "sent"

    await poll(created, "the article to be published")
    await page.reload()
    await expect(page.locator(".badge.status")).to_have_text("sent")
    await expect(page.get_by_label("Reply as the customer (sandbox)")).to_have_count(0)  # there is no customer
    with session_scope(stack.engine) as session:
        published = session.exec(select(FaqArticle).where(col(FaqArticle.id) == f"faq-gap:{article['id']}")).one()
        assert (published.question, published.location_id) == ("Can I have parcels delivered here?", "ams")

    # The agent's channel is the team's: shown, not offered as a choice.
    await page.goto("/app/agents?location_id=ams")
    gap = page.locator("section.agent", has=page.get_by_role("heading", name="Faq gap"))
    await expect(gap.locator(".fixed")).to_have_text("Default channel: For the team")
    await expect(gap.get_by_label("Default channel")).to_have_count(0)


async def test_the_inbox_is_a_triage_loop_the_keyboard_drives(browser: Browser, stack: Stack) -> None:
    started = sum([(await stack.detect(location)).started for location in ("ams", "atx")])
    assert started > 50, "the demo proposes more than the app shows on a page"

    async def listed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"status": "pending", "sort": "attention", "page_size": 200}
        page = (await stack.http.get("/api/inbox", params=params)).json()
        return page["items"] if page["total"] == started else None

    attention = await poll(listed, "every proposal of the run in the inbox")
    page = await signed_in(browser, stack, stack.admin_token)
    await page.set_viewport_size({"width": 1440, "height": 900})
    # What needs attention first, ten or more at a glance, and every proposal reachable.
    await expect(page).to_have_title("AI Inbox · Proactive Outreach")
    await expect(page.get_by_label("Sort")).to_have_value("attention")
    rows = page.locator("[data-row]")
    await expect(rows).to_have_count(50)
    shown = await page.evaluate(
        "[...document.querySelectorAll('.row')].filter((row) => row.getBoundingClientRect().bottom <= innerHeight)"
        ".length"
    )
    assert shown >= 10, f"{shown} proposals visible at 1440x900"
    more = page.get_by_role("link", name=re.compile(r"^Show \d+ more$"))
    while await more.count():
        before = await rows.count()
        await more.click()
        await expect(rows).not_to_have_count(before)
    await expect(rows).to_have_count(len(attention))
    hrefs = [await link.get_attribute("href") for link in await rows.all()]
    assert hrefs == [f"/app/inbox/{item['id']}" for item in attention]

    # j moves, Enter opens beside the list and marks the row; r writes why, Enter rejects: the next one opens.
    await page.keyboard.press("j")
    await page.keyboard.press("j")
    await expect(rows.nth(1)).to_be_focused()
    await page.keyboard.press("Enter")
    panel = page.locator("#panel")
    await expect(panel.get_by_role("heading", level=1)).to_have_text(attention[1]["subject"])
    await expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    await expect(panel.locator("#draft")).to_be_focused()
    await page.keyboard.press("r")
    await expect(panel.get_by_label("Reject, because")).to_be_focused()
    await page.keyboard.type("Handled at the desk")
    await page.keyboard.press("Enter")
    await expect(page.locator("#triage-status")).to_have_text(
        "Rejected. The proposal is now rejected. The next proposal is open."
    )
    await expect(panel.get_by_role("heading", level=1)).to_have_text(attention[2]["subject"])
    await expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    # Two proposals can share a subject: the next one is open when its own decisions are there and its draft focused.
    await expect(panel.locator(f"form[action='/app/inbox/{attention[2]['id']}/snooze']")).to_be_attached()
    await expect(panel.locator("#draft")).to_be_focused()
    await shot(page, "inbox-triage", full_page=False)  # the list as the operator sees it, the next one open
    await expect(page.locator(".row").nth(1)).to_have_class(re.compile(r"\bdecided\b"))
    await expect(rows).to_have_count(len(attention))  # the list as it was
    rejected = (await stack.http.get(f"/api/inbox/{attention[1]['id']}")).json()
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "Handled at the desk")
    await page.keyboard.press("s")
    await expect(panel.get_by_label("Snooze until")).to_be_focused()
    await page.keyboard.press("Escape")
    await page.locator("h1").first.click()
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keys")).to_be_visible()
    await page.keyboard.press("Escape")

    # A session that ends mid-way keeps what was typed: signing in again comes back to the proposal, edits in place.
    await panel.get_by_label("Review notes").fill("Checked with the front desk first")
    await page.context.clear_cookies()  # as when the session ends: idle, expired or signed out elsewhere
    await panel.get_by_text("Preview what will be sent").click()
    await expect(page).to_have_url(re.compile(r"/app/sign-in\?next="))
    await expect(page.get_by_role("status")).to_contain_text("Your session ended")
    await page.get_by_text("Sign in with an API token instead").click()
    await page.get_by_label("API token").fill(stack.admin_token)
    await page.get_by_role("button", name="Sign in with the token").click()
    await expect(page).to_have_url(re.compile(f"/app/inbox/{re.escape(attention[2]['id'])}$"))
    await expect(page.get_by_label("Review notes")).to_have_value("Checked with the front desk first")
    await expect(page.get_by_role("status")).to_contain_text("the edits you had not saved are back")
    await page.goto("/app")

    # A tile filters the list to what it counts.
    await page.get_by_role("link", name=re.compile(r"rejected today")).click()
    await expect(page).to_have_url(re.compile(r"[?&]status=rejected"))
    await expect(page.get_by_label("Status")).to_have_value("rejected")


@pytest.mark.soak
async def test_a_queue_of_a_hundred_is_cleared_from_the_keyboard(browser: Browser, stack: Stack) -> None:
    """The inbox's promise, kept whole: a hundred proposals decided one after the other with the keys alone (j/k,
    Enter, r and a reason, Enter), the list never left, each decision landing on the proposal it was made on."""
    # Members with an overdue invoice each, beside the demo's own work: a queue of well over a hundred.
    for n in range(60):
        add_customer(stack.engine, f"ams-queue-{n}", location_id="ams", name=f"Queue Member {n}",
                     email=f"queue{n}@mail.example")  # fmt: skip
        add_invoice(stack.engine, f"AMS-Q{n:03}", f"ams-queue-{n}", location_id="ams",
                    due=date.today() - timedelta(days=10))  # fmt: skip
    await stack.http.put("/api/agents/due_invoice", params={"location_id": "ams"}, json={"daily_max": 500})
    started = sum([(await stack.detect(location)).started for location in ("ams", "atx")])
    assert started >= 100, f"{started} proposals: fewer than a hundred"

    async def listed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"status": "pending", "sort": "attention", "page_size": 200}
        page = (await stack.http.get("/api/inbox", params=params)).json()
        return page["items"] if page["total"] == started else None

    queue = (await poll(listed, "every proposal of the run in the inbox"))[:100]
    page = await signed_in(browser, stack, stack.admin_token)
    await page.set_viewport_size({"width": 1440, "height": 900})
    panel = page.locator("#panel")
    await page.keyboard.press("j")
    await page.keyboard.press("Enter")
    for n, item in enumerate(queue):
        await expect(panel.locator(f"form[action='/app/inbox/{item['id']}/snooze']")).to_be_attached()
        await expect(panel.locator("#draft")).to_be_focused()
        await page.keyboard.press("r")
        await page.keyboard.type(f"Handled at the desk ({n + 1})")
        await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/app(\?|/inbox/|$)"))  # never left the inbox
    for n, item in enumerate(queue):
        decided = (await stack.http.get(f"/api/inbox/{item['id']}")).json()
        assert (decided["status"], decided["reject_reason"]) == ("rejected", f"Handled at the desk ({n + 1})")
