"""The product's pure rules and vocabulary: ids, search attributes, business hours and the local day,
channel rules, message content and `{{variables}}`, contact details. No I/O, no database, no clock of
their own, so workflows import them pass-through and every other layer shares one definition."""
