"""A live call: the customer talks with the AI on the line, through Twilio's ConversationRelay (the WebSocket the
API serves, `api/webhooks/relay.py`, or the sandbox's call simulator speaking the same protocol).

The call is the outreach's conversation. When the customer picks up, the outreach starts its
`ConversationWorkflow`; each thing the customer says is an update to it (`call_turn`) — the turn, its tools
(a booking or a day pass is durable and done once) and the links texted, all in its history — answered with what
to say. What the AI actually said goes on the timeline when it is known: the whole answer once the customer
speaks again, or up to where they talked over it, or — the call dropped mid-answer — the answer, marked so. The
call's end ends the conversation.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.ids import CALL_ANSWERED, CALL_ENDED, CALL_SAID, CALL_TURN, conversation_id
from models.messages import CallEnded, CallUtterance, Channel, ConversationStatus, CustomerMessage, LiveAnswer

# How long the conversation may take to start once the customer picked up (the greeting plays meanwhile).
STARTING_SECONDS = 10.0
STARTING_POLL = 0.05
# On the keypad, 0 asks for a person.
DIGITS = {"0": "I'd like to talk to a person, please."}


class CallNotLive(Exception):
    """The call belongs to no outreach waiting for it: nothing to talk about."""


@dataclass
class _Saying:
    message_id: str
    spoken: str
    since: datetime


class CallSession:
    """One call's side of the relay: what the customer said, what the AI is saying, and the call's end."""

    def __init__(self, client: Client, action_id: str, call_sid: str) -> None:
        self._client = client
        self._action_id = action_id
        self._call_sid = call_sid
        self._conversation: WorkflowHandle[object, object] = client.get_workflow_handle(conversation_id(action_id))
        self._turns = 0
        self._saying: _Saying | None = None
        self.over = False

    async def picked_up(self) -> None:
        """The customer is on the line: the outreach starts its conversation (unless it runs already: the call
        connected again), and this waits until it runs."""
        if await self._running():
            return
        try:
            await self._client.get_workflow_handle(self._action_id).signal(CALL_ANSWERED)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            raise CallNotLive(f"No outreach {self._action_id!r} is waiting for this call.") from error
        deadline = asyncio.get_running_loop().time() + STARTING_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            if await self._running():
                return
            await asyncio.sleep(STARTING_POLL)  # the outreach starts the conversation in a moment
        raise CallNotLive("The call's conversation did not start.")

    async def _running(self) -> bool:
        try:
            described = await self._conversation.describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            return False
        return described.status is WorkflowExecutionStatus.RUNNING

    async def heard(self, words: str) -> LiveAnswer:
        """The customer finished saying something: the AI's answer, and where the conversation stands. The answer
        before it was said in full (the customer let it finish)."""
        await self._said(None)
        self._turns += 1
        message = CustomerMessage(id=f"call:{self._call_sid}:{self._turns}", channel=Channel.voice, body=words,
                                  received_at=datetime.now(UTC))  # fmt: skip
        answer: LiveAnswer = await self._conversation.execute_update(CALL_TURN, message, result_type=LiveAnswer)
        # A last answer (resolved, escalated) is on the timeline already: the call ends after it.
        if answer.spoken and answer.status is ConversationStatus.open:
            self._saying = _Saying(message.id, answer.spoken, datetime.now(UTC))
        return answer

    async def pressed(self, digit: str) -> LiveAnswer | None:
        """A key pressed on the phone: 0 asks for a person; the others mean nothing here."""
        words = DIGITS.get(digit)
        return await self.heard(words) if words else None

    async def interrupted(self, said: str) -> None:
        """The customer talked over the answer: only what was said before is on the timeline."""
        await self._said(said.strip(), interrupted=True)

    async def ended(self, reason: str) -> None:
        """The call is over (once, however many ways it is reported); an answer being said is marked so."""
        if self.over:
            return
        self.over = True
        await self._said(None, dropped=True)
        await self._tell(CALL_ENDED, CallEnded(reason=reason))

    async def _said(self, said: str | None, *, interrupted: bool = False, dropped: bool = False) -> None:
        """Record the answer being said, if one is: `said` of it (None: all of it), and how it ended."""
        saying, self._saying = self._saying, None
        if saying is not None:
            utterance = CallUtterance(message_id=saying.message_id, said=saying.spoken if said is None else said,
                                      at=saying.since, interrupted=interrupted, dropped=dropped)  # fmt: skip
            await self._tell(CALL_SAID, utterance)

    async def _tell(self, signal: str, what: CallUtterance | CallEnded) -> None:
        await _tell(self._conversation, signal, what)


async def call_over(client: Client, action_id: str, reason: str) -> None:
    """Twilio reports the end of the call's live session: its conversation ends (once, whoever says it first)."""
    await _tell(client.get_workflow_handle(conversation_id(action_id)), CALL_ENDED, CallEnded(reason=reason))


async def _tell(conversation: WorkflowHandle[object, object], signal: str, what: CallUtterance | CallEnded) -> None:
    try:
        await conversation.signal(signal, what)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # The conversation already ended (its last answer ended the call): nothing is left to record.
