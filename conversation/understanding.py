"""What the customer's message says, whoever answers it: the signals the engine acts on whatever the AI decides
(an ask for a person, a dispute, a complaint, frustration, the same question again) and the intent the offline
engine answers."""

import re

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


# Words that say nothing about what is asked; the rest are searched for, any of them.
STOP_WORDS = {"the", "and", "for", "can", "you", "your", "are", "what", "how", "with", "does", "have", "there", "any",
         "our", "who", "why", "when", "where", "will", "would", "could", "about", "this", "that", "from"}  # fmt: skip


def search_words(text: str) -> list[str]:
    """The words of a question worth searching for."""
    return [word for word in re.findall(r"[^\W_]+", text.lower()) if len(word) > 2 and word not in STOP_WORDS]
