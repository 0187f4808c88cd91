"""What the engine decides whatever answers (the model or the offline engine): this is where the AI decides to
opt a customer out or to hand the conversation to the team.

An opt-out comes first: the `opt_out` tool, then one polite sentence. The AI decides most escalations itself (a
structured field of its answer); these triggers are the ones the engine applies whatever the AI says, because a
customer must never be kept from a person by an AI that missed them: an explicit ask for a person, a billing
dispute or a complaint, frustration, the same question asked twice, tools that keep failing, and a booking limit
reached. The priority follows from why, the same way whoever decided it: High when the customer is frustrated (or
disputes a bill), Critical for a dispute over a large amount.
"""

from conversation import offline, questions
from conversation.situation import Situation
from conversation.understanding import (
    asked_before,
    asks_after_payments,
    asks_for_a_cheaper_plan,
    asks_for_person,
    asks_for_the_wifi,
    asks_if_charged,
    asks_if_the_price_stays,
    asks_where_to_change_details,
    meanings,
    plain_yes,
    shouting,
)
from domain.opt_out import asks_to_opt_out, beside_requests, moves_to_another_address, without_negated_requests
from models.messages import Escalation, EscalationReason, Priority, ToolRequest, Turn, TurnOutcome, TurnRequest

OPT_OUT = "opt_out"  # the tool that opts the customer out
R = EscalationReason
# What the customer means that the team takes over, and why — in the order one wins over another when a message
# says several things (a legal threat outranks the dispute it is about).
ESCALATIONS = {
    "legal": R.legal, "dispute": R.dispute, "person": R.asked_for_person, "other_channel": R.asked_for_person,
    "personal_data": R.personal_data, "complaint": R.complaint, "facilities": R.facilities,
    "terms": R.needs_judgement, "frustrated": R.frustrated,
}  # fmt: skip
# What an opt-out still hands to the team: it stops our messages, not the customer's claim or request.
ALSO_WITH_OPT_OUT = ("legal", "dispute", "personal_data", "complaint")
# Tool results that failed within one turn before the engine stops trying and hands over.
FAILED_TOOLS_LIMIT = 2
# A sentence of a longer message hands it to the team from this share: a weaker reading of one sentence ("I need
# it for a workshop") does not turn what the whole message plainly asks into a matter for a person.
ESCALATING_SENTENCE = 0.75
# An ask to stop read by meaning (the rule's phrases aside) from this share: an opt-out must never be imagined, and a
# weaker reading of an angry message ("WHY DO YOU KEEP SENDING ME THIS") is frustration, for a person to answer.
OPTING_OUT = 0.35
# One sentence or clause of a longer message asks to stop from this share, as one hands a message to the team: a
# fragment beside a clear question ("Are there 3 desks free that day? Me plus two freelancers.") is no opt-out
# imagined, and an ask to stop said in a sentence of its own is read far above it, or by the rule's phrases.
OPTING_OUT_SENTENCE = ESCALATING_SENTENCE

LABELS = {
    EscalationReason.asked_for_person: "The customer asked for a person.",
    EscalationReason.dispute: "The customer disputes a charge.",
    EscalationReason.complaint: "The customer has a complaint.",
    EscalationReason.legal: "The customer threatens legal action.",
    EscalationReason.personal_data: "The customer asks for their personal data to be erased or exported.",
    EscalationReason.facilities: "The customer reports a problem in the space (access, Wi-Fi, something broken).",
    EscalationReason.frustrated: "The customer is frustrated.",
    EscalationReason.needs_judgement: "It needs a person's judgement (terms, a discount, an arrangement).",
    EscalationReason.outside_scope: "The question is outside what the AI's tools and the FAQ cover.",
    EscalationReason.asked_twice: "The customer asked the same question twice.",
    EscalationReason.tools_failed: "The AI's tools failed repeatedly.",
    EscalationReason.ai_unavailable: "The AI could not give a usable answer.",
    EscalationReason.ai_budget_spent: "The AI's monthly model budget for this location is spent.",
    EscalationReason.booking_limit: "The customer reached the most bookings and day passes the AI may make; a person "
    "can make more.",
}


# Escalations that always take this priority, whatever else the message says.
PRIORITIES = {EscalationReason.legal: Priority.critical, EscalationReason.personal_data: Priority.high}


def escalation(reason: EscalationReason, text: str, disputed_cents: int, critical_cents: int) -> Escalation:
    """The escalation with its priority: Critical for a legal threat or a dispute over a large amount; High for
    any other dispute, a personal-data request or a frustrated customer."""
    if reason is EscalationReason.dispute:
        level = Priority.critical if disputed_cents >= critical_cents else Priority.high
    elif reason in PRIORITIES:
        level = PRIORITIES[reason]
    else:
        # Upset anywhere, even in a clause ("I want a manager, this is ridiculous"), raises the priority.
        clauses = {understood.intent for understood in meanings(text, by_clause=True)}
        upset = reason is EscalationReason.frustrated or shouting(text) or "frustrated" in clauses
        level = Priority.high if upset else Priority.normal
    return Escalation(reason=reason, priority=level, detail=LABELS[reason])


def also_with_opt_out(text: str) -> EscalationReason | None:
    """A legal threat, a dispute, a personal-data request or a complaint anywhere in the message beside its asks to
    stop (an opt-out can be one too; "remove my address from your mailing list" is no request for erasure)."""
    meant = {understood.intent for understood in meanings(beside_requests(text))}
    return next((ESCALATIONS[intent] for intent in ALSO_WITH_OPT_OUT if intent in meant), None)


def triggered(text: str, earlier: list[str], failed_tools: int) -> EscalationReason | None:
    """The reason the engine escalates this message whatever the AI decides, or None: what the message means, by
    the precedence of what it says, then the rules (an explicit ask for a person, the same question again, tools
    that keep failing, a message in capitals)."""
    meant = {understood.intent for understood in meanings(text, sure=ESCALATING_SENTENCE)}
    if plain_yes(text):  # "Ja, graag!" agrees, whatever mood a reading of it finds
        meant.discard("frustrated")
    if asks_if_the_price_stays(text) or asks_for_a_cheaper_plan(text):  # questions of prices, not a change of terms
        meant.discard("terms")
    if asks_where_to_change_details(text):  # their details changed by themselves, in the portal
        meant.discard("personal_data")
    if asks_if_charged(text) or asks_after_payments(text):  # whether they pay for it, or paid: their invoices tell
        meant.discard("dispute")
    if asks_for_the_wifi(text):  # its password, asked: the location's details
        meant.discard("facilities")
    strongest = next((intent for intent in ESCALATIONS if intent in meant), None)
    if strongest is not None:
        return ESCALATIONS[strongest]
    if asks_for_person(text):
        return EscalationReason.asked_for_person
    if shouting(text):
        return EscalationReason.frustrated
    if asked_before(text, earlier):
        return EscalationReason.asked_twice
    if failed_tools >= FAILED_TOOLS_LIMIT:
        return EscalationReason.tools_failed
    return None


# What a customer may tell of their situation that the engine records, whoever answered: they paid (or what they
# pay is on its way); they are leaving (will not renew, chose another space).
REPORTED = frozenset({"paid", "lost"})


def reported(text: str) -> frozenset[str]:
    """What the customer tells of their situation (of `REPORTED`), by what the message or one of its sentences
    means."""
    return frozenset(understood.intent for understood in meanings(text) if understood.intent in REPORTED)


def opts_out(text: str) -> bool:
    """An ask to hear no more: the rule's phrases in six languages, or what the message (or one of its sentences or
    clauses) clearly means. Beside a claim for the team (a lawyer, a disputed charge, a request for their data) a
    part alone is not enough, the whole must mean it: "Please remove it" is the charge, "Sie werden von ihm hören"
    the lawyer."""
    read = without_negated_requests(text)  # "I don't want to unsubscribe, but …", "can I write to you?": the rest
    if asks_to_opt_out(text):
        return True
    if moves_to_another_address(text):
        return False
    whole, *parts = meanings(read, by_clause=True)
    # What is left beside a request said not to be one, or to sign off from something else, must mean it clearly.
    sure = OPTING_OUT if read == text else OPTING_OUT_SENTENCE
    if whole.intent == "opt_out" and whole.confidence >= sure:
        return True
    claim = also_with_opt_out(text) is not None
    return not claim and any(part.intent == "opt_out" and part.confidence >= OPTING_OUT_SENTENCE for part in parts)


def priced(situation: Situation, said: Escalation, request: TurnRequest) -> Escalation:
    """The escalation with the priority that follows from why, the same way whoever decided it."""
    handed = escalation(said.reason, request.message.body, situation.disputed_cents, situation.critical_dispute_cents)
    return handed.model_copy(update={"detail": said.detail or handed.detail})


def ruled(situation: Situation, request: TurnRequest) -> Turn | None:
    """What the engine decides whatever the AI would, or None: an opt-out (the tool first, then one polite
    sentence), and the escalations a customer must never be kept from."""
    text, steps = request.message.body, request.steps
    capped = next((step.result for step in steps if step.result.limit_reached), None)
    if capped is not None:  # nothing was booked: a person makes it, or decides not to
        handed = Escalation(reason=EscalationReason.booking_limit, detail=capped.error or "")
        made = [step for step in steps if step.request.name == "book_resource" and step.result.ok]
        done = questions.booked(situation.context, made) if made else []  # the days of a weekly booking it made
        return offline.handed_over(situation.context, priced(situation, handed, request), done)
    opting_out = any(step.request.name == OPT_OUT for step in steps)
    if opts_out(text) and not opting_out:
        return Turn(reply_html="", outcome=TurnOutcome.resolve, summary="Opting the customer out.",
                    tool_calls=[ToolRequest(call_id=OPT_OUT, name=OPT_OUT)])  # fmt: skip
    if opting_out and opts_out(text):
        turn = offline.opted_out(situation.context, text)
        # An opt-out is no complaint, unless it also is one.
        also = also_with_opt_out(text)
        if also is None:
            return turn
        handed = priced(situation, Escalation(reason=also), request)
        return turn.model_copy(update={"outcome": TurnOutcome.escalate, "escalation": handed,
                                       "summary": f"{turn.summary} {handed.detail}"})  # fmt: skip
    if questions.accepted(request.offers, text) is not None and not asks_for_person(text):
        return None  # a short yes to what was proposed, read by rule: not a mood to read into ("Ja, graag")
    reason = triggered(text, situation.earlier, sum(not step.result.ok for step in steps))
    if reason is None:
        return None
    return offline.handed_over(situation.context, priced(situation, Escalation(reason=reason), request))


def with_priority(situation: Situation, request: TurnRequest, turn: Turn) -> Turn:
    """An escalating turn with its reason (assumed: a person's judgement) and the priority that follows."""
    if turn.outcome is not TurnOutcome.escalate:
        return turn
    said = turn.escalation or Escalation(reason=EscalationReason.needs_judgement, detail=turn.summary)
    return turn.model_copy(update={"escalation": priced(situation, said, request)})
