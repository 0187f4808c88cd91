"""A customer asking to hear no more from the location, in the words people use for it.

The carriers' own SMS keywords count when they are the whole message ("STOP"); otherwise it takes a request to
stop being contacted, in any of the languages the locations write in. A model recognises the rest (any wording,
any language) and uses the same `opt_out` tool; what this finds is opted out whatever the model says, because
missing an opt-out is the one mistake that must not happen.
"""

import re

# The keywords SMS carriers and Twilio treat as an opt-out when they are the whole message.
SMS_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "stop all"})

_WRITE = r"(contact\w*|email\w*|e-mail\w*|mail\w*|messag\w*|text\w*|writ\w*|send\w*|spam\w*)"
# A preference for another channel ("don't email, call me instead") is not an opt-out.
_PREFERENCE = re.compile(r"\b(instead|rather|prefer\w*)\b", re.I)
REQUEST = re.compile(
    "|".join([
        # English
        r"\bunsubscribe\b", r"\bopt(ed|ing)? ?out\b", r"\bremove me\W*$",
        r"\bremove me from (your|the|this) (mailing )?(list|emails?|database)", r"\btake me off\b",
        rf"\bstop ({_WRITE}|call\w*)\b", rf"\b(do not|don'?t|never) {_WRITE} (me|us)\b",
        r"\bno more (emails|messages|calls)\b", r"\bleave me alone\b",
        # Dutch
        r"\b(afmelden|uitschrijven)\b", r"\b(stuur|bel|mail) (me|mij) (niet meer|geen)\b",
        r"\bgeen (e-?mails|berichten) meer\b",
        # German
        r"\b(abmelden|abbestellen)\b", r"\bkeine (e-?mails|nachrichten|anrufe) mehr\b",
        r"\b(kontaktieren|schreiben) sie mich nicht\b",
        # French
        r"\bd[ée]sabonn\w*", r"\bd[ée]sinscri\w*", r"\bne (plus|pas) (me )?(contacter|écrire|appeler)\b",
        r"\barr[êe]tez de m\w*",
        # Spanish
        r"\bdarme de baja\b", r"\bdejen de (enviar|escribir|llamar)\w*", r"\bno me (contacten|escriban|llamen)\b",
        # Italian, Portuguese
        r"\bdisiscriv\w*", r"\bnon (contattatemi|scrivetemi)\b", r"\bdescadastr\w*", r"\bparem de (enviar|ligar)\w*",
    ]),
    re.I,
)  # fmt: skip


def carrier_keyword(text: str) -> bool:
    """The whole message is an SMS opt-out keyword (which the carrier itself confirms to the sender)."""
    return re.sub(r"[^\w ]", "", text).strip().lower() in SMS_KEYWORDS


def asks_to_opt_out(text: str) -> bool:
    """The customer asks to be contacted no more: an SMS keyword alone, or a request to stop, in words."""
    return carrier_keyword(text) or (REQUEST.search(text) is not None and _PREFERENCE.search(text) is None)
