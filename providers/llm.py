"""A language model through litellm (any provider it speaks to, by `OUTREACH_LLM_MODEL`).

litellm is imported on first use: it costs seconds, and without `LITELLM_LOCAL_MODEL_COST_MAP` it fetches a
price list over the network. Calls use `num_retries=0`: Temporal owns retries, so each attempt shows in the
workflow history. Without a model there is no call at all: the offline composer writes (see `activities/`).
"""

import json
import os
import re
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
    text: str = ""  # what the model wrote besides (or instead of) calling a function


def _litellm() -> Any:
    # The price list ships with the package; without this litellm fetches it over the network.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # A model missing from the price list costs 0 (`_usage`); the package's help banner for it is noise in the logs.
    litellm.suppress_debug_info = True
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

    @property
    def tool_choice(self) -> str:
        """ "required" where the provider supports it, else "auto" (self-hosted servers: `llm_api_base` set)."""
        return self._settings.llm_tool_choice or ("auto" if self._settings.llm_api_base else "required")

    async def call_functions(
        self, messages: list[dict[str, Any]], functions: list[dict[str, Any]], only: str | None, temperature: float
    ) -> ModelCalls:
        """The functions the model calls next (`only` names the one it must call), what it wrote besides, and what
        that cost; provider errors are raised. Every dialect is spoken: with "auto" only the `only` function is
        offered, and a call the model wrote as JSON in its text is read as a call."""
        litellm = _litellm()
        offered = [plain_function(function) for function in functions
                   if not only or self.tool_choice == "required" or function["function"]["name"] == only]  # fmt: skip
        choice: Any = "auto"
        if self.tool_choice == "required":
            choice = {"type": "function", "function": {"name": only}} if only else "required"
        response = await self._complete(litellm, messages, temperature, tools=offered, tool_choice=choice)
        message = response.choices[0].message
        calls = [
            FunctionCall(call_id=call.id, name=call.function.name, arguments=call.function.arguments or "")
            for call in message.tool_calls or []
        ]
        text = message.content or ""
        if not calls:
            calls = calls_in_text(text, {function["function"]["name"] for function in offered})
            text = "" if calls else text
        return ModelCalls(calls=calls, usage=_usage(litellm, response), text=text)

    async def _complete(self, litellm: Any, messages: list[Any], temperature: float, **options: Any) -> Any:
        return await litellm.acompletion(
            model=self._settings.llm_model,
            messages=messages,
            api_base=self._settings.llm_api_base or None,
            timeout=self._settings.llm_timeout_seconds,
            max_tokens=self._settings.llm_max_tokens,
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


# What grammar builders of self-hosted servers cannot turn into a grammar; the values are checked after, by the
# same models that wrote the schemas.
_UNSUPPORTED = frozenset({"maxLength", "minLength", "pattern", "format", "maximum", "minimum", "exclusiveMaximum",
                          "exclusiveMinimum", "maxItems", "minItems", "title", "default"})  # fmt: skip


def plain_function(function: dict[str, Any]) -> dict[str, Any]:
    """The function with its parameters' schema plain: constraints left out, references written in place."""
    described = function["function"]
    schema = described.get("parameters", {})
    definitions = schema.get("$defs", {})

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return plain(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: plain(value) for key, value in node.items() if key not in _UNSUPPORTED and key != "$defs"}
        if isinstance(node, list):
            return [plain(item) for item in node]
        return node

    return {"type": "function", "function": {**described, "parameters": plain(schema)}}


# A function call some models write in their text instead of as a call: a JSON object with the function's name and
# its arguments, bare, in a code fence or in <tool_call> tags.
_FENCED = re.compile(r"```(?:json)?\s*(.*?)```|<tool_call>(.*?)</tool_call>", re.S)


def calls_in_text(text: str, names: set[str]) -> list[FunctionCall]:
    """The calls of known functions written as JSON in the text (none if it holds none)."""
    found: list[FunctionCall] = []
    for n, candidate in enumerate([part for match in _FENCED.finditer(text) for part in match.groups() if part]
                                  or [text]):  # fmt: skip
        try:
            written = json.loads(candidate.strip())
        except json.JSONDecodeError:
            continue
        for call in written if isinstance(written, list) else [written]:
            if not isinstance(call, dict):
                continue
            inner = call.get("function")  # {"function": {"name": …, "arguments": …}}, as a call is sent
            said = inner if isinstance(inner, dict) else call
            name, arguments = said.get("name"), said.get("arguments", said.get("parameters", {}))
            if name in names:
                written_arguments = arguments if isinstance(arguments, str) else json.dumps(arguments)
                found.append(FunctionCall(call_id=f"text-{n}-{len(found)}", name=name, arguments=written_arguments))
    return found


def advice(error: Exception) -> str:
    """What to fix when a model server refuses, in one sentence (empty when nothing can be said)."""
    said, kind = str(error).lower(), type(error).__name__
    if "tool_choice" in said:
        return "the model server does not support this tool_choice: set OUTREACH_LLM_TOOL_CHOICE=auto"
    if "grammar" in said or "schema" in said:
        return "the model server could not build a grammar for the function schemas: check it supports tool calling"
    if kind == "AuthenticationError":
        return "the provider refused the API key: check the key litellm reads for OUTREACH_LLM_MODEL"
    if kind == "NotFoundError":
        return "the server does not serve this model: check OUTREACH_LLM_MODEL (and OUTREACH_LLM_API_BASE)"
    if kind in ("APIConnectionError", "ServiceUnavailableError", "Timeout"):
        return "the model server could not be reached in time: check OUTREACH_LLM_API_BASE and that it is running"
    return ""
