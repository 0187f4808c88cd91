"""A customer asking to hear no more from the location, in the words people use for it.

The carriers' own SMS keywords count when they are the whole message ("STOP"); otherwise it takes a request to
stop being contacted, in any of the languages the locations write in. A model recognises the rest (any wording,
any language) and uses the same `opt_out` tool; what this finds is opted out whatever the model says, because
missing an opt-out is the one mistake that must not happen.
"""

import re

from domain.contacts import EMAIL_IN_TEXT
from domain.content import READ_CHARS

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
        r"\btake me off\b", rf"\b(stop|quit|cease) ({_WRITE}|call\w*)\b",
        r"\b(not|no longer|never)( \w+)? to be (contacted|e-?mailed|messaged|texted|mailed|chased)\b",
        # not to be on a list of ours, in each language
        r"\b(do not|don'?t|no longer) want to (be|stay) on (your|the|this|that) "
        r"(mailing |contact |e-?mail |marketing )?lists?\b",
        r"\bwill? (niet|niet meer|nicht|nicht mehr) (op|auf|in) (de|jullie|uw|die|deze|der|ihrer|eurer|dieser) "
        r"(mailing|verzend)?(lijst|liste|verteiler)\b",
        r"\bne veux (pas|plus) (être|rester) (sur|dans) (la|votre|cette|vos) (listes?|liste de diffusion)\b",
        r"\bno (quiero|deseo) (estar|seguir|figurar) en (la|su|vuestra|esta|sus) (lista|lista de correo)\b",
        r"\bn[ãa]o (quero|desejo) (estar|ficar|continuar)( mais)? na(s)? (sua |vossa |tua |dessa |desta )?lista\b",
        rf"\bstop (the|these|those|your|all) (\w+ )?{_SENT}",
        rf"\b(do not|don'?t|never) {_WRITE} (me|us)\b",
        rf"\bno (more|further) (\w+ )?{_SENT}",
        rf"\b(turn|switch) off (the|these|your|all) (your )?(\w+ )?({_SENT}|notifications|marketing)",
        r"\bleave me alone\b", r"\bstop receiving\b", r"\b(take|remove|get)\b.{0,40}\b(off|from)\b.{0,30}\blists?\b",
        r"\b(no need|(do not|don'?t) need|needn'?t) to keep (me|us) (posted|updated|informed|in the loop)\b",
        r"\b(do not|don'?t) keep (me|us) (posted|updated|informed|in the loop)\b",
        # Dutch
        r"\b(afmelden|uitschrijven)\b",
        r"\b(stuur|bel|mail|sms) (me|mij|ons) (alsjeblieft )?(niet meer|geen|niets meer|niks meer)\b",
        rf"\bgeen (verdere )?(\w+ )?{_SENT} meer\b", rf"\bgeen verdere {_SENT}",
        rf"\bstop (alsjeblieft |aub )?met (die|deze|de|jullie) {_SENT}",
        r"\b(stop|hou\w* (\w+ )?op) (\w+ )?met (me |mij |ons )?(te )?(e-?mailen|mailen|appen|whatsappen|bellen|sms'?en|"
        r"spammen|berichten|benaderen)\b",
        rf"\b{_SENT} niet meer (ontvangen|krijgen)\b", r"\bniet meer (gebeld|gemaild|benaderd)\b",
        r"\b(haal|verwijder)\b.{0,40}\b(mailing|verzend)?(lijst|lijsten|bestand)\b",
        r"\b(me|mij|ons|(mijn|ons) (e-?mail\w*|adres|nummer))\b.{0,30}\b(mailing|verzend)?(lijst|lijsten|bestand)\b"
        r".{0,20}\b(verwijderen|halen|afhalen)\b",
        r"\bhaal (me|mij|ons) (er )?(maar )?uit\b",
        r"\b(me|mij|ons) niet (meer )?op de hoogte (te )?houden\b",
        r"\b(me|mij|ons) uit (de|die|deze|jullie|het) (\w+ ){0,2}(te )?halen\b",
        # German
        r"\b(abmelden|abbestellen)\b", rf"\bkeine (\w+ )?{_SENT} mehr\b", rf"\bkeine weiteren {_SENT}",
        r"\b(kontaktieren|schreiben|rufen) sie mich nicht\b", r"\b(streichen|entfernen|nehmen) sie mich (aus|von)\b",
        r"(?:^|[.!?,;]\s*|\b(?:bitte|und)\s+)(schreib|kontaktier|ruf)\w*( sie| du)? (mir|mich) "
        r"(ab jetzt |bitte |künftig )*(nicht mehr|nie wieder|nicht wieder)\b",
        r"\b(mich|uns) nicht (mehr |weiter )?auf dem laufenden (zu )?halten\b",
        r"\bnicht (mehr |weiter )?(kontaktiert|angeschrieben|angemailt|bel[äa]stigt) (zu )?werden\b",
        r"\baustragen\b", r"\bh[öo]rt auf mi(ch|r)\b",
        r"\b(streich|nehm|trag)\w*\b.{0,40}\b(mailing)?(liste|verteiler)\w*",
        # French
        r"\bd[ée]sabonn\w*", r"\bd[ée]sinscri\w*", r"\bne (plus|pas) (me |m')?(contacter|[ée]crire|appeler|envoyer)\b",
        r"\barr[êe]tez de (me |m')(\w+ )?(contact|[ée]cri|envo|appel|relanc|harcel|spam|sollicit)\w*",
        rf"\bplus (de |d')?{_SENT}", r"\bne (veux|souhaite) plus (rien )?recevoir\b",
        r"(?:^|[.!?,;]\s*|\bet\s+)ne (me |m')(contactez|[ée]crivez|appelez|envoyez) plus\b",
        r"\bplus [êe]tre (contact|sollicit|relanc|d[ée]rang)\w*", r"\b(retirez|retirer|supprimez)\b.{0,40}\bliste\b",
        r"\bpas besoin de (me|nous) tenir (au courant|inform)",
        # Spanish
        r"\b(darme|dadme|denme) de baja\b", r"\b(dejen|dejad) de (enviar|escribir|llamar|mandar)\w*",
        r"\bno me (contacten|escriban|llamen|env[íi]en|manden|contact[ée]is|escrib[áa]is|llam[ée]is|env[íi][ée]is|"
        r"mand[ée]is|escribas|llames|env[íi]es|mandes)\b", rf"\bno (quiero|deseo) recibir (m[áa]s )?{_SENT}",
        rf"\bno m[áa]s (\w+ )?{_SENT}", r"\bdejar de recibir\b", r"\b(qu[ií]t|s[áa][cq]|d)\w*me de\b.{0,30}\blista\b",
        r"\bno (hace falta|es necesario)\b.{0,25}\b(al tanto|informad\w*|al corriente)\b",
        r"\bno (quiero|quiere|deseo|desea|queremos) (ser|seguir siendo) (contactad|molestad)\w*",
        # Italian, Portuguese
        r"\bdisiscriv\w*", r"\bnon (contattatemi|scrivetemi)\b", r"\bdescadastr\w*",
        r"\bparem de (me )?(enviar|ligar|mandar|contactar|escrever)\w*",
        r"\bn[ãa]o me (contactem|enviem|mandem|escrevam)( mais)?\b",
        rf"\bn[ãa]o (quero )?(receber )?mais (receber )?{_SENT}", rf"\bchega de {_SENT}", r"\bdeixar de receber\b",
        r"\b(tirem|removam|retirem|tira|remova)\b.{0,40}\blista\b",
        r"\bn[ãa]o (é preciso|precisa\w*|há necessidade)\b.{0,25}\b(informad\w*|a par|ao corrente)\b",
        r"\bn[ãa]o (quero|quer|desejo|deseja|queremos) (mais )?ser (contactad|contatad|incomodad)\w*",
    ]),
    re.I,
)  # fmt: skip


# Signing off from something of the space that is not our messages: an event, a club, a class ("unsubscribe me from
# the coffee club", "me désinscrire du tournoi", "descadastrar do grupo de corrida") — its words in six languages.
_ACTIVITY = (
    r"(club\w*|clube|groups?|groep\w*|gruppe\w*|groupes?|grupos?|tournaments?|toernooi\w*|turnier\w*|tournoi\w*|"
    r"torneos?|torneios?|events?|evenement\w*|veranstaltung\w*|[ée]v[ée]nements?|eventos?|class(es)?|cours|cursos?|"
    r"kurs\w*|course|workshops?|ateliers?|talleres?|lunch\w*|borrel\w*|drinks|afterwork|ap[ée]ro|breakfast|"
    r"ontbijt|fr[üu]hst[üu]ck|petit-d[ée]jeuner|desayunos?|yoga|meetups?|webinars?|quiz|party|feest\w*|fiestas?|"
    r"festas?|league|liga|running|hardloop\w*|lauf\w*|corrida|carrera)\b"
)
# The request's object, in the words right after it ("… from the coffee club", "… du tournoi") or, where the verb
# comes last, right before it ("vom Yoga-Kurs abmelden", "voor de borrel afmelden"); never a list or a newsletter of
# it ("the events newsletter"), which is ours.
_LIST = (
    rf"(?:{_SENT}|mailing|lists?|lijst|liste|lista|verteiler|updates?|announcements?|invit\w*|uitnodiging\w*|"
    r"einladung\w*|convites?|annonces?|anuncios?|promo\w*|offers?|marketing|communications?|notifications?|"
    r"nieuwsbrie\w*|info\w*|avisos?|novidades|boletín)"
)
_WORDS = rf"(?:(?!{_LIST})[\w'-]+\s+){{0,3}}?"
_NOT_OURS = rf"(?:\w+-|\w')?{_ACTIVITY}(?!\W+(?:[\w-]+\s+)?{_LIST})"
_OF_ACTIVITY = re.compile(
    r"\W*(?:(?:me|mij|mich|moi|us|ons|uns|nous)\s+)?(?:from|of|for|du|de|des|do|da|dos|das|del|van|voor|von|vom|"
    rf"für|bei|aus)\s+{_WORDS}{_NOT_OURS}",
    re.I,
)
_ACTIVITY_BEFORE = re.compile(
    rf"\b(?:van|voor|bij|uit|von|vom|für|bei|aus)\s+{_WORDS}{_NOT_OURS}\s+(?:[\w'-]+\s+){{0,2}}$", re.I
)
# Another address to write to instead ("nicht mehr an mich, sondern an buchhaltung@…", "to finance@… instead")
# moves our messages, it does not stop them; an address alone ("stop emailing jane@…") is the one to stop.
_INSTEAD = (
    r"\b(?:sondern|instead|rather|stattdessen|plut[ôo]t|au lieu|liever|in plaats|en (?:su )?lugar|en vez|em vez|"
    r"ao inv[ée]s)\b"
)
_ANOTHER_ADDRESS = re.compile(
    rf"{_INSTEAD}[^.!?\n]{{0,60}}?{EMAIL_IN_TEXT}|{EMAIL_IN_TEXT}[^.!?\n]{{0,60}}?{_INSTEAD}", re.I
)


def carrier_keyword(text: str) -> bool:
    """The whole message is an SMS opt-out keyword (which the carrier itself confirms to the sender)."""
    return re.sub(r"[^\w ]", "", text).strip().lower() in SMS_KEYWORDS


# A request said not to be one: "I don't want to unsubscribe, but …", "je ne veux pas me désabonner", "ik wil me
# niet afmelden" — a no at most three words before it, in the same clause: "not interested and stop emailing me"
# says no of the interest ("pas intéressé et arrêtez de m'écrire", "nicht interessiert und bitte keine Mails mehr").
_AND = r"(?:and|but|so|or|en|maar|und|aber|oder|et|mais|ou|y|pero|e|mas)"
_NEGATED = re.compile(
    r"(?:\bnot|n't|\bniet|\bnicht|\bpas|\bno|\bn[ãa]o|\bnever|\bnunca|\bjamais|\bnie)"
    rf"(?:\s+(?!{_AND}\b)[\w'-]+){{0,3}}\s+$",
    re.I,
)


_OPENS_CLAUSE = re.compile(rf"{_AND}\s", re.I)


def _negation(text: str, found: re.Match[str]) -> re.Match[str] | None:
    """The no said of this request, if it is said not to be one (a request read with its "and" opens a clause)."""
    if _OPENS_CLAUSE.match(found.group()):
        return None
    return _NEGATED.search(text, max(0, found.start() - 60), found.start())


def asks_to_opt_out(text: str) -> bool:
    """The customer asks to be contacted no more: an SMS keyword alone, or a request to stop, in words, that is not
    said not to be one."""
    if carrier_keyword(text):
        return True
    asked = any(_negation(text, found) is None and _activity(text, found) is None for found in REQUEST.finditer(text))
    return asked and _PREFERENCE.search(text) is None and not moves_to_another_address(text)


def _activity(text: str, found: re.Match[str]) -> re.Match[str] | None:
    """The event, club or class of the space the request signs off from, when it is not our messages: said after
    the request (the match runs to its end) or before it (the request's own match)."""
    if _ACTIVITY_BEFORE.search(text, max(0, found.start() - 60), found.start()) is not None:
        return found
    return _OF_ACTIVITY.match(text, found.end(), found.end() + 60)


# Whether the customer may write to us, asked ("¿te puedo escribir aquí si me decido?", "can I email you
# later?"): they will contact us, they do not ask us to stop; the sentence that asks it is read for no ask to stop.
_WRITES_TO_US = re.compile(
    r"\b(?:can|could|may|shall) (?:i|we) (?:still |just |also )?(?:write|e-?mail|message|text|contact|reach|call)\b|"
    r"\b(?:kan|mag) (?:ik|we) (?:jullie |u |je )?(?:hier |nog |ook )?(?:mailen|schrijven|appen|bellen|bereiken|"
    r"contacteren)\b|\b(?:kann|darf) (?:ich|man) (?:ihnen |euch |dir |hier |auch |noch )*(?:schreiben|mailen|"
    r"anrufen|erreichen|kontaktieren)\b|\b(?:puis-je|je peux|est-ce que je peux|peut-on|on peut) (?:vous |te )?"
    r"(?:[ée]crire|contacter|joindre|appeler)\b|\b(?:puedo|podemos|se puede) (?:escribir|contactar|llamar|mandar)\w*|"
    r"\b(?:posso|podemos|d[áa] pra) (?:te |vos |lhes )?(?:escrever|contactar|contatar|ligar|mandar)\w*",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?\n])")


def moves_to_another_address(text: str) -> bool:
    """Whether the customer asks us to write to another address: a change of where, not an ask to stop."""
    return _ANOTHER_ADDRESS.search(text[:READ_CHARS]) is not None


def without_negated_requests(text: str) -> str:
    """The message without what it says it does not ask ("I don't want to unsubscribe, but …" → ", but …"), nor
    what it signs off from that is not our messages ("unsubscribe me from the coffee club"), nor a question whether
    they may write to us: what is left is read for its meaning."""
    text = "".join(sentence for sentence in _SENTENCES.split(text) if not _WRITES_TO_US.search(sentence))
    kept, last = [], 0
    for found in REQUEST.finditer(text):
        if (no := _negation(text, found)) is not None and no.start() >= last:
            kept.append(text[last : no.start()])
            last = found.end()
        elif (other := _activity(text, found)) is not None and found.start() >= last:
            kept.append(text[last : found.start()])
            last = other.end()
    return "".join(kept) + text[last:]


def beside_requests(text: str) -> str:
    """The message without its asks to stop: what it says beside them ("Remove me from your list. You charged me
    twice!" → " You charged me twice!")."""
    return REQUEST.sub(" ", text)
