"""What the web app's pages make of the API's text, apart from a browser: web addresses become links, nothing else
becomes markup."""

from api.web.pages import templates


def test_addresses_in_text_become_links_and_nothing_else_becomes_markup() -> None:
    linked = templates.env.filters["linked"]
    text = 'Pay at https://pay.example/i?a=1&b=2, or see www.example.com. <script>alert("x")</script>'
    assert str(linked(text)) == (
        'Pay at <a href="https://pay.example/i?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">'
        "https://pay.example/i?a=1&amp;b=2</a>, or see "
        '<a href="https://www.example.com" rel="noopener noreferrer" target="_blank">www.example.com</a>. '
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )
    assert str(linked("javascript:alert(1) and ftp://files.example")) == "javascript:alert(1) and ftp://files.example"
    assert str(linked(None)) == ""
