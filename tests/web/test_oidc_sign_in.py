"""Signing in with the organisation's OpenID Connect provider in Chromium: to the fake provider and back, the
browser carries the session its strict cookie holds (a page of ours moves on after the provider's redirect), and
lands where the session that ended was."""

import re

import pytest
from playwright.async_api import Browser, expect

from models.operators import create_operator
from tests.api.test_oidc import EMAIL, provider, settings  # noqa: F401 (the fake provider and the settings for it)
from tests.conftest import Stack
from tests.web.test_browser import browser  # noqa: F401 (the Chromium fixture)

pytestmark = pytest.mark.one_database


async def test_an_operator_signs_in_with_the_organisations_provider(
    browser: Browser,  # noqa: F811
    stack: Stack,
) -> None:
    create_operator(stack.engine, name="Sanne", email=EMAIL, location_ids=["ams"], is_admin=False)
    page = await browser.new_page(base_url=str(stack.http.base_url))
    # A session that ended on the conversations' page signs in again from there, and goes back.
    await page.goto("/app/sign-in?next=/app/conversations")
    await page.get_by_role("link", name="Sign in with Canal House SSO").click()
    await expect(page).to_have_url(re.compile(r"/app/conversations$"))
    await expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
