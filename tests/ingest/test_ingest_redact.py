"""Personal data is replaced by placeholders; ordinary support text is left alone."""

from __future__ import annotations


import pytest

from ingest.redact import PII_PLACEHOLDERS, Redactor, detect_names, redact, redact_many


def test_placeholders_are_exposed() -> None:
    assert set(PII_PLACEHOLDERS) == {"[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[ADDRESS]", "[NAME]", "[IP]"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # emails, phones, cards, IBANs, IPs
        ("Write to maria.lopez+billing@example.co.uk please", "Write to [EMAIL] please"),
        ("Call me at +1 (555) 123-4567.", "Call me at [PHONE]."),
        ("Phone: 555-123-4567", "Phone: [PHONE]"),
        ("Tel. 030 12345678", "Tel. [PHONE]"),
        ("Erreichbar unter +49 30 1234567.", "Erreichbar unter [PHONE]."),
        ("Mi teléfono es 612 345 678.", "Mi teléfono es [PHONE]."),
        ("Rappelez-moi au 06 12 34 56 78", "Rappelez-moi au [PHONE]"),
        ("電話：03-1234-5678", "電話：[PHONE]"),
        ("Card 4111 1111 1111 1111 exp 09/28", "Card [CARD] exp 09/28"),
        ("La tarjeta es 5500-0000-0000-0004", "La tarjeta es [CARD]"),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN [IBAN] bitte"),
        ("pay to GB82WEST12345698765432", "pay to [IBAN]"),
        ("Server 192.168.1.20 refused", "Server [IP] refused"),
        ("from 2001:db8::8a2e:370:7334 today", "from [IP] today"),
        # addresses
        ("Ship to 221B Baker Street, London NW1 6XE.", "Ship to [ADDRESS]."),
        ("I live at 742 Evergreen Terrace, Springfield, IL 62704", "I live at [ADDRESS]"),
        ("Adresse: Hauptstraße 12, 10115 Berlin", "Adresse: [ADDRESS]"),
        ("Lindenallee 5a in 50667 Köln", "[ADDRESS] in [ADDRESS]"),
        ("au 12 rue de la Paix, 75002 Paris", "au [ADDRESS]"),
        ("en Calle Mayor 10, 28013 Madrid", "en [ADDRESS]"),
        ("na Rua Augusta, 100, São Paulo", "na [ADDRESS], São Paulo"),
        # names in greetings, introductions and sign-offs
        ("Hi John, the export fails.", "Hi [NAME], the export fails."),
        ("Hello Maria Lopez\nI cannot log in.", "Hello [NAME]\nI cannot log in."),
        ("Dear Mr. Smith, thanks.", "Dear Mr. [NAME], thanks."),
        ("Hi, this is Maria Lopez from Acme.", "Hi, this is [NAME] from Acme."),
        ("my name is Peter Parker and", "my name is [NAME] and"),
        ("It broke.\nRegards,\nJohn Carter", "It broke.\nRegards,\n[NAME]"),
        ("Works now. Thanks, Anna", "Works now. Thanks, [NAME]"),
        ("Danke!\nMit freundlichen Grüßen\nKlaus Becker", "Danke!\nMit freundlichen Grüßen\n[NAME]"),
        ("Hallo Herr Becker, bitte prüfen.", "Hallo Herr [NAME], bitte prüfen."),
        ("Hola, soy Ana García y tengo un problema.", "Hola, soy [NAME] y tengo un problema."),
        ("No funciona.\nSaludos, Pedro", "No funciona.\n[NAME]".replace("[NAME]", "Saludos, [NAME]")),
        ("Bonjour, je m'appelle Claire Martin.", "Bonjour, je m'appelle [NAME]."),
        ("Merci.\nCordialement,\nLuc Dubois", "Merci.\nCordialement,\n[NAME]"),
        ("Obrigado.\nAtenciosamente, João Silva", "Obrigado.\nAtenciosamente, [NAME]"),
        ("お世話になっております。山田太郎です。", "お世話になっております。[NAME]です。"),
        ("田中様、ご連絡ありがとうございます。", "[NAME]様、ご連絡ありがとうございます。"),
        ("The export hangs.\nSophie Lefèvre, 3 place Bellecour, 69002 Lyon", "The export hangs.\n[NAME], [ADDRESS]"),
        ("Account holder: Grace Taylor, phone 0161 496 0000.", "Account holder: [NAME], phone [PHONE]."),
    ],
)
def test_pii_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order #48213 was charged €49.00 on 2026-03-01 at 10:30.",
        "The date 2026-03-14 and 14.03.2026 and 03/14/2026 and 14/03/2026 stay.",
        "Upgrade to version 4.2.1 (build 10.0.19045) released in 2025.",
        "We charged $1,140.00 and £96.00; refund of 1.299,00 € is pending.",
        "Hi team, the schedule does not publish.",
        "Hello there, quick question about SSO.",
        "Sehr geehrte Damen und Herren, bitte um Rückruf.",
        "Thanks, I tried that already.",
        "Best,\nThe Fernbook Team",
        "Invoice FB-2026-00412 for 34 employees, ticket 5001, 30 days, 120 px logo.",
        "Card number 4111 1111 1111 1112 is not a valid card.",
        "Settings > Billing > Invoices > Download PDF",
        "以上です。よろしくお願いします。",
        "お客様各位",
        "Reset links are valid for 60 minutes and 3 attempts per 24 hours.",
        "We have 10000 Users and 15 Seats.",
    ],
)
def test_ordinary_text_is_not_redacted(text: str) -> None:
    assert redact(text) == text


def test_known_names_are_redacted_everywhere() -> None:
    text = "Maria Lopez asked; later maria lopez called again. Lopez confirmed. Maria too."
    assert redact(text, names=["Maria Lopez"]) == (
        "[NAME] asked; later [NAME] called again. [NAME] confirmed. [NAME] too."
    )
    assert redact("山田太郎です。", names=["山田 太郎"]) == "[NAME]です。"
    assert Redactor(names=["Klaus Becker"]).redact("Becker meldet sich.") == "[NAME] meldet sich."


def test_detected_name_is_removed_from_related_texts() -> None:
    body, answer = redact_many(["Thanks!\nRegards,\nKaren Miller", "Hi Karen, fixed. Karen's team is set."])
    assert body == "Thanks!\nRegards,\n[NAME]"
    assert answer == "Hi [NAME], fixed. [NAME]'s team is set."
    assert detect_names("Hola, soy Ana García.") == ["Ana García"]


def test_dates_are_not_phone_numbers() -> None:
    assert redact("Call 030 12345678 before 2026-03-14.") == "Call [PHONE] before 2026-03-14."


def test_a_large_export_is_redacted_consistently() -> None:
    """Speed is measured by `python -m eval.pii` (a timed unit test would flake on a shared machine)."""
    tickets = [
        f"Hi team, order #{48000 + i} failed on 2026-03-{1 + i % 28:02d}. Card 4111 1111 1111 1111, "
        f"mail me at user{i}@example.com or +49 30 1234{i:04d}.\nRegards,\nJohn Carter"
        for i in range(1000)
    ]
    out = [redact(t, names=["John Carter"]) for t in tickets]
    assert all("[CARD]" in o and "[EMAIL]" in o and "[PHONE]" in o and o.endswith("[NAME]") for o in out)


def test_product_terms_are_not_names() -> None:
    from ingest.redact import Redactor

    keep = Redactor(keep_terms=["Fernbook"])
    for text in ("Hi Fernbook! Shifts from 22:00–06:00 fail with error 422.", "Regards,\nFernbook Support"):
        assert Redactor().redact(text) != text  # an unknown product name looks like a person's
        assert keep.redact(text) == text
    mixed = keep.redact("Hi Fernbook! The export fails.\nRegards,\nMaria Lopez")
    assert mixed.startswith("Hi Fernbook!") and "Maria" not in mixed and "[NAME]" in mixed
