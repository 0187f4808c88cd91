"""Reading a mail that came home: only the new text of a reply, whatever the client and language; the full text
kept beside it; HTML-only, non-UTF-8 and attachment-bearing mail; automatic mail and bounces told apart."""

import pytest

from inbound.mail import parse, without_quoted
from models.messages import InboundKind
from tests.fakes import mail_clients
from tests.fakes.mail_clients import QUOTED, Reply

CASES = [
    ("gmail, English", lambda r: mail_clients.gmail(r)),
    ("gmail, Spanish", lambda r: mail_clients.gmail(
        r, "El lun, 30 nov 2026 a las 9:12, Canal House (<ai@canalhouse.example>) escribió:")),
    ("gmail, Dutch", lambda r: mail_clients.gmail(
        r, "Op ma 30 nov. 2026 om 09:12 schreef Canal House <ai@canalhouse.example>:")),
    ("outlook, English", lambda r: mail_clients.outlook(
        r, "________________________________\nFrom: Canal House <ai@canalhouse.example>\n"
           "Sent: Monday, November 30, 2026 9:12 AM\nTo: Ada Lovelace <ada@mail.example>\n"
           "Subject: Your invoice INV-1042")),
    ("outlook, German, Windows charset", lambda r: mail_clients.outlook(
        r, "Von: Canal House <ai@canalhouse.example>\nGesendet: Montag, 30. November 2026 09:12\n"
           "An: Ada Lovelace <ada@mail.example>\nBetreff: Ihre Rechnung INV-1042", charset="windows-1252")),
    ("apple mail, French", lambda r: mail_clients.apple_mail(
        r, "Le 30 nov. 2026 à 09:12, Canal House <ai@canalhouse.example> a écrit :")),
    ("apple mail, English, signature", lambda r: mail_clients.apple_mail(
        r, "On 30 Nov 2026, at 09:12, Canal House <ai@canalhouse.example> wrote:", signature="Sent from my iPhone")),
    ("html only", lambda r: mail_clients.html_only(r)),
]  # fmt: skip


@pytest.mark.parametrize(("client", "write"), CASES, ids=[name for name, _ in CASES])
def test_only_the_new_text_of_a_reply_is_kept_as_the_reply(client: str, write: object) -> None:
    new = "Grüße! Could you send me the payment link again?\nI can pay on Thursday."
    reply = Reply(new=new, references=["<first@canalhouse.example>"])
    mail = parse(write(reply))  # type: ignore[operator]
    assert mail.reply == new, client
    assert "overdue" in mail.text  # the full text is kept beside it
    assert mail.kind is InboundKind.reply
    assert (mail.message_id, mail.sender, mail.sender_name) == (reply.message_id, "ada@mail.example", "Ada Lovelace")
    assert mail.recipients == ("reply+token@canalhouse.example",)
    assert mail.references == ("<first@canalhouse.example>", "<original@canalhouse.example>")


def test_our_own_message_pasted_back_without_any_marker_is_cut() -> None:
    pasted = f"Yes, paid it just now.\n\n{QUOTED}"
    assert without_quoted(pasted, QUOTED) == "Yes, paid it just now."
    assert without_quoted("Yes, paid it just now.", QUOTED) == "Yes, paid it just now."


def test_attachments_are_listed_with_their_bytes() -> None:
    mail = parse(mail_clients.with_attachment(Reply(new="Here is my receipt."), "receipt.pdf", b"%PDF-1.7 receipt"))
    assert mail.reply == "Here is my receipt."
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "receipt.pdf", "application/pdf", b"%PDF-1.7 receipt")  # fmt: skip


def test_an_out_of_office_is_automatic() -> None:
    mail = parse(mail_clients.out_of_office(Reply(new="I am out of the office until 7 December.")))
    assert mail.kind is InboundKind.auto_reply
    assert mail.reply == "I am out of the office until 7 December."


@pytest.mark.parametrize(
    "header",
    ["X-Autoreply: yes", "X-Autorespond: vacation", "Precedence: bulk", "Precedence: auto_reply",
     "List-Id: <members.canalhouse.example>", "Return-Path: <>"],
)  # fmt: skip
def test_every_mark_of_automatic_mail_is_recognised(header: str) -> None:
    raw = mail_clients.gmail(Reply(new="Thanks for your message."))
    assert parse(header.encode() + b"\r\n" + raw).kind is InboundKind.auto_reply
    assert parse(raw).kind is InboundKind.reply
    assert parse(b"Auto-Submitted: no\r\n" + raw).kind is InboundKind.reply


def test_a_bounce_names_the_message_that_bounced() -> None:
    raw = mail_clients.bounce("<ours@canalhouse.example>", "ada@mail.example", "ai@canalhouse.example",
                              "550 5.1.1 <ada@mail.example>: Recipient address rejected: User unknown")  # fmt: skip
    mail = parse(raw)
    assert mail.kind is InboundKind.bounce
    assert mail.bounce is not None
    assert mail.bounce.message_ids == ("<ours@canalhouse.example>",)
    assert mail.bounce.recipient == "ada@mail.example"
    assert mail.bounce.detail == "550 5.1.1 <ada@mail.example>: Recipient address rejected: User unknown"
    assert mail.attachments == ()


def test_broken_mail_is_read_as_far_as_it_goes() -> None:
    # No Message-ID, an unknown charset, a header that is not one: still a mail, with an id of its own.
    raw = (b"From: someone@mail.example\r\nTo: reply+x@canalhouse.example\r\nSubject: hi\r\n"
           b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nHello \xff there\r\n")  # fmt: skip
    mail = parse(raw)
    assert mail.reply.startswith("Hello") and mail.reply.endswith("there")
    assert mail.message_id.endswith("@inbound.invalid>")
    assert parse(raw).message_id == mail.message_id  # the same bytes, the same id


def test_a_signature_is_cut() -> None:
    signed = Reply(new="Sure, Thursday works.\n\n-- \nAda Lovelace\nAnalytical Engines Ltd")
    assert parse(mail_clients.gmail(signed)).reply == "Sure, Thursday works."


def test_a_forward_is_read_for_what_it_passes_on() -> None:
    """A customer who forwards a colleague's question, in a client whose marker line the parsers do not know,
    asks it: the question is the reply, not the marker."""
    forward = ("---------- Weitergeleitete Nachricht ----------\nVon: Jonas Becker <jonas@becker.example>\n"
               "An: buchhaltung@becker.example\nBetreff: WG: Rechnung\n\n"
               "Kann man die Rechnung auch per Überweisung bezahlen statt mit Karte?")  # fmt: skip
    assert parse(mail_clients.gmail(Reply(new=forward))).reply == (
        "Kann man die Rechnung auch per Überweisung bezahlen statt mit Karte?"
    )
    noted = "Siehe unten, danke!\n\n" + forward
    assert parse(mail_clients.gmail(Reply(new=noted))).reply == "Siehe unten, danke!"
