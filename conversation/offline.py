"""The offline engine's answers: deterministic, no model, no network — the default when no LLM is configured, so
they must read as what the team would write. It answers what `understanding` makes of the message, from what the
tools found; what it does not understand it looks up in the FAQ, and what the FAQ does not answer goes to the team.
Every value that comes from data is HTML-escaped."""

from html import escape

from agents.base import ComposeContext, Intent, paragraphs, signature_html
from agents.registry import AGENTS
from conversation import questions
from conversation.understanding import (
    SAYS_NOTHING,
    Understood,
    answering,
    asks_after_payments,
    asks_for_a_cheaper_plan,
    asks_for_the_wifi,
    asks_if_charged,
    asks_if_free,
    asks_if_the_price_stays,
    asks_the_price,
    asks_where_to_change_details,
    meanings,
    names,
    plain_yes,
    search_words,
    sentences,
    slots,
    understand,
)
from domain.content import html_to_text
from domain.dates import names_a_time
from models.messages import (
    AgentType,
    Escalation,
    EscalationReason,
    Offer,
    Priority,
    ToolRequest,
    ToolStep,
    Turn,
    TurnOutcome,
)

# Escalations whose handover begins with an apology.
SORRY = frozenset({EscalationReason.dispute, EscalationReason.complaint, EscalationReason.frustrated,
                   EscalationReason.asked_twice, EscalationReason.tools_failed,
                   EscalationReason.ai_unavailable, EscalationReason.ai_budget_spent})  # fmt: skip


# What any customer may say, whatever the outreach was about, after an agent's own intents. A request for a
# person, a dispute or frustration never reaches these: the engine hands those to the team first.
_LINK = Intent(TurnOutcome.reply, "link", "Sent the link again.")
_THANKS = Intent(TurnOutcome.resolve, "thanks", "Customer acknowledged the outreach.")
_ABOUT = Intent(TurnOutcome.reply, "about", "Answered with what the outreach is about and its link.")
_WHO = Intent(
    TurnOutcome.reply,
    "identity",
    "Said it is the location's AI assistant, and offered a person.",
    lambda context: [
        f"I'm the AI assistant of {escape(context.location_name)}, {escape(context.first_name)}, not a person. "
        "If you'd rather talk to someone on our team, just say so and I'll pass it on."
    ],
)
_LOST = Intent(
    TurnOutcome.resolve,
    "lost",
    "The customer has decided against it (another space, not renewing); closed politely, nothing more is sent.",
    lambda context: [
        f"Thanks for letting us know, {escape(context.first_name)}, and no problem at all. We won't follow up on "
        "this again; if anything changes, just reply and we'll be glad to help."
    ],
)
_PAY_LATER = Intent(
    TurnOutcome.resolve,
    "pay_later",
    "The customer says when they will pay; noted for the team.",
    lambda context: [
        f"Thanks for letting us know, {escape(context.first_name)}. I've noted when you plan to pay for our team; "
        "the link stays valid until then."
    ],
)
# An explanation or an apology that asks nothing ("something came up", "been travelling, back in January"):
# acknowledged, with the outreach's link for when it suits them.
_EXCUSE = Intent(
    TurnOutcome.reply,
    "excuse",
    "The customer explained; acknowledged.",
    lambda context: [
        f"Thanks for letting us know, {escape(context.first_name)}, and no worries at all! Whenever it suits you, "
        "it's all here:"
    ],
)
# A yes and little else to what the outreach offers ("yes! switch me please"): its link, to do it.
_YES = Intent(
    TurnOutcome.reply,
    "yes",
    "The customer said yes; sent the link to do it.",
    lambda context: [f"Wonderful, {escape(context.first_name)}! It only takes a minute here:"],
)
_QUESTION = Intent(TurnOutcome.reply, "faq", "Looked the question up in the FAQ.")
BOOKED = "The customer said yes to the place proposed; booked it."
_FAQ = "search_faq"
# What a turn says of itself when the engine did not understand: it said what it can help with (the outreach and
# its link; in the members' chat, what the tools do) and offered the team.
NOT_UNDERSTOOD = "Not understood: said what it can help with, and offered the team."
_VAGUE = Intent(TurnOutcome.reply, "vague", NOT_UNDERSTOOD)
# An FAQ article answers a question when more than this share of its own question's words were asked.
FAQ_COVERAGE = 0.5


# What a message may say beside what it asks.
_WEAK = (None, *SAYS_NOTHING)
# A sentence beside a thank-you or an apology is read for what it asks from this share: more likely than all else
# together ("Sorry, stuck in traffic. Can I buy a day pass for Thursday instead?").
LIKELY = 0.5
_BESIDE = ("thanks", "excuse")
# What only sends the outreach's link again: it answers no question a sentence asks of the tools beside it ("Can
# we see the Loft on the tour? What does it cost an hour?").
_LINK_ONLY = ("tour", "about", "link")
# A second question in a message is answered too from this share of its meaning: a weaker reading of a sentence
# ("are there more open ones?" as opening hours) adds a wrong answer to a right one.
SECOND_ASK = 0.7
# A request for a link reads as a question of how to do something (one the FAQ may answer) from this share of its
# meaning: "Can I pay by bank transfer instead of the link?" does, "Could you send me the link again?" does not.
ASKS_HOW = 0.05


def detect_intent(agent_type: AgentType | None, message: str) -> Intent | None:
    """What the message asks of this agent's conversation (in the members' chat, `agent_type` None, of the
    chat's), by its meaning (`understanding.understand`), or None for anything else. A question is not taken for a
    mere thank-you or apology."""
    known = _known(agent_type, message)
    answerable = {intent.name for intent in known} - set(_WEAK)
    read = meanings(message)
    meant = read[0].intent
    if _read_between(read) and read[1].intent in answerable:
        # the whole read between what two sentences clearly say: the first said goes first, when the other is then
        # answered after it
        said_first = _named(agent_type, known, read[1].intent, message)
        if (then := also_asked(agent_type, message, said_first)) is not None and then.name == meant:
            meant = read[1].intent
    if meant in _WEAK:
        # A thank-you, an apology, or nothing clear, around something else ("Got it, paid. Thanks!"): what one
        # sentence clearly asks — or, beside thanks or an apology, what one asks more likely than not ("Danke! Was
        # kostet ein Raum?"). A sentence read as a matter for the team too weakly to hand it over asks nothing here.
        likely = meanings(message, sure=LIKELY)[1:] if meant in _BESIDE else []
        meant = next((understood.intent for understood in read[1:] + likely if understood.intent in answerable), meant)
    elif meant in _LINK_ONLY:
        looked_up = {intent.name for intent in known if intent.uses is not None}
        clauses = meanings(message, by_clause=True, sure=SECOND_ASK)[1:]  # "Para aprovechar la visita, ¿el precio?"
        meant = next((understood.intent for understood in clauses if understood.intent in looked_up), meant)
    found = _named(agent_type, known, meant, message)
    if _asks_for_the_portal(found, agent_type, message):
        found = questions.PORTAL  # the member portal's link, not the outreach's (whichever its own link is)
    elif found is _LINK and agent_type and (fresh := AGENTS[agent_type].fresh_link) and names("dead_link", message):
        found = _named(agent_type, known, fresh, message)  # the link sent no longer works: one made afresh
    elif found is not None and found.times_mean_this and names("day_pass", message):  # instead of a tour
        found = _named(agent_type, known, "day_pass", message)
    elif found is not None and found.name == "availability" and asks_the_price(message) and not asks_if_free(message):
        found = _named(agent_type, known, "prices", message)  # what a space costs, not whether it is free
    elif found in (None, _QUESTION, _VAGUE, _EXCUSE) or found.name in _LINK_ONLY:
        # Nothing of ours clearly asked, or only the outreach's own topic: what it names, if anything.
        if _asks_if_a_space_is_free(message):
            found = _named(agent_type, known, "availability", message)
        elif _asks_to_get_in(message) or asks_for_the_wifi(message):
            found = _named(agent_type, known, "location", message)  # when one can get in, the Wi-Fi: the location's
        elif asks_if_the_price_stays(message):
            found = _named(agent_type, known, "contract_detail", message)  # what they pay, and since when
        elif asks_the_price(message) or asks_for_a_cheaper_plan(message):  # "sry missed it 🤧 hows much is 2.1"
            found = _named(agent_type, known, "prices", message)
        elif asks_where_to_change_details(message):  # "dados de faturação, qual é o link?": the portal's profile
            found = questions.PORTAL
        elif asks_if_charged(message):  # "oops. was I billed for that room anyway?"
            found = _named(agent_type, known, "invoice_detail", message)
        elif asks_after_payments(message):  # "Mon paiement est bien passé ?", "anything else open on my account?"
            found = _named(agent_type, known, questions.PAYMENT_STATUS, message)
        elif agent_type and found is not _VAGUE and "?" in message and names_a_time(message):  # "om half elf?"
            # a time asked of what the outreach was about: in reply to a tour's, the tour, moved (not one cut short)
            found = next((intent for intent in AGENTS[agent_type].intents if intent.times_mean_this), found)
    # A lone "ok" or "sure" says too little to act on; "yes, switch me" or "Ja, graag!" does.
    if agent_type and found in (None, _VAGUE) and plain_yes(message) and len(message.split()) > 1:
        return _YES
    return found


def _read_between(read: list[Understood]) -> bool:
    """Whether the whole message is read as the two things its first two sentences clearly say, and nothing else
    first: neither is what it asks more than the other, and they are answered in the order said ("Ich überweise es
    am Freitag. Habe ich noch andere offene Rechnungen?")."""
    if len(read) < 3 or read[1].intent == read[2].intent:
        return False
    shares = read[0].shares
    return {read[1].intent, read[2].intent} == set(sorted(shares, key=shares.__getitem__, reverse=True)[:2])


def _asks_for_the_portal(found: Intent | None, agent_type: AgentType | None, message: str) -> bool:
    """A link asked for naming the portal, or a question naming it (its app, its login, one's own bookings to see)
    that asks nothing else of ours: "where do I see my bookings?", "Gibt es eine App?", "où je me connecte ?"."""
    if not names("portal", message):
        return False
    if found is not None and found.name == _LINK.name:
        return agent_type is not None  # in the members' chat, the link is the portal's already
    return "?" in message and (found in (None, _QUESTION, _VAGUE, _EXCUSE) or found.name in _LINK_ONLY)


def _asks_to_get_in(message: str) -> bool:
    """A question of getting into the building, or of someone of the space being there, at a time ("Can I still get
    in after 6?", "Le bâtiment est accessible le samedi ?", "Will someone be at reception at 11?"), or of the way in
    ("which bell do I ring?"): the location's hours and access, not a question for the FAQ ("Is the building
    wheelchair accessible?") nor the tour's link."""
    at_a_time = (names("access", message) or names("staff", message)) and names_a_time(message)
    return "?" in message and (at_a_time or names("way_in", message))


def _asks_if_a_space_is_free(message: str) -> bool:
    """A question whether a desk, a room or an office is free or taken ("Is anyone sitting at desk 8 tomorrow?"):
    what is free is looked up, whatever else the message seems to be about."""
    return "?" in message and asks_if_free(message) and slots(message, None).kind is not None


def _known(agent_type: AgentType | None, message: str) -> tuple[Intent, ...]:
    """What the message may mean, by name: what the outreach was about first (its own words for prices, say), then
    what any customer may ask anywhere."""
    about = (*AGENTS[agent_type].intents, _ABOUT, _LINK, _PAY_LATER) if agent_type else ()
    thanks = () if "?" in message else (_THANKS,)
    return (_WHO, *about, *questions.INTENTS, _LOST, _EXCUSE, _QUESTION, _VAGUE, *thanks)


def _named(agent_type: AgentType | None, known: tuple[Intent, ...], meant: str | None, message: str) -> Intent | None:
    """The intent of that name; a day or a time asked naming no desk, room or office, the one it means after this
    outreach (in reply to a tour's, the tour); a payment asked about, its status."""
    if meant == "availability" and agent_type and slots(message, None).kind is None:
        meant = next((intent.name for intent in AGENTS[agent_type].intents if intent.times_mean_this), meant)
    elif meant == "paid" and _asked(message, meant):  # whether it has arrived, asked: looked up, not taken as told
        meant = questions.PAYMENT_STATUS
    return next((intent for intent in known if intent.name == meant), None)


def _asked(message: str, meant: str) -> bool:
    """Whether what the message means is asked, not told: a question in it that is not clearly of something else
    ("Paid it this morning. Are you open on Boxing Day?" tells the payment; "I paid Monday. Has it landed?" asks)."""
    asked = [understood.intent for sentence, understood in sentences(message) if "?" in sentence]
    return "?" in message and (meant in asked or not asked)


def _looks_up(intent: Intent | None) -> bool:
    return intent is not None and intent.uses is not None and intent.answered is not None


def also_asked(agent_type: AgentType | None, message: str, first: Intent | None) -> Intent | None:
    """What another sentence of the message asks of the tools beside what it means first: "I'll pay on Friday. Do
    I have other open invoices?" asks for the invoice too; "Are you open on Saturdays? And how much is a day pass?"
    for the prices. Each of the two is a sentence's own meaning, the second a question. None when it asks nothing
    more, or `first` is for the team or the FAQ."""
    if first is None or first.outcome is TurnOutcome.escalate or first in (_QUESTION, _VAGUE):
        return None
    read = sentences(message)
    if all(understood.intent != first.name for _, understood in read):
        return None  # what the whole means is no sentence's: the message asks one thing, or it is unclear
    known = _known(agent_type, message)
    for sentence, understood in read:
        second = _named(agent_type, known, understood.intent, message)
        asks = "?" in sentence and understood.confidence >= SECOND_ASK
        if asks and _looks_up(second) and second is not None and second.name != first.name:
            return second
    return None


def _tools_for(
    asked: list[Intent], context: ComposeContext, message: str, steps: list[ToolStep]
) -> tuple[list[ToolRequest], list[list[ToolStep]]]:
    """The tools the intents asked want next, one intent after the other, and the steps each has had. An intent
    after the first that wants a tool used already (the prices an office's availability looked up) is answered:
    it is left out."""
    had: list[list[ToolStep]] = []
    taken = 0
    for intent in asked:
        mine: list[ToolStep] = []
        while intent.uses is not None and (wanted := intent.uses(context, message, mine)):
            if not mine and had and {tool.name for tool in wanted} & {step.request.name for step in steps[:taken]}:
                break
            if taken + len(wanted) > len(steps):
                return wanted, [*had, mine]
            mine, taken = mine + steps[taken : taken + len(wanted)], taken + len(wanted)
        had.append(mine)
    return [], had


def answer(
    agent_type: AgentType | None,
    context: ComposeContext,
    message: str,
    steps: list[ToolStep],
    answer_now: bool = False,
    answered_before: bool = False,
    offers: list[Offer] | None = None,
) -> Turn:
    """Answer one customer message about the outreach (or in the members' chat, `agent_type` None) and decide
    what happens next. A yes to what the last answer proposed (`offers`) books it. An intent that uses tools
    asks for them (`tool_calls`), round after round, then answers from what they found (`steps`). A question no
    intent knows is looked up in the FAQ, and goes to the team when the FAQ has no answer either."""
    taken = questions.accepted(offers or [], message)
    if taken is not None:  # a yes to what the last answer proposed: book it, then say so
        if not steps and not answer_now:
            return Turn(reply_html="", outcome=TurnOutcome.reply, summary=BOOKED, tool_calls=taken.bookings)
        return Turn(reply_html=paragraphs(*questions.booked(context, steps), signature_html(context)),
                    outcome=TurnOutcome.reply, summary=BOOKED)  # fmt: skip
    intent = detect_intent(agent_type, message)
    # A question of how to do what a link is for ("can I pay by transfer instead?", "how do I cancel a booking?")
    # may be one the FAQ answers: it is looked up first, and its answer goes before the link. Not a plain ask for
    # the link again, which reads as nothing of a general question.
    faq: list[str] = []
    if intent is not None and intent.name == _LINK.name:
        if steps and steps[0].request.name == _FAQ:  # looked up first: what it found, then the link's own steps
            faq, steps = _faq_lines(context, message, steps[0]), steps[1:]
        elif (not steps and not answer_now and _asks(message)
              and understand(message).shares.get(_QUESTION.name, 0.0) >= ASKS_HOW):  # fmt: skip
            return _looked_up(message)
    # What it asks of the tools, and what a second sentence asks of them beside it: each intent's tools in turn.
    second = also_asked(agent_type, message, intent)
    asked = [one for one in (intent, second) if _looks_up(one) and one is not None]
    wanted, had = _tools_for(asked, context, message, steps)
    if wanted and not answer_now:
        return Turn(reply_html="", outcome=asked[0].outcome, summary=asked[0].summary, tool_calls=wanted)
    found = [line for one, mine in zip(asked, had, strict=False) if mine and one.answered
             for line in one.answered(context, mine)]  # fmt: skip
    beside = " ".join(one.summary for one in asked if one is not intent)
    if intent is not None and asked and asked[0] is intent:
        return Turn(reply_html=paragraphs(*faq, *found, signature_html(context)), outcome=intent.outcome,
                    summary=f"{intent.summary} {beside}".strip())  # fmt: skip
    # A practical question, or one nothing else understood, is looked up; a lone "?" or "hello?" asks nothing.
    if intent is _QUESTION or (intent is None and _asks(message)):
        return _from_faq(context, message, steps)
    agent = AGENTS[agent_type] if agent_type else None
    first = escape(context.first_name)
    # The outreach's link goes with every answer about it; the members' chat has no outreach.
    link = agent.link_html(context) if agent else ""
    lines: list[str]
    if intent is None or intent in (_ABOUT, _VAGUE):
        lines = (
            [
                f"Thanks for your reply, {first}.",
                agent.recap(context),
                link,
                "If you'd rather talk it through with our team, just say so and I'll pass it on.",
            ]
            if agent
            else questions.help_lines(context)
        )
        outcome, summary = TurnOutcome.reply, _ABOUT.summary if intent is _ABOUT else NOT_UNDERSTOOD
    elif intent is _THANKS and answered_before:
        # A thank-you for an answer needs none back: answering it would invite another, and so on.
        return Turn(reply_html="", outcome=TurnOutcome.resolve, summary="Customer acknowledged the answer.")
    else:
        outcome, summary = intent.outcome, intent.summary
        if intent.lines is not None:
            lines = [*intent.lines(context), link] if outcome is TurnOutcome.reply else intent.lines(context)
        elif outcome is TurnOutcome.escalate:
            return handed_over(context, Escalation(reason=EscalationReason.needs_judgement, detail=summary))
        elif intent is _LINK:
            lines = [f"Of course, {first}, here it is again:", link]
        else:
            lines = [f"You're welcome, {first}! Let us know if there's anything else we can help with."]
    return Turn(
        reply_html=paragraphs(*faq, *lines, *found, signature_html(context)),
        outcome=outcome,
        summary=f"{summary} {beside}".strip(),
    )


def _asks(message: str) -> bool:
    """A question with something to look up: not a lone "?" or "hello?"."""
    return "?" in message and len(search_words(message)) >= 2


def _looked_up(message: str) -> Turn:
    return Turn(reply_html="", outcome=TurnOutcome.reply, summary="Looked the question up in the FAQ.",
                tool_calls=[ToolRequest(call_id="faq", name=_FAQ, arguments={"query": message[:200]})])  # fmt: skip


def _faq_lines(context: ComposeContext, message: str, step: ToolStep) -> list[str]:
    """What the FAQ's best article says to the question, if it answers it; none when it does not."""
    results = step.result.content.get("results", []) if step.result.ok else []
    if not results or not _covers(results[0], message):
        return []
    best = results[0]
    return [f"Good question, {escape(context.first_name)}. From our FAQ, <em>{escape(best['question'])}</em>",
            escape(best["answer"])]  # fmt: skip


def _from_faq(context: ComposeContext, message: str, steps: list[ToolStep]) -> Turn:
    """The FAQ's best answer to a question no intent knows; none: the team takes the question."""
    if not steps:
        return _looked_up(message)
    lines = _faq_lines(context, message, steps[-1])
    if not lines:
        unanswered = Escalation(
            reason=EscalationReason.outside_scope, detail="Neither the tools nor the FAQ answer it."
        )
        return handed_over(context, unanswered)
    lines.append("If that doesn't answer it, just say so and I'll pass your question to our team.")
    return Turn(reply_html=paragraphs(*lines, signature_html(context)), outcome=TurnOutcome.reply,
                summary="Answered from the FAQ.")  # fmt: skip


def _covers(article: dict[str, str], question: str) -> bool:
    """Whether the article answers the question, not merely shares a word with it ("bring my dog" is not "bring
    guests"): its own question means the same, or most of it is in the customer's words (by their first five
    letters)."""
    asked = {word[:5] for word in search_words(question)}
    answers = {word[:5] for word in search_words(article["question"])}
    covered = bool(answers) and len(asked & answers) / len(answers) > FAQ_COVERAGE
    return covered or answering(question, [(article["question"], article["answer"])])[0] > 0


def handed_over(context: ComposeContext, escalation: Escalation, done: list[str] | None = None) -> Turn:
    """Tell the customer the team takes it from here, by email; sorry first when something went wrong for them;
    what was `done` before (the bookings made before a limit) first."""
    first, location = escape(context.first_name), escape(context.location_name)
    if escalation.reason is EscalationReason.outside_scope:
        opening = f"That's one I can't answer myself, {first}, so I've passed your question"
    elif escalation.reason is EscalationReason.booking_limit:
        opening = f"I can't make more bookings for you myself, {first}, so I've passed your request"
    elif escalation.reason in SORRY or escalation.priority in (Priority.high, Priority.critical):
        opening = f"I'm sorry about this, {first}. I've passed it"
    else:
        opening = f"Thanks, {first}. I've passed this"
    line = f"{opening} to our team at {location} together with our conversation, and someone will follow up by email."
    return Turn(reply_html=paragraphs(*(done or []), line, signature_html(context)), outcome=TurnOutcome.escalate,
                summary=escalation.detail, escalation=escalation)  # fmt: skip


# The one sentence an opt-out gets, in each language the engine has the words for.
_OPTED_OUT = {
    "en": "Of course, {first}: you won't hear from {location} again, and sorry for the bother.",
    "nl": "Natuurlijk, {first}: je hoort niets meer van {location}, en sorry voor het ongemak.",
    "de": "Selbstverständlich, {first}: Sie hören nichts mehr von {location}, und entschuldigen Sie die Störung.",
    "fr": "Bien sûr, {first} : vous n'aurez plus de nouvelles de {location}, et désolés pour le dérangement.",
    "es": "Por supuesto, {first}: no volverá a recibir mensajes de {location}, y disculpe las molestias.",
    "pt": "Claro, {first}: não voltará a receber mensagens de {location}, e desculpe o incómodo.",
}


def opted_out(context: ComposeContext, message: str = "") -> Turn:
    """The one polite sentence an opt-out gets, in the customer's language, and nothing after it."""
    words = _OPTED_OUT.get(understand(message).language or "", _OPTED_OUT["en"]) if message else _OPTED_OUT["en"]
    line = words.format(first=escape(context.first_name), location=escape(context.location_name))
    return Turn(reply_html=paragraphs(line), outcome=TurnOutcome.resolve,
                summary="The customer asked to hear no more and is opted out.")  # fmt: skip


# The sentence an answer in the location's language starts with for a customer who wrote in another: the offline
# engine's words are the location's, and it says so in theirs.
_NOT_YOUR_LANGUAGE = {
    "nl": "Ik antwoord voorlopig in het Engels; ons team helpt je graag in het Nederlands als je dat vraagt.",
    "de": "Ich antworte vorerst auf Englisch; unser Team hilft Ihnen gern auf Deutsch, wenn Sie darum bitten.",
    "fr": "Je réponds pour l'instant en anglais ; notre équipe vous aidera volontiers en français si vous le demandez.",
    "es": "Por ahora respondo en inglés; nuestro equipo le ayudará con gusto en español si lo pide.",
    "pt": "Por enquanto respondo em inglês; a nossa equipa ajuda com todo o gosto em português, se pedir.",
}


def in_their_language(turn: Turn, message: str, context: ComposeContext) -> Turn:
    """The offline answer, with one sentence in the customer's language when they wrote in another than the
    location's and the answer is not in theirs already (the engine has the location's words, and a few of theirs)."""
    theirs = understand(message).language
    ours = context.language.lower().split("-")[0]
    if not turn.reply_html or theirs is None or theirs == ours or theirs not in _NOT_YOUR_LANGUAGE:
        return turn
    if understand(html_to_text(turn.reply_html)).language == theirs:
        return turn
    return turn.model_copy(update={"reply_html": f"<p>{escape(_NOT_YOUR_LANGUAGE[theirs])}</p>{turn.reply_html}"})
