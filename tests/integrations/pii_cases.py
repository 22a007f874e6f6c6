"""Personal data as people write it, and ordinary text with numbers that must survive redaction.

Shared by the redaction tests and ``python -m benchmarks.redaction`` (which measures recall and false
positives on them, for the regular expressions and for the ``phonenumbers`` matcher).
"""

import re

PHONES_DE = [
    "+49 176 1234567", "+49 (0)30 1234567", "+49 30 12345678", "+4917612345678", "0049 30 1234567",
    "0176 1234567", "0176/1234567", "0176-1234567", "01761234567", "030/12345678", "030 12345678",
    "089 123 456 78", "(030) 1234567", "+49-30-1234567", "0171 2345678", "+49 171 2345678",
    "0221 9876543", "040 41234567", "06221 123456", "+49 6221 123456", "0800 1234567",
]  # fmt: skip
PHONES_INTERNATIONAL = [
    "+44 20 7946 0958", "+44 7700 900123", "+1 212 555 0123", "+1-202-555-0143", "(212) 555-0123",
    "212-555-0123", "1-800-555-0199", "+33 1 23 45 67 89", "+43 1 2345678", "+41 44 668 18 00",
    "+31 20 123 4567", "+39 06 1234 5678", "+34 912 345 678", "+48 12 345 67 89", "+45 32 12 34 56",
    "+46 8 123 456 78", "+43 664 1234567", "+41 79 123 45 67",
]  # fmt: skip
IBANS_DE = [
    "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE02 1203 0000 0000 2020 51",
    "DE02120300000000202051", "DE44 5001 0517 5407 3249 31",
]  # fmt: skip
IBANS_OTHER = [
    "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "AT61 1904 3002 3457 3201",
    "AT611904300234573201", "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00",
    "CH93 0076 2011 6238 5295 7", "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456",
    "BE68 5390 0754 7034", "PL61 1090 1014 0000 0712 1981 2874", "DK50 0040 0440 1162 43",
    "SE45 5000 0000 0583 9825 7466", "NO93 8601 1117 947", "LU28 0019 4006 4475 0000",
    "IE29 AIBK 9311 5212 3456 78", "PT50 0002 0123 1234 5678 9015 4", "FI21 1234 5600 0007 85",
    "CZ65 0800 0000 1920 0014 5399",
]  # fmt: skip
EMAILS = ["anna.mueller@example.org", "john.doe+test@example.co.uk", "jörg1984@beispiel.de"]

PII = {
    "phone": PHONES_DE + PHONES_INTERNATIONAL,
    "iban": IBANS_DE + IBANS_OTHER,
    "email": EMAILS,
}
# Where people put them: each case is tried in every context.
CONTEXTS = [
    "Bitte um Erstattung auf {} danke", "Erreichbar unter {}.", "Call me at {} tomorrow", "Nummer: {}",
    "({})", "{}", "Meine Daten: {}, bitte zurückrufen", "Tel.: {} (abends)",
]  # fmt: skip

# Numbers a team needs to fix the problem: versions, dates, prices, order and article numbers.
ORDINARY = [
    "Version 2.3.1 crashes, 2.4.0-rc1 too; v10.4.12 is fine",
    "Since the update on 2024-03-15 (15.03.2024, 03/15/2024) at 10:30",
    "Seit dem 12.03.2024 um 14:00 Uhr geht der Export nicht mehr",
    "Order 12345678 and order #100234567 are missing",
    "Bestellnummer 100234567, Rechnung INV-2024-00042, Artikel 4711-0815",
    "It costs $1,299.99 or €1.299,00 or 19,99 € inkl. 19 % MwSt",
    "In 2024 I called 112 twice; ticket #4711 mentions 3 crashes",
    "Nr. 0815 4711 ist keine Telefonnummer",
    "ISBN 978-3-16-148410-0 and build 20240315123045",
    "Reference 1234567812345678 and 4111111111111112 fail Luhn or issuer checks",
    "Bad IBAN DE89370400440532013001 fails its checksum",
    "See https://example.com/orders/01761234567 and https://example.com/v/2.3.1",
    "Screen 1920x1080 at 60 Hz, 16 GB RAM, 512 GB SSD",
    "Version 3.0.2 (Build 23456) auf Android 14",
    "user@ alone and @handle are not addresses",
    "Kundennummer 1234567890 – bitte prüfen",
    "Lieferung an 10115 Berlin, Paket 00340434161234567890",
    "Fehlercode 0x80070005 seit Build 20231",
    "Between 2019-2024 we had 1.234 users and 56.789 sessions",
    "Die App braucht 250 MB und 3,5 Sekunden zum Start",
    "Timestamp 1700000000 in the log, pid 12345",
    "Ticket 2024-000123 und Vorgang 4711/2023",
    "Zeitraum 01.01.2024 - 31.12.2024, Betrag 1.500,00 EUR",
    "Order no. 304-1234567-1234567 (Amazon) was not synced",
    "Ich habe 3 Geräte: iPhone 15, iPad 10 und Pixel 8",
    "Preis 12,99 €/Monat statt 9,99 €",
    "Error 404 on /api/v2/items/123456",
    "Coordinates 52.5200, 13.4050",
    "Sprint 24.11, release 24.11.2 on 2024-11-20 at 08:15:30",
    "Die Rechnung RE 2024 0815 stimmt nicht",
    "My score went from 1200 to 1450 after 30 games",
    "Port 8080 and 127.0.0.1:5432 are used",
    "Artikelnummer 4 006381 333931 (EAN)",
    "USt-IdNr. DE123456789 laut Impressum",
    "Postleitzahl 80331 München, Hausnummer 12",
    "Runtime 00:12:34, 1.000.000 rows processed",
    "Bitte 2x 500 g und 3x 1 kg",
    "Call 911 or 112 in an emergency",
    "Seriennummer SN-2023-445566-AB",
    "Charge of 4,99 on 15/03/2024 ref 99887766",
    "Build 1.2.3.4567 crashes since 2024",
    # keys and serials that pass the mod-97 check by chance (one in 97 does), but are no IBAN
    "Lizenzschlüssel ZZ29 ABCD EFGH 1234 5678 geht nicht",
    "Seriennummer DE29 ABCD 1234 5678 9012 34 am Gerät",
    "Key XA55 1234 5678 9012 3456 is rejected",
]


def leaked(case: str, text: str) -> list[str]:
    """What of ``case`` is left in ``text``: the case itself, or runs of four or more of its digits."""
    digits = re.sub(r"\D", "", case)
    runs = [run for run in re.findall(r"\d{4,}", text) if run in digits]
    return [case] if case in text else runs
