"""When a conversation goes to the team, whoever is answering (the model or the offline engine).

The AI decides most escalations itself (a structured field of its answer); these triggers are the ones the engine
applies whatever the AI says, because a customer must never be kept from a person by an AI that missed them: an
explicit ask for a person, a billing dispute or a complaint, frustration, the same question asked twice, and tools
that keep failing. The priority follows from why: High when the customer is frustrated (or disputes a bill),
Critical for a dispute over a large amount.
"""

import re

from models.messages import Escalation, EscalationReason, Priority

LABELS = {
    EscalationReason.asked_for_person: "The customer asked for a person.",
    EscalationReason.dispute: "The customer disputes a charge.",
    EscalationReason.complaint: "The customer has a complaint.",
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

PERSON = re.compile(
    r"\b(human|real person|a person|someone|manager|call me|speak (to|with)|talk (to|with)|representative)\b",
    re.I,
)
# A customer asking who answers ("are you a bot?") wants the truth, not a transfer.
IDENTITY = re.compile(
    r"\b(are you|is this|am i (talking|speaking|writing) (to|with)) (a |an )?(real |actual )?"
    r"(person|human|bot|robot|ai|machine|automated)",
    re.I,
)
DISPUTE = re.compile(
    r"\b(dispute\w*|overcharg\w*|charged (me )?twice|double[- ]charged|wrong (amount|invoice|charge)|"
    r"incorrect (amount|invoice|charge)|refund|not (going to )?pay(ing)? (this|that|it)|never (ordered|used|agreed))\b",
    re.I,
)
COMPLAINT = re.compile(
    r"\b(complain\w*|unhappy|not happy|dissatisfied|poor service|rude|unprofessional|disgrace\w*)\b", re.I
)
FRUSTRATED = re.compile(
    r"\b(ridiculous|unacceptable|frustrat\w*|angry|annoy\w*|fed up|terrible|awful|worst|outrageous|"
    r"disappoint\w*|waste of (my )?time|are you kidding|seriously\?)|!{2,}",
    re.I,
)
# Tool results that failed within one turn before the engine stops trying and hands over.
FAILED_TOOLS_LIMIT = 2
# How alike two messages must be (shared words over all words) to be the same question asked again.
SAME_QUESTION = 0.75


def frustrated(text: str) -> bool:
    """Frustration words, or a message written in capitals."""
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return shouting or FRUSTRATED.search(text) is not None


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"[^\W_]+", text.lower()) if len(word) > 2}


def asked_before(text: str, earlier: list[str]) -> bool:
    """The same question, in nearly the same words, as one the customer already asked in this conversation."""
    if "?" not in text:
        return False
    words = _words(text)
    return len(words) >= 3 and any(
        len(words & _words(before)) / len(words | _words(before)) >= SAME_QUESTION for before in earlier
    )


def escalation(reason: EscalationReason, text: str, disputed_cents: int, critical_cents: int) -> Escalation:
    """The escalation with its priority: Critical for a dispute over a large amount; High for any other dispute
    or a frustrated customer."""
    if reason is EscalationReason.dispute:
        level = Priority.critical if disputed_cents >= critical_cents else Priority.high
    else:
        level = Priority.high if reason is EscalationReason.frustrated or frustrated(text) else Priority.normal
    return Escalation(reason=reason, priority=level, detail=LABELS[reason])


def complaint_or_dispute(text: str) -> EscalationReason | None:
    if DISPUTE.search(text):
        return EscalationReason.dispute
    return EscalationReason.complaint if COMPLAINT.search(text) else None


def triggered(text: str, earlier: list[str], failed_tools: int) -> EscalationReason | None:
    """The reason the engine escalates this message whatever the AI decides, or None."""
    if sensitive := complaint_or_dispute(text):
        return sensitive
    if PERSON.search(text) and not IDENTITY.search(text):
        return EscalationReason.asked_for_person
    if frustrated(text):
        return EscalationReason.frustrated
    if asked_before(text, earlier):
        return EscalationReason.asked_twice
    if failed_tools >= FAILED_TOOLS_LIMIT:
        return EscalationReason.tools_failed
    return None
