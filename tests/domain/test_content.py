"""Money formatting, HTML sanitising and the plain-text twin."""

from hypothesis import given
from hypothesis import strategies as st

from domain.content import as_html, format_money, html_to_text, sanitize_html, spoken_and_links, typed_as_html


def test_money_is_exact_with_symbol_or_code() -> None:
    assert format_money(125_000, "EUR") == "€1,250.00"
    assert format_money(29_905, "usd") == "$299.05"
    assert format_money(5, "GBP") == "£0.05"
    assert format_money(1_000_000, "CHF") == "CHF 10,000.00"


@given(st.integers(min_value=0, max_value=10**12))
def test_money_round_trips_to_the_cent(cents: int) -> None:
    text = format_money(cents, "EUR").removeprefix("€").replace(",", "")
    assert round(float(text) * 100) == cents


def test_sanitising_keeps_formatting_and_links_and_drops_active_content() -> None:
    dirty = (
        '<p onclick="steal()">Hi <strong>Ada</strong></p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">bad</a> <a href="https://pay.example/INV-1">pay</a><img src=x onerror=y>'
    )
    clean = sanitize_html(dirty)
    assert "<strong>Ada</strong>" in clean
    assert 'href="https://pay.example/INV-1"' in clean
    for forbidden in ("onclick", "<script", "alert(1)", "javascript:", "<img", "onerror"):
        assert forbidden not in clean


def test_plain_text_keeps_link_targets_and_paragraphs() -> None:
    text = html_to_text('<p>Hi Ada,</p><p>Pay <a href="https://pay.example/1">here</a> &amp; thanks.</p>')
    assert text == "Hi Ada,\n\nPay here (https://pay.example/1) & thanks."


def test_links_in_a_call_script_are_texted_not_read_aloud() -> None:
    spoken, links = spoken_and_links(
        "Your invoice is overdue. Pay at https://pay.example.com/inv/42. Or see www.example.com/help, thanks!"
    )
    assert links == ["https://pay.example.com/inv/42", "www.example.com/help"]
    assert "http" not in spoken and "www" not in spoken
    assert spoken == ("Your invoice is overdue. Pay at the link. Or see the link, thanks! "
                      "I have sent you the links by text message.")  # fmt: skip
    assert spoken_and_links("No links here.") == ("No links here.", [])


def test_plain_text_becomes_paragraphs_and_line_breaks_escaped() -> None:
    typed = "Hello Ava,\nIt covers <the desk> & the room.\n\n\n  The team  \n"
    assert as_html(typed) == "<p>Hello Ava,<br>It covers &lt;the desk&gt; &amp; the room.</p><p>The team</p>"
    assert as_html("<p>Already <em>HTML</em></p>") == "<p>Already <em>HTML</em></p>"  # a model's, sanitised when kept
    assert typed_as_html("Use <p> tags\nor <br>") == "<p>Use &lt;p&gt; tags<br>or &lt;br&gt;</p>"  # typed: all text
    assert as_html(" \n\n ") == typed_as_html(" \n\n ") == ""
