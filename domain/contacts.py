"""Customer contact details, parsed by the libraries that know the rules."""

import phonenumbers

# An email address as a customer writes one in a message ("… sondern an buchhaltung@example.de").
EMAIL_IN_TEXT = r"[\w.+-]+@[\w-]+\.\w+"


def international_phone(raw: str | None) -> str | None:
    """The number in E.164 (`+31612345678`), or None when it is missing or not a valid number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
