"""A customer asking to hear no more from the location, in the words people use for it.

The carriers' own SMS keywords count when they are the whole message ("STOP"); otherwise it takes a request to
stop being contacted, in any of the languages the locations write in. A model recognises the rest (any wording,
any language) and uses the same `opt_out` tool; what this finds is opted out whatever the model says, because
missing an opt-out is the one mistake that must not happen.
"""

import re

# The keywords SMS carriers and Twilio treat as an opt-out when they are the whole message.
SMS_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "stop all"})

_WRITE = r"(contact\w*|email\w*|e-mail\w*|mail\w*|messag\w*|text\w*|writ\w*|send\w*|spam\w*|chas\w*|pester\w*)"
# What we send, in the six languages, compounds included ("verlengingsmails", "Verlängerungsmails").
_SENT = (
    r"\w*(e-mails?|mails?|messages?|calls?|texts?|sms|reminders?|newsletters?|berichten|herinneringen|aanmaningen|"
    r"nachrichten|anrufe|mahnungen|erinnerungen|rappels|relances|appels|courriels|correos|mensajes|llamadas|"
    r"recordatorios|mensagens|chamadas|lembretes)\b"
)
# A preference for another channel ("don't email, call me instead") is not an opt-out.
_PREFERENCE = re.compile(
    r"\b(instead|rather|prefer\w*|liever|lieber|stattdessen|plut[ôo]t|pr[ée]f[èe]r\w*|en su lugar|em vez|prefiero|"
    r"prefiro|mejor|melhor)\b",
    re.I,
)
REQUEST = re.compile(
    "|".join([
        # English
        r"\bunsubscribe\b", r"\bopt(ed|ing)? ?out\b", r"\bremove me\W*$",
        r"\bremove (me|my \w+) from (your|the|this) (mailing |contact )?(lists?|emails?|database|contacts)",
        r"\btake me off\b", rf"\bstop ({_WRITE}|call\w*)\b", rf"\bstop (the|these|those|your|all) (\w+ )?{_SENT}",
        rf"\b(do not|don'?t|never) {_WRITE} (me|us)\b",
        rf"\bno (more|further) (\w+ )?{_SENT}", rf"\b(turn|switch) off (the|these|your|all) (\w+ )?{_SENT}",
        r"\bleave me alone\b", r"\bstop receiving\b", r"\b(take|remove|get)\b.{0,40}\b(off|from)\b.{0,30}\blists?\b",
        # Dutch
        r"\b(afmelden|uitschrijven)\b",
        r"\b(stuur|bel|mail|sms) (me|mij|ons) (alsjeblieft )?(niet meer|geen|niets meer|niks meer)\b",
        rf"\bgeen (verdere )?(\w+ )?{_SENT} meer\b", rf"\bgeen verdere {_SENT}",
        rf"\bstop (alsjeblieft |aub )?met (die|deze|de|jullie) {_SENT}",
        rf"\b{_SENT} niet meer (ontvangen|krijgen)\b", r"\bniet meer (gebeld|gemaild|benaderd)\b",
        r"\b(haal|verwijder)\b.{0,40}\b(mailing)?(lijst|lijsten|bestand)\b", r"\bhaal (me|mij|ons) (er )?(maar )?uit\b",
        r"\b(me|mij|ons) uit (de|die|deze|jullie|het) (\w+ ){0,2}(te )?halen\b",
        # German
        r"\b(abmelden|abbestellen)\b", rf"\bkeine (\w+ )?{_SENT} mehr\b", rf"\bkeine weiteren {_SENT}",
        r"\b(kontaktieren|schreiben|rufen) sie mich nicht\b", r"\b(streichen|entfernen|nehmen) sie mich (aus|von)\b",
        r"(?:^|[.!?,;]\s*|\b(?:bitte|und)\s+)(schreib|kontaktier|ruf)\w*( sie| du)? (mir|mich) "
        r"(ab jetzt |bitte |künftig )*(nicht mehr|nie wieder)\b",
        r"\baustragen\b", r"\bh[öo]rt auf mi(ch|r)\b",
        r"\b(streich|nehm|trag)\w*\b.{0,40}\b(mailing)?(liste|verteiler)\w*",
        # French
        r"\bd[ée]sabonn\w*", r"\bd[ée]sinscri\w*", r"\bne (plus|pas) (me |m')?(contacter|[ée]crire|appeler|envoyer)\b",
        r"\barr[êe]tez de (me |m')(\w+ )?(contact|[ée]cri|envo|appel|relanc|harcel|spam|sollicit)\w*",
        rf"\bplus (de |d')?{_SENT}", r"\bne (veux|souhaite) plus (rien )?recevoir\b",
        r"(?:^|[.!?,;]\s*|\bet\s+)ne (me |m')(contactez|[ée]crivez|appelez|envoyez) plus\b",
        r"\b(retirez|retirer|supprimez)\b.{0,40}\bliste\b",
        # Spanish
        r"\b(darme|dadme|denme) de baja\b", r"\b(dejen|dejad) de (enviar|escribir|llamar|mandar)\w*",
        r"\bno me (contacten|escriban|llamen|env[íi]en|manden|contact[ée]is|escrib[áa]is|llam[ée]is|env[íi][ée]is|"
        r"mand[ée]is|escribas|llames|env[íi]es|mandes)\b", rf"\bno (quiero|deseo) recibir (m[áa]s )?{_SENT}",
        rf"\bno m[áa]s (\w+ )?{_SENT}", r"\bdejar de recibir\b", r"\b(qu[ií]t|s[áa][cq]|d)\w*me de\b.{0,30}\blista\b",
        # Italian, Portuguese
        r"\bdisiscriv\w*", r"\bnon (contattatemi|scrivetemi)\b", r"\bdescadastr\w*",
        r"\bparem de (me )?(enviar|ligar|mandar|contactar|escrever)\w*",
        r"\bn[ãa]o me (contactem|enviem|mandem|escrevam)( mais)?\b",
        rf"\bn[ãa]o (quero )?(receber )?mais (receber )?{_SENT}", rf"\bchega de {_SENT}", r"\bdeixar de receber\b",
        r"\b(tirem|removam|retirem|tira|remova)\b.{0,40}\blista\b",
    ]),
    re.I,
)  # fmt: skip


def carrier_keyword(text: str) -> bool:
    """The whole message is an SMS opt-out keyword (which the carrier itself confirms to the sender)."""
    return re.sub(r"[^\w ]", "", text).strip().lower() in SMS_KEYWORDS


# A request said not to be one: "I don't want to unsubscribe, but …", "je ne veux pas me désabonner", "ik wil me
# niet afmelden" — a no at most three words before it.
_NEGATED = re.compile(
    r"(?:\bnot|n't|\bniet|\bnicht|\bpas|\bno|\bn[ãa]o|\bnever|\bnunca|\bjamais|\bnie)(?:\s+[\w'-]+){0,3}\s+$", re.I
)


def _negation(text: str, found: re.Match[str]) -> re.Match[str] | None:
    """The no said of this request, if it is said not to be one."""
    return _NEGATED.search(text, max(0, found.start() - 60), found.start())


def asks_to_opt_out(text: str) -> bool:
    """The customer asks to be contacted no more: an SMS keyword alone, or a request to stop, in words, that is not
    said not to be one."""
    if carrier_keyword(text):
        return True
    asked = any(_negation(text, found) is None for found in REQUEST.finditer(text))
    return asked and _PREFERENCE.search(text) is None


def without_negated_requests(text: str) -> str:
    """The message without what it says it does not ask ("I don't want to unsubscribe, but …" → ", but …"): what
    is left is read for its meaning."""
    kept, last = [], 0
    for found in REQUEST.finditer(text):
        if (no := _negation(text, found)) is not None and no.start() >= last:
            kept.append(text[last : no.start()])
            last = found.end()
    return "".join(kept) + text[last:]
