"""A language model through litellm (any provider it speaks to, by `OUTREACH_LLM_MODEL`).

litellm is imported on first use: it costs seconds, and without `LITELLM_LOCAL_MODEL_COST_MAP` it fetches a
price list over the network. Calls use `num_retries=0`: Temporal owns retries, so each attempt shows in the
workflow history. Without a model there is no call at all: the offline composer writes (see `activities/`).
"""

import os
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from settings import Settings


class Usage(BaseModel):
    """Tokens and estimated cost of model calls. A rejected answer was billed too, so it counts."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


@dataclass(frozen=True)
class ModelAnswer:
    content: str
    usage: Usage


@dataclass(frozen=True)
class FunctionCall:
    call_id: str
    name: str
    arguments: str  # JSON, as the model wrote it (it may not parse)


@dataclass(frozen=True)
class ModelCalls:
    calls: list[FunctionCall]
    usage: Usage


def _litellm() -> Any:
    # The price list ships with the package; without this litellm fetches it over the network.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    return litellm


def language_model(settings: Settings) -> "LanguageModel | None":
    """The configured model, or None when `OUTREACH_LLM_MODEL` is empty."""
    return LanguageModel(settings) if settings.llm_model else None


class LanguageModel:
    """The configured model; `settings.llm_model` must be set."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def name(self) -> str:
        return self._settings.llm_model

    async def answer_json(self, messages: list[dict[str, str]], temperature: float) -> ModelAnswer:
        """One JSON answer and what it cost; provider errors (timeouts, 429, 5xx, a bad key) are raised."""
        litellm = _litellm()
        response = await self._complete(litellm, messages, temperature, response_format={"type": "json_object"})
        return ModelAnswer(content=response.choices[0].message.content or "", usage=_usage(litellm, response))

    async def call_functions(
        self, messages: list[dict[str, Any]], functions: list[dict[str, Any]], only: str | None, temperature: float
    ) -> ModelCalls:
        """The functions the model calls next (it must call one; `only` names the one it must call), and what
        that cost; provider errors are raised."""
        litellm = _litellm()
        choice: Any = {"type": "function", "function": {"name": only}} if only else "required"
        response = await self._complete(litellm, messages, temperature, tools=functions, tool_choice=choice)
        calls = [
            FunctionCall(call_id=call.id, name=call.function.name, arguments=call.function.arguments or "")
            for call in response.choices[0].message.tool_calls or []
        ]
        return ModelCalls(calls=calls, usage=_usage(litellm, response))

    async def _complete(self, litellm: Any, messages: list[Any], temperature: float, **options: Any) -> Any:
        return await litellm.acompletion(
            model=self._settings.llm_model,
            messages=messages,
            api_base=self._settings.llm_api_base or None,
            timeout=self._settings.llm_timeout_seconds,
            num_retries=0,
            temperature=temperature,
            **options,
        )


def _usage(litellm: Any, response: Any) -> Usage:
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:  # a model missing from the price list costs what we cannot know
        cost = 0.0
    tokens = getattr(response, "usage", None)
    return Usage(
        prompt_tokens=getattr(tokens, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(tokens, "completion_tokens", 0) or 0,
        cost_usd=cost,
    )
