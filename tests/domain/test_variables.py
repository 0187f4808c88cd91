"""`{{variables}}`: an allow-list, escaped values, and no template evaluation of operator text."""

from hypothesis import given
from hypothesis import strategies as st

from domain.variables import problems, resolve, values

FACTS: dict[str, str | int] = {"invoice_number": "AMS-1", "invoice_amount": "€5.00", "payment_link": "https://p/1"}
AVAILABLE = values("Ada <b>Lovelace</b>", "Canal & Co", FACTS)


def test_known_variables_are_filled_and_escaped_in_html() -> None:
    text = "<p>Hi {{ first_name }}, {{invoice_number}} ({{invoice_amount}}) at {{location_name}}</p>"
    assert resolve(text, AVAILABLE, html=True) == "<p>Hi Ada, AMS-1 (€5.00) at Canal &amp; Co</p>"
    assert resolve("{{customer_name}}", AVAILABLE, html=True) == "Ada &lt;b&gt;Lovelace&lt;/b&gt;"
    assert resolve("{{customer_name}}", AVAILABLE, html=False) == "Ada <b>Lovelace</b>"


def test_unknown_and_unavailable_variables_are_named() -> None:
    assert problems("Hello {{first_name}}", AVAILABLE) is None
    message = problems("Hello {{nickname}}", AVAILABLE)
    assert message is not None and message.startswith("Unknown variable {{nickname}}; use one of:")
    unavailable = problems("Renew at {{renewal_link}}", AVAILABLE)
    assert unavailable is not None and unavailable.startswith("{{renewal_link}} has no value for this proposal")


def test_template_syntax_is_not_evaluated() -> None:
    for attack in ("{{ 7*7 }}", "{{ config.__class__ }}", "{% for x in y %}", "{{customer_name.__len__}}"):
        assert resolve(attack, AVAILABLE, html=True) == attack
        assert attack.startswith("{%") or problems(attack, AVAILABLE) is not None


@given(st.text())
def test_text_without_variables_passes_through_unchanged(text: str) -> None:
    if "{{" not in text:
        assert resolve(text, AVAILABLE, html=True) == text
