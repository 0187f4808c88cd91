"""ConversationWorkflow: the exchange that follows a customer's reply to an outreach, or that a customer starts
in the members' chat.

loop: wait for a customer message → log it → AI turn (tools, round after round) → send the answer on the
conversation's channel (in the chat: the answer is the update's result, and on the timeline) → resolve, or
escalate (a help-desk ticket with the team's brief), or keep listening until the conversation goes quiet. Long
conversations continue-as-new so their history stays small.

A team member can take the conversation over (an update): from then on the customer's messages are logged for
them and the AI answers none; their replies go out on the conversation's channel; handing it back lets the AI
answer again — first what the customer wrote since the team's last reply.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.channels.email import EmailActivities
    from activities.channels.helpdesk import HelpdeskActivities
    from activities.channels.voice import VoiceActivities
    from activities.db import DbActivities
    from activities.tools import ToolActivities
    from activities.turns import ConversationActivities
    from conversation.turn import run_turn, still_open
    from domain.content import html_to_text, typed_as_html
    from domain.ids import (
        CALL_ENDED,
        CALL_SAID,
        CALL_TURN,
        CHAT_MESSAGE,
        CONVERSATION_WORKFLOW,
        CONVERTED,
        CUSTOMER_REPLIED,
        HAND_BACK,
        TAKE_OVER,
        TEAM_REPLY,
    )
    from domain.speech import for_a_call, texted
    from models.messages import (
        CallEnded,
        CallUtterance,
        Channel,
        ConversationInput,
        ConversationOpening,
        ConversationStatus,
        ConversationStatusChange,
        Converted,
        CustomerMessage,
        EmailMessage,
        EscalationRequest,
        ForTheTeam,
        Handling,
        LeavingSaid,
        LinksByText,
        LiveAnswer,
        PaymentReported,
        Sender,
        TeamMember,
        TeamReply,
        TimelineEvent,
        ToolCall,
        ToolRequest,
        ToolResult,
        Turn,
        TurnOutcome,
        TurnRequest,
        nothing_to_take_over,
    )

DB_TIMEOUT = timedelta(seconds=30)
TURN_TIMEOUT = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(minutes=1)
# A send heartbeats before it calls the provider (whose requests time out sooner): a worker that dies mid-send
# is noticed within this, and the retry asks the provider before sending again.
SEND_HEARTBEAT = timedelta(seconds=30)

# A turn may use tools (each its own activity), round after round (`conversation.turn`).
TOOLS_IN_TURNS = "tools-in-turns"

# An escalation opens a help-desk ticket with the team's brief; what the customer writes after it goes there.
ESCALATION_TICKETS = "escalation-tickets"

# The customer waits on the line: a text that does not go out after a few tries is said so, not waited for.
LIVE_RETRIES = RetryPolicy(maximum_attempts=3)

# How many message ids a conversation remembers across continue-as-new: a duplicate arrives within minutes.
SEEN_KEPT = 100

FINAL_STATUS = {
    TurnOutcome.resolve: ConversationStatus.resolved,
    TurnOutcome.escalate: ConversationStatus.escalated,
}


@workflow.defn(name=CONVERSATION_WORKFLOW)
class ConversationWorkflow:
    @workflow.init
    def __init__(self, input: ConversationInput) -> None:
        self._input = input
        self._inbox: list[CustomerMessage] = list(input.inbox)
        self._status = ConversationStatus.open
        self._converted: Converted | None = None
        # Ids of the messages taken in: the same mail routed twice (a webhook retried after a crash) is one turn.
        self._seen: list[str] = [*input.seen, *(message.id for message in input.inbox)]
        self._in_turn: str | None = None  # the message whose turn is under way
        # The messages whose sender waits for the answer (a chat, a call), and the answers.
        self._awaited: dict[str, LiveAnswer | None] = {}
        self._call_over: CallEnded | None = None
        # What the last answer proposed to book, and when: the customer's yes within the window makes it.
        self._offers = list(input.offers)
        self._offered_at = input.offered_at
        self._taken_over = input.taken_over  # the team member who has the conversation; None: the AI answers
        self._last_message = input.last_message  # the customer's last message: where a team reply goes
        self._unanswered = input.unanswered  # the customer wrote after the team's last reply
        self._last_message_id = input.last_message_id  # our last message in the thread

    @workflow.run
    async def run(self, input: ConversationInput) -> ConversationStatus:
        if not input.continued:
            await workflow.execute_activity_method(
                DbActivities.open_conversation,
                ConversationOpening(
                    conversation_id=input.conversation_id,
                    action_id=input.action_id,
                    location_id=input.location_id,
                    customer_id=input.customer_id,
                    channel=input.channel,
                    subject=input.subject,
                    at=workflow.now(),
                ),
                start_to_close_timeout=DB_TIMEOUT,
                summary="Open the conversation",
            )
        while True:
            quiet = self._converted is None and self._call_over is None
            if not self._inbox and quiet and workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                carried = {"inbox": [], "last_message_id": self._last_message_id, "seen": self._seen[-SEEN_KEPT:],
                           "offers": self._offers, "offered_at": self._offered_at, "taken_over": self._taken_over,
                           "last_message": self._last_message, "unanswered": self._unanswered}  # fmt: skip
                workflow.continue_as_new(input.model_copy(update={"continued": True, **carried}))
            try:
                await workflow.wait_condition(
                    lambda: bool(self._inbox) or self._converted is not None or self._call_over is not None,
                    timeout=input.idle_timeout,
                    timeout_summary="Conversation goes quiet",
                )
            except TimeoutError:
                days = input.idle_timeout.days
                return await self._finish(input, ConversationStatus.closed, f"Closed: no reply for {days} days.")
            if not self._inbox and self._converted is not None:
                return await self._finish(input, ConversationStatus.resolved, f"Resolved: {self._converted.note}")
            if not self._inbox and self._call_over is not None:
                return await self._finish(input, ConversationStatus.closed, f"Closed: {self._call_over.reason}.")
            message = self._inbox.pop(0)
            self._last_message = message
            if self._taken_over is not None:
                await self._for_the_team_member(input, message)
                continue
            self._in_turn = message.id
            turn = await self._turn(input, message)
            if turn.payment_reported and input.action_id is not None:
                report = PaymentReported(action_id=input.action_id, conversation_id=input.conversation_id,
                                         at=workflow.now())  # fmt: skip
                await self._step(DbActivities.record_payment_reported, report, DB_TIMEOUT, "Note the payment reported")
            if turn.leaving_said:
                said = LeavingSaid(customer_id=input.customer_id, action_id=input.action_id,
                                   conversation_id=input.conversation_id, at=workflow.now())  # fmt: skip
                await self._step(
                    DbActivities.record_leaving_said, said, DB_TIMEOUT, "Note that they say they are leaving"
                )
            if self._taken_over is not None:
                # Taken over while the AI was thinking: its answer goes to the team member, not the customer.
                await self._held_back(input, message, turn)
                continue
            spoken, links = await self._deliver(input, message, turn)
            if turn.outcome is TurnOutcome.escalate and workflow.patched(ESCALATION_TICKETS):
                await self._escalate(input, turn)
            # A customer who wrote again in the meantime is not done: keep the conversation going.
            going_on = turn.outcome is TurnOutcome.reply or (turn.outcome is TurnOutcome.resolve and bool(self._inbox))
            status = ConversationStatus.open if going_on else FINAL_STATUS[turn.outcome]
            self._answered(message.id, LiveAnswer(message_id=message.id, reply_html=turn.reply_html, status=status,
                                                  spoken=spoken, links=links))  # fmt: skip
            if going_on:
                continue
            return await self._finish(input, FINAL_STATUS[turn.outcome], turn.summary)

    @workflow.signal(name=CUSTOMER_REPLIED)
    def customer_replied(self, message: CustomerMessage) -> None:
        """The customer's next message."""
        if message.id not in self._seen:
            self._seen.append(message.id)
            self._inbox.append(message)

    @workflow.update(name=CHAT_MESSAGE)
    async def chat_message(self, message: CustomerMessage) -> LiveAnswer:
        """A message in the members' chat, answered once its turn is done. The same message sent again (a
        client's retry) is one turn, and gets the same answer."""
        return await self._awaiting(message)

    @workflow.update(name=CALL_TURN)
    async def call_turn(self, message: CustomerMessage) -> LiveAnswer:
        """What the customer said on the call, answered with what the AI says back (and the links it texted)."""
        return await self._awaiting(message)

    @workflow.signal(name=CALL_SAID)
    async def call_said(self, utterance: CallUtterance) -> None:
        """What the AI actually said on the call: all of its answer, or up to where the customer talked over it."""
        ending = " [the customer talked over the rest]" if utterance.interrupted else ""
        ending += " [the call ended while this was said]" if utterance.dropped else ""
        await workflow.execute_activity_method(
            DbActivities.record_event,
            TimelineEvent(id=f"answer:{utterance.message_id}", action_id=self._input.action_id,
                          conversation_id=self._input.conversation_id, sender=Sender.ai, channel=Channel.voice,
                          body=utterance.said + ending, at=utterance.at),
            start_to_close_timeout=DB_TIMEOUT,
            summary="What the AI said on the call",
        )  # fmt: skip

    @workflow.signal(name=CALL_ENDED)
    def call_ended(self, ended: CallEnded) -> None:
        """The call is over; the conversation ends with it once its last turn is done."""
        self._call_over = self._call_over or ended

    async def _awaiting(self, message: CustomerMessage) -> LiveAnswer:
        """Take a message whose sender waits for the answer, and answer when its turn is done."""
        pending = message.id == self._in_turn or any(queued.id == message.id for queued in self._inbox)
        if message.id in self._seen and not pending and message.id not in self._awaited:
            # Answered before this run continued as new: the conversation's transcript has the answer.
            return LiveAnswer(message_id=message.id, reply_html="", status=self._status)
        self._awaited.setdefault(message.id, None)
        self.customer_replied(message)
        await workflow.wait_condition(lambda: self._awaited[message.id] is not None)
        answer = self._awaited[message.id]
        assert answer is not None
        return answer

    @chat_message.validator
    def _chat_open(self, message: CustomerMessage) -> None:
        self._still_open()

    @call_turn.validator
    def _call_open(self, message: CustomerMessage) -> None:
        self._still_open()

    def _still_open(self) -> None:
        # A conversation that is ending takes no new message: the sender tries again, and a new run reopens it.
        if self._status is not ConversationStatus.open:
            raise ValueError(f"The conversation is {self._status.value}; send the message again to reopen it.")

    def _answered(self, message_id: str, answer: LiveAnswer) -> None:
        self._in_turn = None
        if message_id in self._awaited:
            self._awaited[message_id] = answer

    @workflow.signal(name=CONVERTED)
    def converted(self, conversion: Converted) -> None:
        """The outreach converted (the invoice paid, a booking made): nothing is left to talk about."""
        self._converted = conversion

    @workflow.update(name=TAKE_OVER)
    async def take_over(self, by: TeamMember) -> None:
        """A team member has the conversation from now on: the AI answers nothing until it is handed back."""
        await self._take(by)

    async def _take(self, by: TeamMember) -> None:
        if self._taken_over is not None and self._taken_over.operator_id == by.operator_id:
            return  # theirs already (a repeated request)
        before, self._taken_over = self._taken_over, by
        said = f"from {before.name}" if before else "from the AI"
        await self._handled(
            Handling(
                conversation_id=self._input.conversation_id,
                by=by,
                entry=self._note(
                    f"{by.name} took the conversation over {said}: the AI answers nothing until it is handed back."
                ),
            )
        )

    @workflow.update(name=TEAM_REPLY)
    async def team_reply(self, reply: TeamReply) -> None:
        """The team member's answer to the customer, on the conversation's channel; replying takes the
        conversation over, so the AI does not answer over them. The same request twice is one reply."""
        await self._take(reply.by)
        message = self._last_message
        assert message is not None, "the validator lets no reply through before the customer wrote"
        entry_id = f"team-reply:{self._input.conversation_id}:{reply.request_id}"
        self._unanswered = False
        if self._input.channel is Channel.chat:  # the chat shows it in its transcript: it goes on the timeline
            await workflow.execute_activity_method(
                DbActivities.record_event,
                TimelineEvent(id=entry_id, action_id=self._input.action_id,
                              conversation_id=self._input.conversation_id, sender=Sender.operator,
                              channel=Channel.chat, body=reply.text, at=workflow.now()),
                start_to_close_timeout=DB_TIMEOUT,
                summary=f"{reply.by.name}'s answer in the chat",
            )  # fmt: skip
            return
        delivery_id = str(uuid.uuid5(uuid.NAMESPACE_URL, entry_id))
        await self._email(self._input, message, typed_as_html(reply.text), delivery_id, Sender.operator,
                          f"Send {reply.by.name}'s answer")  # fmt: skip

    @workflow.update(name=HAND_BACK)
    async def hand_back(self, by: TeamMember) -> None:
        """The AI answers again — first what the customer wrote since the team's last reply."""
        if self._taken_over is None:
            return  # the AI has it already (a repeated request)
        self._taken_over = None
        await self._handled(
            Handling(
                conversation_id=self._input.conversation_id,
                by=None,
                entry=self._note(f"{by.name} handed the conversation back to the AI."),
            )
        )
        if self._unanswered and self._last_message is not None and not self._inbox:
            self._unanswered = False
            self._inbox.append(self._last_message)

    @take_over.validator
    def _may_take_over(self, by: TeamMember) -> None:
        self._team_may_act()
        if self._input.channel is Channel.voice:
            raise ValueError("A call is answered live by the AI and cannot be taken over here; its conversation "
                             "ends with the call, and the team calls back from the proposal.")  # fmt: skip

    @team_reply.validator
    def _may_reply(self, reply: TeamReply) -> None:
        self._may_take_over(reply.by)
        if self._last_message is None:
            raise ValueError("The customer has not written in this conversation yet: there is nothing to answer.")

    @hand_back.validator
    def _may_hand_back(self, by: TeamMember) -> None:
        self._team_may_act()

    def _team_may_act(self) -> None:
        if self._status is not ConversationStatus.open:
            raise ValueError(nothing_to_take_over(self._status))

    async def _handled(self, change: Handling) -> None:
        await workflow.execute_activity_method(DbActivities.record_handling, change, start_to_close_timeout=DB_TIMEOUT,
                                               summary=change.entry.body)  # fmt: skip

    def _note(self, body: str) -> TimelineEvent:
        """A note of the system's on the conversation's timeline."""
        return TimelineEvent(id=str(workflow.uuid4()), action_id=self._input.action_id,
                             conversation_id=self._input.conversation_id, sender=Sender.system, body=body,
                             at=workflow.now())  # fmt: skip

    async def _for_the_team_member(self, input: ConversationInput, message: CustomerMessage) -> None:
        """A message while a team member has the conversation: on the timeline for them, unanswered by the AI."""
        await log_customer_message(message, input.action_id, input.conversation_id)
        self._waits_for_the_team(message)

    def _waits_for_the_team(self, message: CustomerMessage) -> None:
        """The message is the team member's to answer (its sender, in a chat, is told so)."""
        self._unanswered = True
        self._answered(message.id, LiveAnswer(message_id=message.id, reply_html="", status=self._status,
                                              with_the_team=True))  # fmt: skip

    async def _held_back(self, input: ConversationInput, message: CustomerMessage, turn: Turn) -> None:
        """The conversation was taken over while the AI thought: its answer is for the team member, not sent."""
        assert self._taken_over is not None
        draft = html_to_text(turn.reply_html) or "(nothing)"
        await self._step(DbActivities.record_event, self._note(
            f"Not sent, as {self._taken_over.name} had taken the conversation over — the AI would have said: "
            f"{draft}"), DB_TIMEOUT, "The AI's answer, held back")  # fmt: skip
        self._waits_for_the_team(message)

    @workflow.query
    def status(self) -> ConversationStatus:
        return self._status

    async def _step(self, method: Callable[..., Any], arg: Any, limit: timedelta, summary: str) -> Any:
        """One step of a turn. On a call the customer waits on the line, so the steps are local activities: run by
        this worker at once, recorded in the history all the same, with no round trip through the server each."""
        if self._input.channel is Channel.voice:
            return await workflow.execute_local_activity_method(method, arg, start_to_close_timeout=limit,
                                                                summary=summary)  # fmt: skip
        return await workflow.execute_activity_method(method, arg, start_to_close_timeout=limit, summary=summary)

    async def _turn(self, input: ConversationInput, message: CustomerMessage) -> Turn:
        """Log the customer's message and let the AI answer it, using tools round after round."""
        if input.channel is Channel.voice:
            await self._step(DbActivities.record_event, TimelineEvent.from_customer(message, input.action_id,
                             input.conversation_id), DB_TIMEOUT, "Log what the customer said")  # fmt: skip
        else:
            await log_customer_message(message, input.action_id, input.conversation_id)
        offers = still_open(self._offers, self._offered_at, workflow.now(), input.channel)
        request = TurnRequest(conversation_id=input.conversation_id, action_id=input.action_id, message=message,
                              offers=offers)  # fmt: skip

        async def use(tool: ToolRequest) -> ToolResult:
            call = ToolCall(request_key=f"{workflow.info().workflow_id}:{message.id}:{tool.call_id}",
                            location_id=input.location_id, customer_id=input.customer_id, name=tool.name,
                            arguments=tool.arguments, action_id=input.action_id,
                            conversation_id=input.conversation_id, sender_known=message.sender_known)  # fmt: skip
            result: ToolResult = await self._step(ToolActivities.use_tool, call, DB_TIMEOUT, f"Tool {tool.name}")
            return result

        turn = await run_turn(request, self._think, use, lambda: workflow.patched(TOOLS_IN_TURNS))
        self._offers, self._offered_at = turn.offers, workflow.now()
        return turn

    async def _deliver(self, input: ConversationInput, message: CustomerMessage, turn: Turn) -> tuple[str, list[str]]:
        """Give the answer on the conversation's channel: by email in the customer's thread (from the address they
        wrote to), on the chat's timeline, or to be said on the call (its links texted). Answers, for a call,
        what to say and the links texted."""
        if not turn.reply_html:
            return "", []  # nothing to say (a thank-you for an answer): the thread stays as it is
        if input.channel is Channel.chat:  # the chat shows the answer itself: it goes on the timeline
            await self._record_answer(input, message, Channel.chat, html_to_text(turn.reply_html), "Answer in the chat")
            return "", []
        if input.channel is Channel.voice:
            spoken, links = for_a_call(turn.reply_html)
            if links:
                spoken = texted(spoken, links, await self._text(input, message, links))
            if turn.outcome is not TurnOutcome.reply:
                # The call ends after this answer: it is on the timeline now, whole.
                await self._record_answer(input, message, Channel.voice, spoken, "The AI's last words on the call")
            return spoken, links
        await self._email(input, message, turn.reply_html, str(workflow.uuid4()), Sender.ai, "Send the AI answer")
        return "", []

    async def _email(self, input: ConversationInput, message: CustomerMessage, body_html: str, delivery_id: str,
                     author: Sender, summary: str) -> None:  # fmt: skip
        """An answer by email in the customer's thread, from the address they wrote to."""
        in_reply_to = self._last_message_id
        delivery = await workflow.execute_activity_method(
            EmailActivities.send_email,
            EmailMessage(
                delivery_id=delivery_id,
                action_id=input.action_id,
                conversation_id=input.conversation_id,
                location_id=input.location_id,
                customer_id=input.customer_id,
                channel=Channel.email if message.send_from else input.channel,
                send_from=message.send_from,
                subject=input.subject if input.subject.startswith("Re: ") else f"Re: {input.subject}",
                body_html=body_html,
                in_reply_to=message.references[-1] if message.references else in_reply_to,
                references=message.references or ([in_reply_to] if in_reply_to else []),
                author=author,
            ),
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            summary=summary,
        )
        self._last_message_id = delivery.message_id

    async def _text(self, input: ConversationInput, message: CustomerMessage, links: list[str]) -> bool:
        """Text the links a call's answer gives; whether they went (a number that cannot take a text is said)."""
        try:
            await workflow.execute_activity_method(
                VoiceActivities.text_links,
                LinksByText(text_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"links-of:{message.id}")),
                            action_id=input.action_id, customer_id=input.customer_id, links=links,
                            conversation_id=input.conversation_id),
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                summary="Text the links of the answer",
                retry_policy=LIVE_RETRIES,
            )  # fmt: skip
        except ActivityError:
            return False
        return True

    async def _record_answer(self, input: ConversationInput, message: CustomerMessage, channel: Channel,
                             body: str, summary: str) -> None:  # fmt: skip
        await workflow.execute_activity_method(
            DbActivities.record_event,
            TimelineEvent(id=f"answer:{message.id}", action_id=input.action_id, conversation_id=input.conversation_id,
                          sender=Sender.ai, channel=channel, body=body, at=workflow.now()),
            start_to_close_timeout=DB_TIMEOUT,
            summary=summary,
        )  # fmt: skip

    async def _think(self, request: TurnRequest) -> Turn:
        """The AI's next step in a turn: tools to use, or its answer (given what the tools found)."""
        summary = f"AI turn ({len(request.steps)} tool results)" if request.steps else "AI turn"
        turn: Turn = await self._step(ConversationActivities.converse, request, TURN_TIMEOUT, summary)
        return turn

    async def _escalate(self, input: ConversationInput, turn: Turn) -> None:
        """Hand the conversation to the team: a ticket with the brief, and what the customer was just told."""
        assert turn.escalation is not None, "an escalating turn says why"
        await workflow.execute_activity_method(
            HelpdeskActivities.escalate,
            EscalationRequest(
                ticket_id=str(workflow.uuid4()),
                action_id=input.action_id,
                conversation_id=input.conversation_id,
                location_id=input.location_id,
                customer_id=input.customer_id,
                channel=input.channel,
                subject=input.subject,
                escalation=turn.escalation,
                told_customer_html=turn.reply_html,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            summary=f"Escalate to the team ({turn.escalation.reason.value}, {turn.escalation.priority.value})",
        )

    async def _finish(self, input: ConversationInput, status: ConversationStatus, note: str) -> ConversationStatus:
        self._status = status
        await workflow.execute_activity_method(
            DbActivities.record_conversation_status,
            ConversationStatusChange(conversation_id=input.conversation_id, status=status, entry=self._note(note)),
            start_to_close_timeout=DB_TIMEOUT,
            summary=f"Conversation {status.value}",
        )
        # Messages that arrive as the conversation ends go on its timeline, for the team (a chat's sender is told).
        while self._inbox:
            message = self._inbox.pop(0)
            await log_customer_message(message, input.action_id, input.conversation_id, status)
            self._answered(message.id, LiveAnswer(message_id=message.id, reply_html="", status=status))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return status


async def log_customer_message(
    message: CustomerMessage,
    action_id: str | None,
    conversation_id: str | None,
    status: ConversationStatus | None = None,
) -> None:
    """Put a customer's message on the timeline (idempotent: the entry id derives from the message); after an
    escalation, on the ticket as well."""
    if status is ConversationStatus.escalated and conversation_id and workflow.patched(ESCALATION_TICKETS):
        await workflow.execute_activity_method(
            HelpdeskActivities.pass_to_ticket,
            ForTheTeam(message=message, action_id=action_id, conversation_id=conversation_id),
            start_to_close_timeout=DB_TIMEOUT,
            summary="Pass the customer's message to the ticket",
        )
        return
    await workflow.execute_activity_method(
        DbActivities.record_event,
        TimelineEvent.from_customer(message, action_id, conversation_id),
        start_to_close_timeout=DB_TIMEOUT,
        summary="Log the customer's message",
    )
