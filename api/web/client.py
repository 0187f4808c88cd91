"""The JSON API, asked in-process (no network) with the signed-in operator's token: the same authentication,
per-location authorization, validation and words as any other client of the API."""

from collections.abc import Awaitable
from typing import Any

import httpx
from fastapi import Request


class ApiRefused(Exception):
    """The API answered 4xx: its status and its `detail`, a sentence a person can act on."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Api:
    def __init__(self, request: Request, token: str) -> None:
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=request.app), base_url="http://api",
                                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        return await self._answer(self._client.get(path, params={k: v for k, v in params.items() if v}))

    async def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self._answer(self._client.request(method, path, json=body))

    async def download(self, path: str) -> httpx.Response:
        """A file the API serves (an attachment): the response itself, or ApiRefused."""
        response = await self._client.get(path)
        _refused(response)
        return response

    @staticmethod
    async def _answer(pending: Awaitable[httpx.Response]) -> Any:
        response = await pending
        _refused(response)
        return response.json()


def _refused(response: httpx.Response) -> None:
    """Raise the API's refusal (4xx) in its own words."""
    if response.status_code >= 400:
        json = response.headers.get("content-type") == "application/json"
        detail = response.json().get("detail") if json else None
        raise ApiRefused(response.status_code, str(detail or response.text))
