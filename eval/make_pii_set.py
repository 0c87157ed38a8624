"""Generate the personal-data test set: support tickets with planted personal data and decoys.

    python -m eval.make_pii_set                      # writes tests/data/pii/pii_tickets.jsonl
    python -m eval.make_pii_set --check              # exit 1 if the committed file is not what this writes

Every record is one ticket text in one of the service's languages, written from hand-made
templates (one set per language, in that language's support prose) whose slots are filled with
fictional people, streets, e-mail addresses, phone numbers in that country's formats,
Luhn-valid card numbers and IBANs with valid check digits. Each record lists what was planted
(`spans`: type, exact text, offsets, format) and what must survive redaction (`decoys`: order and
ticket numbers, versions, dates, times, prices, error codes, quantities, transaction ids, the
product name). `eval/pii.py` measures the redactor on it.

Two template banks: "dev" (the redactor was improved while reading its misses on these) and
"holdout" (written afterwards with other phrasings, formats and decoys, and first measured as they
were; `split` in each record says which). The held-out numbers are the honest estimate for text
the redactor has not seen.

The output is deterministic for a seed: the same command always writes the same bytes, so the
committed file can be checked against its generator.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any, Callable

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii" / "pii_tickets.jsonl"
DEFAULT_SEED = 20260707

PII_TYPES: tuple[str, ...] = ("email", "phone", "card", "iban", "address", "name")
DECOY_TYPES: tuple[str, ...] = (
    "order", "ticket", "version", "date", "time", "price", "error", "quantity", "transaction", "product", "tracking",
    "timestamp", "bic", "reference", "percent",
)

# ------------------------------------------------------------------------------------------ people
# Fictional people: common first names and surnames, combined at random.
FIRST: dict[str, list[str]] = {
    "en": ["Olivia", "Liam", "Grace", "Noah", "Chloe", "Ethan", "Harriet", "Marcus", "Priya", "Daniel", "Aisha", "Owen"],
    "de": ["Jonas", "Lena", "Matthias", "Sabine", "Felix", "Anke", "Tobias", "Henrike", "Lukas", "Miriam", "Jürgen", "Özlem"],
    "fr": ["Camille", "Théo", "Élodie", "Mathieu", "Inès", "Baptiste", "Margaux", "Julien", "Solène", "Rémi", "Chloé", "Yannick"],
    "es": ["Lucía", "Javier", "Carmen", "Alejandro", "Marta", "Sergio", "Paula", "Diego", "Nuria", "Álvaro", "Elena", "Rocío"],
    "pt": ["Beatriz", "João", "Mariana", "Rafael", "Inês", "Tiago", "Larissa", "Gustavo", "Camila", "Rodrigo", "Leonor", "Thiago"],
    "it": ["Giulia", "Marco", "Chiara", "Alessandro", "Francesca", "Lorenzo", "Valentina", "Matteo", "Federica", "Davide", "Elisa", "Stefano"],
    "nl": ["Sanne", "Daan", "Femke", "Jeroen", "Lotte", "Bram", "Eva", "Thijs", "Noor", "Ruben", "Marieke", "Sander"],
    "ja": ["健太", "美咲", "大輔", "由美", "翔太", "彩", "拓也", "恵", "直樹", "真理子"],
    "pl": ["Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Magdalena", "Paweł", "Joanna", "Michał"],
    "sv": ["Astrid", "Erik", "Maja", "Johan", "Elin", "Oskar", "Ingrid", "Henrik"],
    "tr": ["Elif", "Emre", "Zeynep", "Burak", "Ayşe", "Mehmet", "Selin", "Can"],
    "ru": ["Ирина", "Дмитрий", "Анна", "Сергей", "Ольга", "Алексей", "Наталья", "Михаил"],
}
LAST: dict[str, list[str]] = {
    "en": ["Whitfield", "Ashby", "Pemberton", "Okafor", "Harlow", "Brennan", "Mercer", "Thornbury", "Calloway", "Fairbanks", "Prescott", "Huxley"],
    "de": ["Brandauer", "Kessler", "Lindemann", "Wiegand", "Hoffmeister", "Schöttler", "Rautenberg", "Vogelsang", "Kühnel", "Ebersbach", "Dreyer", "Sauerland"],
    "fr": ["Lefebvre", "Moreau", "Delaunay", "Garnier", "Rousseau", "Chevalier", "Fontaine", "Bérard", "Marchand", "Lemoine", "Duval", "Carpentier"],
    "es": ["Martínez Ortega", "Navarro", "Castillo", "Iglesias", "Romero", "Serrano Gil", "Delgado", "Herrera", "Vidal", "Medina", "Cabrera", "Prieto"],
    "pt": ["Albuquerque", "Ferreira", "Carvalho", "Nogueira", "Rocha", "Monteiro", "Barbosa", "Teixeira", "Cardoso", "Pacheco", "Moura", "Azevedo"],
    "it": ["Bianchi", "Marchetti", "Colombo", "Ferraro", "Galli", "Rinaldi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "De Luca"],
    "nl": ["de Vries", "van Dijk", "Bakker", "Jansen", "Visser", "van den Berg", "Mulder", "de Graaf", "Smit", "Hendriks", "Kuipers", "van Leeuwen"],
    "ja": ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "山本", "松本"],
    "pl": ["Nowakowska", "Wiśniewski", "Kowalczyk", "Zieliński", "Szymańska", "Woźniak", "Dąbrowski", "Lewandowska"],
    "sv": ["Lindqvist", "Bergström", "Sjöberg", "Nyström", "Holmgren", "Åkesson", "Lundberg", "Ekdahl"],
    "tr": ["Yılmaz", "Demir", "Şahin", "Çelik", "Aydın", "Öztürk", "Kaya", "Arslan"],
    "ru": ["Соколова", "Волков", "Морозова", "Лебедев", "Кузнецова", "Павлов", "Фёдорова", "Орлов"],
}

# Countries whose formats a language's tickets use (phones, addresses, IBANs), most common first.
COUNTRIES: dict[str, list[str]] = {
    "en": ["US", "GB", "US", "GB", "IE"], "de": ["DE", "DE", "AT", "CH"], "fr": ["FR", "FR", "BE"],
    "es": ["ES", "ES", "MX"], "pt-PT": ["PT"], "pt-BR": ["BR"], "it": ["IT"], "nl": ["NL", "NL", "BE"],
    "ja": ["JP"], "pl": ["PL"], "sv": ["SE"], "tr": ["TR"], "ru": ["RU"],
}

# ------------------------------------------------------------------------------------------ e-mail
DOMAINS: dict[str, list[str]] = {
    "US": ["example.com", "mail.harlowdental.com", "billing.northgate-logistics.com", "cedarbrook.org"],
    "GB": ["example.co.uk", "ashbyandsons.co.uk", "mail.kingsleybakery.co.uk"],
    "IE": ["example.ie", "liffeyprint.ie"],
    "DE": ["example.de", "kessler-bau.de", "mail.praxis-lindemann.de", "buchhaltung.vogelsang-gmbh.de"],
    "AT": ["example.at", "cafe-rautenberg.at"], "CH": ["example.ch", "treuhand-dreyer.ch"],
    "FR": ["example.fr", "boulangerie-moreau.fr", "compta.garnier-transports.fr"],
    "BE": ["example.be", "atelier-fontaine.be"],
    "ES": ["example.es", "clinicavidal.es", "correo.talleres-navarro.es"], "MX": ["example.com.mx", "ferreteria-herrera.mx"],
    "PT": ["example.pt", "padaria-rocha.pt"], "BR": ["example.com.br", "mail.barbosa-contabil.com.br"],
    "IT": ["example.it", "studio-bianchi.it", "amministrazione.trattoria-galli.it"],
    "NL": ["example.nl", "bakkerij-visser.nl", "mail.mulder-installatie.nl"],
    "JP": ["example.co.jp", "mail.takahashi-shoji.co.jp"], "PL": ["example.pl", "biuro.kowalczyk-serwis.pl"],
    "SE": ["example.se", "bergstrom-bygg.se"], "TR": ["example.com.tr", "muhasebe.yilmaz-lojistik.com.tr"],
    "RU": ["example.ru", "mail.volkov-torg.ru"],
}
_TRANSLIT = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "á": "a",
    "ã": "a", "í": "i", "ï": "i", "î": "i", "ó": "o", "ô": "o", "õ": "o", "ú": "u", "û": "u", "ç": "c", "ñ": "n",
    "å": "a", "ł": "l", "ś": "s", "ń": "n", "ź": "z", "ż": "z", "ą": "a", "ę": "e", "ć": "c", "ş": "s", "ı": "i",
    "ğ": "g", "ò": "o", "ì": "i", "ù": "u", "ý": "y", "ø": "o", "æ": "ae", " ": "", "'": "",
})
_RU_LATIN = {"Ирина": "irina", "Дмитрий": "dmitry", "Анна": "anna", "Сергей": "sergey", "Ольга": "olga",
             "Алексей": "alexey", "Наталья": "natalia", "Михаил": "mikhail", "Соколова": "sokolova", "Волков": "volkov",
             "Морозова": "morozova", "Лебедев": "lebedev", "Кузнецова": "kuznetsova", "Павлов": "pavlov",
             "Фёдорова": "fedorova", "Орлов": "orlov", "Елена": "elena", "Пётр": "pyotr", "Ёлкина": "yolkina",
             "Жуков": "zhukov"}
_JA_LATIN = ["tanaka", "sato", "suzuki", "m.takahashi", "kenta.ito", "yumi.watanabe", "d.nakamura", "aya.kobayashi"]


def _ascii(word: str) -> str:
    if word in _RU_LATIN:
        return _RU_LATIN[word]
    return word.lower().translate(_TRANSLIT)


def make_email(rng: random.Random, person: tuple[str, str] | None, country: str,
               holdout: bool = False) -> tuple[str, str]:
    domain = rng.choice(DOMAINS[country])
    if holdout and person is not None and not any("\u3040" <= ch <= "\u9fff" for ch in person[0] + person[1]):
        first, last = _ascii(person[0]), _ascii(person[1])
        style = rng.choice(["digit subdomain", "long tld", "all caps", "initials", "hyphen plus"])
        local, dom = {
            "digit subdomain": (f"{first}.{last}", f"mail2.{domain}"),
            "long tld": (f"{first}", f"{last}-consulting.solutions"),
            "all caps": (f"{first}.{last}".upper(), domain.upper()),
            "initials": (f"{first[0]}.{last[0]}.{last}", domain),
            "hyphen plus": (f"{first}-{last}+tickets", f"eu-west.{domain}"),
        }[style]
        return f"{local}@{dom}", f"{style} (holdout)"
    if person is None or any("\u3040" <= ch <= "\u9fff" for ch in person[0] + person[1]):
        local = rng.choice(_JA_LATIN) if country == "JP" else rng.choice(["info", "office", "kontakt", "admin"])
        first, last = local, "team"
    else:
        first, last = _ascii(person[0]), _ascii(person[1])
    style = rng.choice(["dot", "plus", "initial", "underscore", "digits", "upper", "subaddress-dash", "dot"])
    if style == "dot":
        local = f"{first}.{last}"
    elif style == "plus":
        local = f"{first}+{rng.choice(['fernbook', 'billing', 'support', 'rechnungen', 'facturas', 'test'])}"
    elif style == "initial":
        local = f"{first[0]}.{last}"
    elif style == "underscore":
        local = f"{first}_{last}"
    elif style == "digits":
        local = f"{first}{last[:3]}{rng.randint(7, 99)}"
    elif style == "upper":
        local, domain = f"{first.title()}.{last.title()}", domain.upper() if rng.random() < 0.5 else domain.title()
    else:
        local = f"{first}-{last}"
    return f"{local}@{domain}", style


# ------------------------------------------------------------------------------------------ phones
# N: any digit, A: 2-9, Z: 1-9. "*" marks a format that is only a phone number because of the words
# around it (a bare run of digits); those fill the {phone} slot, never {phone_bare}.
PHONES: dict[str, list[tuple[str, str]]] = {
    "US": [("(ANN) ANN-NNNN", "national parentheses"), ("ANN-ANN-NNNN", "dashed"), ("ANN.ANN.NNNN", "dotted"),
           ("+1 ANN ANN NNNN", "E.164 spaced"), ("+1-ANN-ANN-NNNN", "E.164 dashed"), ("1-800-ANN-NNNN", "toll-free"),
           ("+1ANNANNNNNN", "E.164"), ("ANN ANN NNNN", "spaced")],
    "GB": [("020 7NNN NNNN", "London"), ("07700 900NNN", "mobile"), ("+44 20 7NNN NNNN", "E.164"),
           ("+44 (0)161 496 0NNN", "E.164 (0)"), ("(020) 7NNN NNNN", "parentheses"), ("0161 496 0NNN", "Manchester"),
           ("+44 7700 900NNN", "E.164 mobile"), ("07700900NNN", "contiguous mobile")],
    "IE": [("+353 1 NNN NNNN", "E.164 Dublin"), ("087 NNN NNNN", "mobile")],
    "DE": [("030 NNNNNNNN", "Berlin"), ("030/NNNNNNN", "slash"), ("017Z NNNNNNN", "mobile"), ("015Z-NNNNNNNN", "mobile dashed"),
           ("+49 30 NNNNNNNN", "E.164"), ("+49 (0)89 NNNN NNNN", "E.164 (0)"), ("+49 17Z NNNNNNN", "E.164 mobile"),
           ("+4915ZNNNNNNNN", "E.164 contiguous"), ("089 NN NN NN NN", "pairs"), ("0049 40 NNNNNNN", "0049")],
    "AT": [("+43 1 NNN NNNN", "E.164 Vienna"), ("0664 NNN NNNN", "mobile"), ("0043 664 NNNNNNN", "0043")],
    "CH": [("+41 44 NNN NN NN", "E.164 Zurich"), ("079 NNN NN NN", "mobile"), ("044 NNN NN NN", "Zurich")],
    "FR": [("06 NN NN NN NN", "mobile pairs"), ("07.NN.NN.NN.NN", "dotted"), ("01-NN-NN-NN-NN", "dashed"),
           ("+33 6 NN NN NN NN", "E.164"), ("+33 (0)1 NN NN NN NN", "E.164 (0)"), ("+336NNNNNNNN", "E.164 contiguous"),
           ("06NNNNNNNN", "contiguous")],
    "BE": [("+32 2 NNN NN NN", "E.164 Brussels"), ("0470 NN NN NN", "mobile"), ("02/NNN.NN.NN", "slash dotted")],
    "ES": [("6NN NNN NNN", "mobile 3-3-3"), ("+34 6NN NNN NNN", "E.164 mobile"), ("91 NNN NN NN", "Madrid"),
           ("+34 91 NNN NN NN", "E.164 Madrid"), ("*6NNNNNNNN", "contiguous mobile"), ("0034 6NN NNN NNN", "0034"),
           ("7NN NN NN NN", "mobile 3-2-2-2")],
    "MX": [("+52 55 NNNN NNNN", "E.164 CDMX"), ("55 NNNN NNNN", "CDMX"), ("(55) NNNN-NNNN", "parentheses")],
    "PT": [("91N NNN NNN", "mobile"), ("+351 91N NNN NNN", "E.164 mobile"), ("21N NNN NNN", "Lisbon"),
           ("+351 21 NNN NNNN", "E.164 Lisbon"), ("*91NNNNNNN", "contiguous mobile")],
    "BR": [("(11) 9NNNN-NNNN", "parentheses mobile"), ("+55 11 9NNNN-NNNN", "E.164"), ("(21) 2NNN-NNNN", "parentheses landline"),
           ("11 9NNNN-NNNN", "national"), ("+55 (11) 9NNNN-NNNN", "E.164 parentheses"), ("*119NNNNNNNN", "contiguous")],
    "IT": [("06 NNNN NNNN", "Rome"), ("+39 06 NNNN NNNN", "E.164 Rome"), ("3NN NNN NNNN", "mobile"),
           ("+39 3NN NNN NNNN", "E.164 mobile"), ("02-NNNNNNNN", "Milan dashed"), ("3NN/NNNNNNN", "mobile slash"),
           ("*3NNNNNNNNN", "contiguous mobile")],
    "NL": [("020-NNN NNNN", "Amsterdam"), ("+31 20 NNN NNNN", "E.164"), ("06-NNNNNNNN", "mobile dashed"),
           ("06 NNNN NNNN", "mobile"), ("+31 6 NNNN NNNN", "E.164 mobile"), ("0031 6 NNNNNNNN", "0031"),
           ("+31 (0)10 NNN NNNN", "E.164 (0)")],
    "JP": [("03-NNNN-NNNN", "Tokyo"), ("090-NNNN-NNNN", "mobile"), ("+81 3-NNNN-NNNN", "E.164"),
           ("+81 90 NNNN NNNN", "E.164 mobile"), ("0120-NNN-NNN", "free dial"), ("(03) NNNN-NNNN", "parentheses"),
           ("06-6NNN-NNNN", "Osaka"), ("080 NNNN NNNN", "mobile spaced"), ("０３－ＮＮＮＮ－ＮＮＮＮ", "full-width")],
    "PL": [("+48 5NN NNN NNN", "E.164 mobile"), ("5NN NNN NNN", "mobile"), ("22 NNN NN NN", "Warsaw"),
           ("+48 22 NNN NN NN", "E.164 Warsaw"), ("6NN-NNN-NNN", "mobile dashed")],
    "SE": [("070-NNN NN NN", "mobile"), ("+46 70 NNN NN NN", "E.164 mobile"), ("08-NNN NNN NN", "Stockholm"),
           ("08 NNN NNN NN", "Stockholm spaced")],
    "TR": [("05NN NNN NN NN", "mobile"), ("+90 5NN NNN NN NN", "E.164 mobile"), ("(0212) NNN NN NN", "Istanbul parentheses"),
           ("0 5NN NNN NN NN", "mobile 0 spaced")],
    "RU": [("+7 495 NNN-NN-NN", "E.164 Moscow"), ("8 (495) NNN-NN-NN", "8 (495)"), ("+7 (9NN) NNN-NN-NN", "E.164 mobile"),
           ("8 9NN NNN NN NN", "8 mobile"), ("+79NNNNNNNNN", "E.164 contiguous")],
}
_FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _digits_for(pattern: str, rng: random.Random) -> str:
    out = []
    for ch in pattern:
        if ch == "N":
            out.append(str(rng.randint(0, 9)))
        elif ch == "A":
            out.append(str(rng.randint(2, 9)))
        elif ch == "Z":
            out.append(str(rng.randint(1, 9)))
        elif ch == "Ｎ":
            out.append(str(rng.randint(0, 9)).translate(_FULLWIDTH))
        else:
            out.append(ch)
    return "".join(out)


# Held-out formats ("~" stands for a no-break space, as text copied from a web page has).
PHONES_HOLDOUT: dict[str, list[tuple[str, str]]] = {
    "US": [("+1 (ANN) ANN-NNNN", "E.164 parentheses"), ("(ANN)ANN-NNNN", "parentheses no space"),
           ("ANN ANN-NNNN", "space dash")],
    "GB": [("+44 (0) 20 7NNN NNNN", "E.164 (0) spaced"), ("0044 20 7NNN NNNN", "0044"), ("07NNN NNNNNN", "mobile 5-6")],
    "IE": [("+353 (0)87 NNN NNNN", "E.164 (0) mobile"), ("01 NNN NNNN", "Dublin")],
    "DE": [("+49-30-NNNNNNN", "E.164 dashed"), ("(030) NNNNNNN", "parentheses"), ("030 - NNN NN NN", "spaced dash"),
           ("0171/NNN NN NN", "mobile slash pairs"), ("+49 (0) 171 NNNNNNN", "E.164 (0) mobile")],
    "AT": [("+43 (0)664 NNN NN NN", "E.164 (0) mobile")], "CH": [("+41 (0)44 NNN NN NN", "E.164 (0)"), ("0041 79 NNN NN NN", "0041")],
    "FR": [("+33 1 NN NN NN NN", "E.164 Paris"), ("0033 6 NN NN NN NN", "0033"), ("06~NN~NN~NN~NN", "no-break spaces")],
    "BE": [("+32 (0)470 NN NN NN", "E.164 (0) mobile")],
    "ES": [("(+34) 6NN NN NN NN", "(+34) pairs"), ("+34-6NN-NNN-NNN", "E.164 dashed"), ("9NN NNN NNN", "landline 3-3-3")],
    "MX": [("+52 1 55 NNNN NNNN", "E.164 mobile 1")],
    "PT": [("(+351) 91N NNN NNN", "(+351)"), ("+351-21-NNN-NNNN", "E.164 dashed")],
    "BR": [("+55 21 2NNN-NNNN", "E.164 landline"), ("(011) 9NNNN-NNNN", "(0xx)"), ("11 9 NNNN-NNNN", "9 spaced"),
           ("+55 (21) 9NNNN NNNN", "E.164 parentheses spaced")],
    "IT": [("(+39) 06 NNNNNNNN", "(+39)"), ("3NN.NNN.NNNN", "mobile dotted"), ("0039 3NN NNNNNNN", "0039")],
    "NL": [("+31 (0)6 NNNN NNNN", "E.164 (0) mobile"), ("+31-6-NNNNNNNN", "E.164 dashed"), ("020 - NNN NN NN", "spaced dash")],
    "JP": [("03(NNNN)NNNN", "parentheses in the middle"), ("+81-3-NNNN-NNNN", "E.164 dashed"),
           ("０９０－ＮＮＮＮ－ＮＮＮＮ", "full-width mobile"), ("(0120) NNN-NNN", "free dial parentheses")],
    "PL": [("(22) NNN NN NN", "parentheses"), ("+48-5NN-NNN-NNN", "E.164 dashed"), ("0048 5NN NNN NNN", "0048")],
    "SE": [("+46 8 NNN NNN NN", "E.164 Stockholm"), ("+46 (0)70 NNN NN NN", "E.164 (0)"), ("070 NNN NN NN", "mobile spaced")],
    "TR": [("+90 (532) NNN NN NN", "E.164 parentheses"), ("0532 NNN NNNN", "mobile 4-3-4"), ("+90 212 NNN NN NN", "E.164 Istanbul")],
    "RU": [("+7 (495) NNN NN NN", "E.164 parentheses spaced"), ("8-800-NNN-NN-NN", "8-800"), ("8 (912) NNN-NN-NN", "8 mobile")],
}


def make_phone(rng: random.Random, country: str, bare: bool, holdout: bool = False) -> tuple[str, str]:
    if holdout and rng.random() < 0.75:
        pattern, fmt = rng.choice(PHONES_HOLDOUT[country])
        return _digits_for(pattern, rng).replace("~", "\u00a0"), f"{country} {fmt} (holdout)"
    options = [(p, f) for p, f in PHONES[country] if not (bare and p.startswith("*"))]
    pattern, fmt = rng.choice(options)
    return _digits_for(pattern.lstrip("*"), rng), f"{country} {fmt}"


# ------------------------------------------------------------------------------------------ cards
def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _luhn_valid(digits: str) -> bool:
    return _luhn_digit(digits[:-1]) == digits[-1]


def make_card(rng: random.Random) -> tuple[str, str]:
    brand = rng.choice(["visa", "visa", "mastercard", "mastercard2", "amex", "discover"])
    prefix, length = {
        "visa": ("4", 16), "mastercard": (str(rng.randint(51, 55)), 16), "mastercard2": (str(rng.randint(2221, 2720)), 16),
        "amex": (rng.choice(["34", "37"]), 15), "discover": ("6011", 16),
    }[brand]
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    digits = body + _luhn_digit(body)
    style = rng.choice(["spaced", "dashed", "contiguous", "spaced"])
    groups = [digits[:4], digits[4:10], digits[10:]] if length == 15 else [digits[i : i + 4] for i in range(0, 16, 4)]
    text = {"spaced": " ".join(groups), "dashed": "-".join(groups), "contiguous": digits}[style]
    return text, f"{brand.rstrip('2')} {style}"


def make_card_holdout(rng: random.Random) -> tuple[str, str]:
    """Formats the dev set does not have: 19-digit Maestro, no-break spaces, 13-digit Visa, JCB."""
    kind = rng.choice(["maestro19", "visa-nbsp", "visa13", "jcb", "mastercard-spaced"])
    prefix, length = {"maestro19": ("6759", 19), "visa-nbsp": ("4", 16), "visa13": ("4", 13), "jcb": ("3528", 16),
                      "mastercard-spaced": ("52", 16)}[kind]
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    digits = body + _luhn_digit(body)
    if kind == "maestro19":
        text = " ".join(digits[i : i + 4] for i in range(0, 19, 4))
    elif kind == "visa-nbsp":
        text = "\u00a0".join(digits[i : i + 4] for i in range(0, 16, 4))
    elif kind == "visa13":
        text = digits
    else:
        text = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    return text, f"{kind} (holdout)"


def make_transaction_id(rng: random.Random) -> str:
    """Sixteen digits in groups of four that are *not* a card number (the Luhn check fails)."""
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(16))
        if not _luhn_valid(digits) and digits[0] != "0":
            return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


# ------------------------------------------------------------------------------------------ IBANs
# Country: BBAN layout (n digit, a upper-case letter, c letter or digit).
IBAN_BBAN: dict[str, str] = {
    "DE": "8n10n", "AT": "16n", "CH": "5n12n", "FR": "5n5n11n2n", "BE": "12n", "ES": "20n", "IT": "1a5n5n12n",
    "PT": "21n", "NL": "4a10n", "GB": "4a6n8n", "IE": "4a6n8n", "PL": "24n", "SE": "20n", "TR": "5n1n16n",
    "BR": "8n5n10n1a1c", "DK": "14n", "LU": "3n13c", "MX": "", "JP": "", "RU": "",
}
_BANKS = {"NL": ["ABNA", "INGB", "RABO", "TRIO"], "GB": ["NWBK", "BARC", "LOYD", "MIDL"], "IE": ["AIBK", "BOFI"]}


def _bban(country: str, rng: random.Random) -> str:
    layout = IBAN_BBAN[country]
    out = []
    for count, kind in re.findall(r"(\d+)([nac])", layout):
        n = int(count)
        if kind == "a" and country in _BANKS and n == 4:
            out.append(rng.choice(_BANKS[country]))
            continue
        for _ in range(n):
            if kind == "n":
                out.append(str(rng.randint(0, 9)))
            elif kind == "a":
                out.append(chr(rng.randint(65, 90)))
            else:
                out.append(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ"))
    if country == "TR":  # the reserved digit after the bank code is 0
        out[5] = "0"
    return "".join(out)


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def make_iban(rng: random.Random, country: str, holdout: bool = False) -> tuple[str, str]:
    if holdout:
        country = rng.choice(["CH", "AT", "BE", "PL", "DK", "LU", "SE", "PT", "IT", "FR", "DE", "NL", "ES", "GB"])
        bban = _bban(country, rng)
        compact = country + iban_check_digits(country, bban) + bban
        style = rng.choice(["no-break grouped", "grouped", "contiguous", "grouped"])
        sep = "\u00a0" if style == "no-break grouped" else " "
        text = compact if style == "contiguous" else sep.join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return text, f"{country} {style} (holdout)"
    if not IBAN_BBAN.get(country):  # countries without IBANs pay from a European account
        country = rng.choice(["DE", "ES", "NL", "GB", "FR"])
    elif rng.random() < 0.2:
        country = rng.choice(["DE", "NL", "LU", "DK", "BE", "IE"])
    bban = _bban(country, rng)
    compact = country + iban_check_digits(country, bban) + bban
    style = rng.choices(["grouped", "contiguous", "lower grouped"], weights=[6, 3, 1])[0]
    grouped = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    text = {"grouped": grouped, "contiguous": compact, "lower grouped": grouped.lower()}[style]
    return text, f"{country} {style}"


# ------------------------------------------------------------------------------------------ addresses
# Fictional streets in real cities. Each maker returns (address, format, parts a redaction may keep
# because on their own they identify nobody: the city, region or prefecture; and the street name).
def _n(rng: random.Random, lo: int = 1, hi: int = 180) -> str:
    return str(rng.randint(lo, hi))


def _addr_us(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Maplewood Avenue", "Birchfield Lane", "Cedar Hollow Road", "Willowbrook Drive", "Larkspur Court",
                         "Old Mill Street", "Juniper Way", "Harbor View Blvd"])
    city, state, zip_ = rng.choice([("Springfield", "IL", "62704"), ("Fairview", "TX", "75069"), ("Madison", "WI", "53703"),
                                    ("Riverton", "OR", "97321"), ("Bozeman", "MT", "59715"), ("Columbus", "OH", "43215")])
    unit = rng.choice(["", "", f", Apt {_n(rng, 1, 40)}", f", Suite {_n(rng, 100, 450)}"])
    return f"{_n(rng, 10, 9800)} {street}{unit}, {city}, {state} {zip_}", "US street, city, state ZIP", [city], street


def _addr_gb(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Kingsley Road", "Harrowgate Street", "Elmstead Close", "Primrose Lane", "Aldwick Crescent",
                         "Foxglove Gardens"])
    city, pc = rng.choice([("Bristol", "BS6 5AB"), ("Leeds", "LS7 3QT"), ("Reading", "RG1 8DX"), ("Manchester", "M14 6HP"),
                           ("Norwich", "NR2 4SF"), ("Cardiff", "CF24 3AA")])
    flat = rng.choice(["", "", f"Flat {_n(rng, 1, 12)}, "])
    return f"{flat}{_n(rng, 1, 140)} {street}, {city} {pc}", "GB street, city postcode", [city], street


def _addr_ie(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Liffey Terrace", "Rathgar Road", "Mount Pleasant Avenue"])
    return f"{_n(rng, 1, 90)} {street}, Dublin 6, D06 F8X2", "IE street, Dublin, Eircode", ["Dublin"], street


def _addr_de(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Lindenstraße", "Kastanienweg", "Bahnhofstr.", "Gartenplatz", "Hölderlinstraße", "Am Mühlbach",
                         "Eichendorffallee", "Schillerstraße", "Im Wiesengrund", "Rosenweg"])
    city, pc = rng.choice([("Berlin", "10115"), ("München", "80331"), ("Köln", "50667"), ("Leipzig", "04109"),
                           ("Hamburg", "20095"), ("Stuttgart", "70174"), ("Frankfurt am Main", "60311")])
    num = _n(rng, 1, 120) + rng.choice(["", "", "a", "b", "/2"])
    return f"{street} {num}, {pc} {city}", "DE street number, postcode city", [city], street


def _addr_at(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Mariahilfer Gasse", "Praterweg", "Lerchenfelder Straße"])
    city, pc = rng.choice([("Wien", "1060"), ("Graz", "8010"), ("Linz", "4020")])
    return f"{street} {_n(rng, 1, 80)}/{_n(rng, 1, 20)}, {pc} {city}", "AT street number/door, postcode city", [city], street


def _addr_ch(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Seefeldweg", "Bergstrasse", "Rütistrasse"])
    city, pc = rng.choice([("Zürich", "8008"), ("Bern", "3011"), ("Basel", "4051")])
    return f"{street} {_n(rng, 1, 80)}, {pc} {city}", "CH street number, postcode city", [city], street


def _addr_fr(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["rue des Lilas", "avenue Victor Hugo", "boulevard des Capucines", "allée des Tilleuls",
                         "impasse du Moulin", "place du Marché", "chemin des Vignes", "rue de la Paix"])
    city, pc = rng.choice([("Lyon", "69003"), ("Paris", "75016"), ("Marseille", "13001"), ("Bordeaux", "33000"),
                           ("Nantes", "44000"), ("Lille", "59000"), ("Toulouse", "31000")])
    num = _n(rng, 1, 90) + rng.choice(["", "", " bis", " ter"])
    comma = rng.choice(["", ","])
    return f"{num}{comma} {street}, {pc} {city}", "FR number street, postcode city", [city], street


def _addr_be(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Rue de la Station", "Avenue Louise", "Kerkstraat", "Rue des Bouchers"])
    city, pc = rng.choice([("Bruxelles", "1000"), ("Liège", "4000"), ("Gent", "9000"), ("Namur", "5000")])
    return f"{street} {_n(rng, 1, 200)}, {pc} {city}", "BE street number, postcode city", [city], street


def _addr_es(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Calle de Alcalá", "Avda. Diagonal", "C/ Mayor", "Paseo de la Castellana", "Plaza del Pilar",
                         "Calle Sierpes", "Avenida de Andalucía", "Calle Bailén"])
    city, pc = rng.choice([("Madrid", "28014"), ("Barcelona", "08018"), ("Valencia", "46001"), ("Zaragoza", "50003"),
                           ("Sevilla", "41004"), ("Málaga", "29005"), ("Bilbao", "48001")])
    floor = rng.choice(["", "", f", {rng.randint(1, 8)}º {rng.choice(['A', 'B', 'izq.', 'dcha.'])}"])
    num = rng.choice([_n(rng, 1, 250), f"nº {_n(rng, 1, 250)}"])
    return f"{street} {num}{floor}, {pc} {city}", "ES street number floor, postcode city", [city], street


def _addr_mx(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Av. Insurgentes Sur", "Calle Durango", "Av. Revolución"])
    col = rng.choice(["Col. Roma Norte", "Col. Del Valle", "Col. Condesa"])
    pc = rng.choice(["06700", "03100", "06140"])
    return f"{street} {_n(rng, 10, 1800)}, {col}, {pc} Ciudad de México", "MX street number, colonia, postcode city", \
        ["Ciudad de México"], street


def _addr_pt(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Rua das Flores", "Avenida da Liberdade", "Travessa do Carmo", "Rua de Santa Catarina",
                         "Largo do Rato", "Rua Augusta"])
    city, pc = rng.choice([("Porto", "4050-262"), ("Lisboa", "1250-146"), ("Braga", "4700-321"), ("Coimbra", "3000-150")])
    floor = rng.choice(["", "", f", {rng.randint(1, 6)}º Esq.", f", {rng.randint(1, 6)}º Dto."])
    return f"{street} {_n(rng, 1, 220)}{floor}, {pc} {city}", "PT street number, postcode city", [city], street


def _addr_br(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Rua Augusta", "Av. Paulista", "Rua Visconde de Pirajá", "Rua Oscar Freire", "Avenida Atlântica",
                         "Rua dos Andradas"])
    city, uf, cep = rng.choice([("São Paulo", "SP", "01304-001"), ("Rio de Janeiro", "RJ", "22410-002"),
                                ("Porto Alegre", "RS", "90020-004"), ("Belo Horizonte", "MG", "30130-110")])
    extra = rng.choice(["", f", apto {_n(rng, 11, 1204)}", f", sala {_n(rng, 1, 90)}"])
    return f"{street}, {_n(rng, 10, 2500)}{extra}, {city} - {uf}, {cep}", "BR street, number, city - UF, CEP", [city, uf], street


def _addr_it(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Via Garibaldi", "Corso Vittorio Emanuele II", "Piazza della Signoria", "Viale dei Mille",
                         "Via dei Tigli", "Via Roma", "Largo Augusto", "Vicolo del Pozzo"])
    city, pc, prov = rng.choice([("Roma", "00184", "RM"), ("Milano", "20122", "MI"), ("Firenze", "50122", "FI"),
                                 ("Bologna", "40121", "BO"), ("Torino", "10121", "TO"), ("Napoli", "80142", "NA")])
    num = _n(rng, 1, 150) + rng.choice(["", "", "/B", "A"])
    comma = rng.choice([" ", ", "])
    prov_s = rng.choice(["", f" ({prov})"])
    return f"{street}{comma}{num}, {pc} {city}{prov_s}", "IT street number, CAP city", [city, prov], street


def _addr_nl(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Keizersgracht", "Lange Voorhout", "Oudegracht", "Stationsweg", "Laan van Meerdervoort",
                         "Kerkstraat", "Beukenlaan", "Marktplein"])
    city, pc = rng.choice([("Amsterdam", "1015 CJ"), ("Den Haag", "2514 EA"), ("Utrecht", "3511 AB"),
                           ("Groningen", "9711 AM"), ("Rotterdam", "3011 BD"), ("Eindhoven", "5611 AZ")])
    num = _n(rng, 1, 300) + rng.choice(["", "", "b", "-2", " A"])
    return f"{street} {num}, {pc} {city}", "NL street number, postcode city", [city], street


def _addr_jp(rng: random.Random) -> tuple[str, str, list[str], str]:
    pref, city, pc = rng.choice([("東京都", "渋谷区神宮前", "150-0001"), ("大阪府", "大阪市北区梅田", "530-0001"),
                                 ("愛知県", "名古屋市中区栄", "460-0008"), ("北海道", "札幌市中央区大通西", "060-0042"),
                                 ("神奈川県", "横浜市西区みなとみらい", "220-0012"), ("福岡県", "福岡市博多区博多駅前", "812-0011")])
    block = rng.choice([f"{rng.randint(1, 6)}-{rng.randint(1, 30)}-{rng.randint(1, 40)}",
                        f"{rng.randint(1, 9)}丁目{rng.randint(1, 20)}番{rng.randint(1, 30)}号",
                        f"{rng.randint(1, 6)}-{rng.randint(1, 30)}"])
    zip_ = rng.choice(["", f"〒{pc} "])
    return f"{zip_}{pref}{city}{block}", "JP prefecture city block", [pref], city


def _addr_pl(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["ul. Marszałkowska", "ul. Długa", "al. Jerozolimskie", "ul. Floriańska", "ul. Piotrkowska"])
    city, pc = rng.choice([("Warszawa", "00-590"), ("Gdańsk", "80-827"), ("Kraków", "31-019"), ("Łódź", "90-406")])
    num = rng.choice([_n(rng, 1, 150), f"{_n(rng, 1, 150)}/{_n(rng, 1, 40)}", f"{_n(rng, 1, 150)} m. {_n(rng, 1, 40)}"])
    return f"{street} {num}, {pc} {city}", "PL street number, postcode city", [city], street


def _addr_se(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Storgatan", "Vasagatan", "Drottninggatan", "Kungsvägen", "Björkstigen"])
    city, pc = rng.choice([("Stockholm", "111 22"), ("Göteborg", "411 24"), ("Malmö", "211 34"), ("Uppsala", "753 20")])
    return f"{street} {_n(rng, 1, 90)}{rng.choice(['', 'B'])}, {pc} {city}", "SE street number, postcode city", [city], street


def _addr_tr(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["Bağdat Caddesi", "Atatürk Bulvarı", "Gül Sokak", "İstiklal Caddesi"])
    pc, city = rng.choice([("34730", "Kadıköy/İstanbul"), ("06420", "Çankaya/Ankara"), ("35210", "Konak/İzmir")])
    return f"{street} No: {_n(rng, 1, 300)} Daire {_n(rng, 1, 20)}, {pc} {city}", \
        "TR street No: number Daire n, postcode district/city", [city], street


def _addr_ru(rng: random.Random) -> tuple[str, str, list[str], str]:
    street = rng.choice(["ул. Тверская", "ул. Лесная", "пр. Невский", "ул. Садовая"])
    city, pc = rng.choice([("Москва", "125009"), ("Санкт-Петербург", "191186"), ("Казань", "420111")])
    return f"{street}, д. {_n(rng, 1, 90)}, кв. {_n(rng, 1, 200)}, {city}, {pc}", "RU street, house, flat, city, postcode", [city], street


def _holdout_address(country: str, rng: random.Random) -> tuple[str, str, list[str], str]:
    """Address forms the dev set does not have (other separators, postcode prefixes, PO boxes, floors)."""
    n = _n(rng, 1, 90)
    forms: dict[str, list[tuple[str, str, list[str], str]]] = {
        "US": [(f"{_n(rng, 100, 9000)} Sycamore Ridge Road, Apt. {n}, Madison, WI 53703-{rng.randint(1000, 9999)}",
                "US ZIP+4", ["Madison"], "Sycamore Ridge Road"),
               (f"PO Box {_n(rng, 100, 9999)}, Bozeman, MT 59715", "US PO box", ["Bozeman"], "PO Box")],
        "GB": [(f"Flat 2B, {n} Queen's Road, London SW1A 2AA", "GB flat, apostrophe street", ["London"], "Queen's Road")],
        "IE": [(f"Apartment {n}, 14 Grafton Street, Dublin 2, D02 X285", "IE apartment", ["Dublin 2"], "Grafton Street")],
        "DE": [(f"Hauptstr. {n} · 10115 Berlin", "DE middle dot", ["Berlin"], "Hauptstr."),
               (f"Marienplatz {n}, D-80331 München", "DE D- postcode", ["München"], "Marienplatz")],
        "AT": [(f"A-1060 Wien, Gumpendorfer Straße {n}/{_n(rng, 1, 20)}", "AT postcode first", ["Wien"], "Gumpendorfer Straße")],
        "CH": [(f"Bahnhofstrasse {n}, CH-8001 Zürich", "CH CH- postcode", ["Zürich"], "Bahnhofstrasse")],
        "FR": [(f"Appartement {n}, 3 rue Victor Hugo, 75011 PARIS", "FR apartment, city in capitals", ["PARIS"], "rue Victor Hugo"),
               (f"{n}, avenue des Champs-Élysées 75008 Paris", "FR no comma before postcode", ["Paris"], "avenue des Champs-Élysées")],
        "BE": [(f"Avenue Louise {n} bte 3, 1050 Ixelles", "BE boîte", ["Ixelles"], "Avenue Louise")],
        "ES": [(f"Avda. de la Constitución, {n}, 1º A, 41004 Sevilla", "ES comma number floor", ["Sevilla"], "Avda. de la Constitución"),
               (f"C/ Gran Vía, {n} - 3º dcha., 28013 Madrid", "ES dash floor", ["Madrid"], "C/ Gran Vía")],
        "MX": [(f"Calle Durango {n} Int. 3, Roma Norte, C.P. 06700, CDMX", "MX C.P.", ["CDMX", "Roma Norte"], "Calle Durango")],
        "PT": [(f"Rua do Almada, nº {n}, 2º andar, 4050-037 Porto", "PT nº andar", ["Porto"], "Rua do Almada")],
        "BR": [(f"Rua XV de Novembro, {_n(rng, 10, 900)} - Centro, Curitiba - PR, 80020-310", "BR dash bairro",
                ["Curitiba", "PR", "Centro"], "Rua XV de Novembro"),
               (f"Av. Brigadeiro Faria Lima, {_n(rng, 100, 4000)}, 14º andar, São Paulo/SP, CEP 04538-133", "BR CEP label",
                ["São Paulo", "SP"], "Av. Brigadeiro Faria Lima")],
        "IT": [(f"P.zza Duomo {n}, 20121 Milano MI", "IT P.zza province", ["Milano", "MI"], "P.zza Duomo"),
               (f"Via G. Verdi, {n} - 00195 Roma", "IT initial, dash", ["Roma"], "Via G. Verdi")],
        "NL": [(f"Postbus {_n(rng, 100, 9999)}, 1000 AB Amsterdam", "NL Postbus", ["Amsterdam"], "Postbus"),
               (f"Prinsengracht {n}\n1016 GV Amsterdam", "NL two lines", ["Amsterdam"], "Prinsengracht")],
        "JP": [(f"〒106-6108 東京都港区六本木6丁目10番{rng.randint(1, 9)}号 森タワー8F", "JP chome banchi building", ["東京都"], "港区六本木"),
               (f"大阪市中央区本町{rng.randint(1, 4)}-{rng.randint(1, 9)}-{rng.randint(1, 20)}", "JP no prefecture", [], "中央区本町")],
        "PL": [(f"ul. Nowy Świat {n}/17 lok. 4, 00-029 Warszawa", "PL lok.", ["Warszawa"], "ul. Nowy Świat"),
               (f"os. Tysiąclecia {n}/5, 40-871 Katowice", "PL osiedle", ["Katowice"], "os. Tysiąclecia")],
        "SE": [(f"Sveavägen {n}, 3 tr, 111 34 Stockholm", "SE trappor", ["Stockholm"], "Sveavägen")],
        "TR": [(f"Cumhuriyet Mah. Atatürk Cad. No:{n} D:3, 34000 Fatih/İstanbul", "TR Mah. Cad. No: D:",
                ["Fatih/İstanbul"], "Cumhuriyet Mah. Atatürk Cad.")],
        "RU": [(f"125009, г. Москва, ул. Тверская, д. {n}, кв. 12", "RU postcode first", ["г. Москва"], "ул. Тверская"),
               (f"г. Казань, пр-т Победы, д. {n}", "RU пр-т", ["г. Казань"], "пр-т Победы")],
    }
    return rng.choice(forms[country])


ADDRESSES: dict[str, Callable[[random.Random], tuple[str, str, list[str], str]]] = {
    "US": _addr_us, "GB": _addr_gb, "IE": _addr_ie, "DE": _addr_de, "AT": _addr_at, "CH": _addr_ch, "FR": _addr_fr,
    "BE": _addr_be, "ES": _addr_es, "MX": _addr_mx, "PT": _addr_pt, "BR": _addr_br, "IT": _addr_it, "NL": _addr_nl,
    "JP": _addr_jp, "PL": _addr_pl, "SE": _addr_se, "TR": _addr_tr, "RU": _addr_ru,
}

# ------------------------------------------------------------------------------------------ decoys
_DATE_FORMATS: dict[str, list[str]] = {
    "en": ["{y}-{m:02d}-{d:02d}", "{m:02d}/{d:02d}/{y}", "{d} {mon_en} {y}", "{d:02d}/{m:02d}/{y}"],
    "de": ["{d:02d}.{m:02d}.{y}", "{d}.{m}.{y}", "{y}-{m:02d}-{d:02d}"],
    "fr": ["{d:02d}/{m:02d}/{y}", "{y}-{m:02d}-{d:02d}"], "es": ["{d:02d}/{m:02d}/{y}", "{d}-{m}-{y}"],
    "pt": ["{d:02d}/{m:02d}/{y}", "{y}-{m:02d}-{d:02d}"], "it": ["{d:02d}/{m:02d}/{y}", "{d}.{m}.{y}"],
    "nl": ["{d:02d}-{m:02d}-{y}", "{d}-{m}-{y}"], "ja": ["{y}年{m}月{d}日", "{y}/{m:02d}/{d:02d}"],
    "pl": ["{d:02d}.{m:02d}.{y}"], "sv": ["{y}-{m:02d}-{d:02d}"], "tr": ["{d:02d}.{m:02d}.{y}"], "ru": ["{d:02d}.{m:02d}.{y}"],
}
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
_PRICE_FORMATS: dict[str, list[str]] = {
    "en": ["${a},{b:03d}.{c:02d}", "£{s}.{c:02d}", "${s}.{c:02d}"], "de": ["{a}.{b:03d},{c:02d} €", "{s},{c:02d} €", "EUR {s},{c:02d}"],
    "fr": ["{a} {b:03d},{c:02d} €", "{s},{c:02d} €"], "es": ["{s},{c:02d} €", "{a}.{b:03d},{c:02d} €"],
    "pt": ["R$ {s},{c:02d}", "{s},{c:02d} €"], "it": ["€ {s},{c:02d}", "{a}.{b:03d},{c:02d} €"],
    "nl": ["€ {s},{c:02d}", "€{a}.{b:03d},{c:02d}"], "ja": ["¥{a},{b:03d}", "{a},{b:03d}円"],
    "pl": ["{a} {b:03d},{c:02d} zł", "{s},{c:02d} zł"], "sv": ["{a} {b:03d} kr", "{s} kr"], "tr": ["₺{a}.{b:03d},{c:02d}", "{s} TL"],
    "ru": ["{a} {b:03d} ₽", "{s} руб."],
}
_QTY_FORMATS: dict[str, str] = {"en": "{a},{b:03d}", "de": "{a}.{b:03d}", "fr": "{a} {b:03d}", "es": "{a}.{b:03d}",
                                "pt": "{a}.{b:03d}", "it": "{a}.{b:03d}", "nl": "{a}.{b:03d}", "ja": "{a},{b:03d}",
                                "pl": "{a} {b:03d}", "sv": "{a} {b:03d}", "tr": "{a}.{b:03d}", "ru": "{a} {b:03d}"}


def make_decoy(kind: str, lang: str, rng: random.Random) -> str:
    base = lang.split("-")[0]
    if kind == "order":
        return rng.choice([f"#{rng.randint(10000, 99999)}", str(rng.randint(100000000, 999999999)),
                           f"FB-2026-{rng.randint(100, 99999):05d}", f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}",
                           f"SO-{rng.randint(100000, 999999)}"])
    if kind == "ticket":
        return rng.choice([f"#{rng.randint(1000, 99999)}", f"TK-{rng.randint(10000, 99999)}", f"{rng.randint(10000, 999999):08d}",
                           f"INC{rng.randint(1000000, 9999999)}"])
    if kind == "version":
        return rng.choice(["26.10.2", "4.2.1", "v3.14.0", "10.0.19045", "17.4.1", "2.0.0-beta.3", "26.10.2.114", "5.1",
                           "14.6.1", "v26.4"])
    if kind == "date":
        y, m, d = rng.choice([2025, 2026]), rng.randint(1, 12), rng.randint(1, 28)
        return rng.choice(_DATE_FORMATS[base]).format(y=y, m=m, d=d, mon_en=_MONTHS_EN[m - 1])
    if kind == "time":
        return rng.choice(["10:30", "22:00–06:00", "7:45", "08:15", "23:59", "13:00-17:30", "06:00"])
    if kind == "price":
        a, b, c = rng.randint(1, 9), rng.randint(0, 999), rng.choice([0, 0, 50, 90, 99, 49])
        return rng.choice(_PRICE_FORMATS[base]).format(a=a, b=b, c=c, s=rng.randint(9, 899))
    if kind == "error":
        return rng.choice(["422", "ERR-5003", "0x80070005", "E1021", "503", "40013", "10054", "FB-ERR-1042", "0xC0000005"])
    if kind == "quantity":
        return _QTY_FORMATS[base].format(a=rng.randint(1, 9), b=rng.randint(0, 999))
    if kind == "transaction":
        return make_transaction_id(rng)
    if kind == "tracking":
        return rng.choice([f"1Z{rng.randint(100, 999)}AA{rng.randint(10 ** 10, 10 ** 11 - 1)}",
                           f"JJD{rng.randint(10 ** 15, 10 ** 16 - 1)}", f"RR{rng.randint(10 ** 8, 10 ** 9 - 1)}DE"])
    if kind == "timestamp":
        return f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:00Z"
    if kind == "bic":
        return rng.choice(["COBADEFFXXX", "BNPAFRPPXXX", "INGBNL2A", "BSCHESMM", "UNCRITMM", "NDEASESS"])
    if kind == "reference":
        return rng.choice([f"PO {rng.randint(4500000000, 4599999999)}", f"{rng.randint(100000, 99999999):010d}",
                           f"2026/{rng.randint(100, 99999):05d}", f"Build {rng.randint(2025, 2026)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}.{rng.randint(1, 9)}",
                           f"VAT DE{rng.randint(100000000, 999999999)}", f"port {rng.choice([8080, 8443, 5432])}"])
    if kind == "percent":
        return rng.choice(["15 %", "+20%", "−12,5 %", "99.9%"])
    if kind == "product":
        return rng.choice(["Fernbook", "Fernbook Pay", "Fernbook Time Clock", "Fernbook"])
    raise ValueError(kind)


# ------------------------------------------------------------------------------------------ templates
# Slots: {email:p} {phone} {phone_bare} {card} {iban} {address} {name:p} {first:p} {last:p} (p: a person
# letter, the same person within one ticket) and decoys {order} {ticket} {version} {date} {time}
# {price} {error} {quantity} {transaction} {product} {tracking}.
TEMPLATES: dict[str, list[str]] = {
    "en": [
        "Hi {product} team,\n\nour payroll export for {date} stops with error {error} since we upgraded to {version}. "
        "The log is attached. You can reach me at {phone} or {email:a}.\n\nThanks,\n{name:a}",
        "Hello,\nI was charged twice for order {order} ({price} each). The card on file is {card}. "
        "Please refund one of the charges.\n\nRegards,\n{name:a}\n{address}",
        "Dear {first:b},\nthanks for the call earlier. As discussed, please switch our billing to direct debit. "
        "IBAN: {iban}, account holder {name:a}. Invoice {order} is still open.\n\nBest regards,\n{name:a}",
        "My colleague {name:a} ({email:a}) cannot log in since {date} {time}; the app shows error {error}. "
        "Ticket {ticket} was closed without a fix. Could someone call me on {phone}?",
        "Hey, quick one: where do I change the delivery address for printed pay slips? The new one is {address}. "
        "Thanks! {first:a}",
        "Hi {first:b}, I'm {name:a}, the office manager at Harlow Dental. We have {quantity} employees on the annual plan "
        "({price}). Please send the receipt for {order} to {email:a} instead of my old address.\nCheers,\n{first:a}",
        "Good morning,\nplease use these bank details for the refund of {price}: {iban}. Reference {ticket}. "
        "If anything is missing, text me at {phone}.\n{name:a}\n{address}",
        "Our scheduler {name:a} tried to pay with {card} but got error {error}. We're on {product} {version}. "
        "Contact: {email:a}, {phone_bare}.",
        "The time clock shows {time} for the night shifts on {date}. Please call me back at {phone} and ask for {name:a}. "
        "Transaction ID {transaction} is the one that failed.",
        "Hello Mrs. {last:b},\nthe replacement badge reader (tracking {tracking}) never arrived at {address}. "
        "Order {order}, shipped {date}.\nKind regards,\n{name:a}\n{phone_bare}\n{email:a}",
    ],
    "de": [
        "Hallo {product}-Team,\n\nseit dem Update auf {version} bricht der Lohnexport vom {date} mit Fehler {error} ab. "
        "Sie erreichen mich unter {phone} oder per Mail an {email:a}.\n\nViele Grüße\n{name:a}",
        "Guten Tag,\nwir wurden für die Bestellung {order} doppelt belastet ({price}). Die hinterlegte Karte ist {card}. "
        "Bitte erstatten Sie eine Abbuchung.\n\nMit freundlichen Grüßen\n{name:a}\n{address}",
        "Sehr geehrte Frau {last:b},\nbitte stellen Sie unsere Zahlung auf Lastschrift um. IBAN: {iban}, "
        "Kontoinhaber: {name:a}. Die Rechnung {order} ist noch offen.\n\nBeste Grüße\n{name:a}",
        "Mein Kollege {name:a} ({email:a}) kann sich seit {date} um {time} nicht mehr anmelden, die App zeigt Fehler {error}. "
        "Ticket {ticket} wurde ohne Lösung geschlossen. Rufen Sie mich bitte unter {phone} zurück.",
        "Kurze Frage: Wo ändere ich die Lieferadresse für die gedruckten Lohnzettel? Die neue Adresse lautet {address}. "
        "Danke, {first:a}",
        "Hallo {first:b},\nich bin {name:a} und leite das Büro der Praxis am Markt. Wir haben {quantity} Mitarbeitende im "
        "Jahresplan ({price}). Bitte schicken Sie die Quittung zu {order} an {email:a}.\nLG {first:a}",
        "Guten Morgen,\nbitte erstatten Sie die {price} auf dieses Konto: {iban} (Sparkasse). Vorgang {ticket}. "
        "Bei Rückfragen Handy: {phone}\n{name:a}\n{address}",
        "Unsere Disponentin {name:a} wollte mit der Karte {card} zahlen und bekam Fehler {error}. Wir nutzen {product} "
        "{version}. Kontakt: {email:a}, Tel. {phone}",
        "Die Stempeluhr zeigt {time} für die Nachtschichten am {date}. Bitte rufen Sie mich unter {phone_bare} an und "
        "verlangen Sie {name:a}. Die fehlgeschlagene Transaktion hat die ID {transaction}.",
        "Sehr geehrter Herr {last:b},\nder Ersatz-Kartenleser (Sendungsnummer {tracking}) ist nie bei uns in der "
        "{address} angekommen. Bestellung {order} vom {date}.\nFreundliche Grüße\n{name:a}\n{phone_bare} | {email:a}",
    ],
    "fr": [
        "Bonjour l'équipe {product},\n\ndepuis la mise à jour {version}, l'export de paie du {date} s'arrête avec l'erreur "
        "{error}. Vous pouvez me joindre au {phone} ou par mail : {email:a}.\n\nCordialement,\n{name:a}",
        "Bonjour,\nla commande {order} a été débitée deux fois ({price}). La carte enregistrée est la {card}. "
        "Merci de rembourser un des deux prélèvements.\n\nBien cordialement,\n{name:a}\n{address}",
        "Madame {last:b},\nmerci de passer notre abonnement en prélèvement. IBAN : {iban}, titulaire : {name:a}. "
        "La facture {order} est toujours ouverte.\n\nBien à vous,\n{name:a}",
        "Ma collègue {name:a} ({email:a}) ne peut plus se connecter depuis le {date} à {time}, l'appli affiche l'erreur "
        "{error}. Le ticket {ticket} a été fermé sans solution. Pouvez-vous me rappeler au {phone} ?",
        "Petite question : où change-t-on l'adresse de livraison des bulletins imprimés ? La nouvelle adresse est "
        "{address}. Merci ! {first:a}",
        "Bonjour {first:b},\nje suis {name:a}, responsable administrative du cabinet. Nous avons {quantity} salariés sur "
        "l'offre annuelle ({price}). Merci d'envoyer le reçu de {order} à {email:a}.\nAmicalement,\n{first:a}",
        "Bonjour,\nmerci de rembourser les {price} sur ce compte : {iban}. Dossier {ticket}. En cas de question, "
        "portable : {phone}\n{name:a}\n{address}",
        "Notre planificateur {name:a} a essayé de payer avec la carte {card} et a obtenu l'erreur {error}. Nous sommes "
        "sur {product} {version}. Contact : {email:a}, tél. {phone}",
        "La pointeuse affiche {time} pour les équipes de nuit du {date}. Rappelez-moi au {phone_bare} et demandez "
        "{name:a}. La transaction en échec porte l'identifiant {transaction}.",
    ],
    "es": [
        "Hola equipo de {product}:\n\ndesde la actualización a {version}, la exportación de nóminas del {date} se corta con "
        "el error {error}. Me podéis llamar al {phone} o escribir a {email:a}.\n\nSaludos,\n{name:a}",
        "Buenas tardes,\nnos cobraron dos veces el pedido {order} ({price}). La tarjeta registrada es {card}. "
        "Por favor, devolved uno de los cargos.\n\nAtentamente,\n{name:a}\n{address}",
        "Estimada Sra. {last:b}:\npor favor, pasad nuestra suscripción a domiciliación bancaria. IBAN: {iban}, "
        "titular: {name:a}. La factura {order} sigue pendiente.\n\nUn saludo,\n{name:a}",
        "Mi compañera {name:a} ({email:a}) no puede iniciar sesión desde el {date} a las {time}; la app muestra el "
        "error {error}. El ticket {ticket} se cerró sin solución. ¿Me llamáis al móvil {phone}?",
        "Una pregunta rápida: ¿dónde cambio la dirección de envío de las nóminas impresas? La nueva es {address}. "
        "¡Gracias! {first:a}",
        "Hola {first:b}, soy {name:a}, la responsable de administración de la clínica. Tenemos {quantity} empleados en el "
        "plan anual ({price}). Enviad el recibo del número de pedido {order} a {email:a}, por favor.\nSaludos cordiales,\n{first:a}",
        "Buenos días,\ndevolved los {price} a esta cuenta: {iban}. Expediente {ticket}. Si falta algo, mi teléfono es "
        "{phone}.\n{name:a}\n{address}",
        "Nuestro planificador {name:a} intentó pagar con la tarjeta {card} y le salió el error {error}. Usamos {product} "
        "{version}. Contacto: {email:a}, tel. {phone}",
        "El reloj de fichaje marca {time} en los turnos de noche del {date}. Llamadme al {phone_bare} y preguntad por "
        "{name:a}. La transacción fallida tiene el ID {transaction}.",
    ],
    "pt": [
        "Olá equipe {product},\n\ndesde a atualização para a {version}, a exportação da folha de {date} para com o erro "
        "{error}. Podem me ligar no {phone} ou escrever para {email:a}.\n\nAtenciosamente,\n{name:a}",
        "Boa tarde,\nfomos cobrados duas vezes pelo pedido {order} ({price}). O cartão cadastrado é {card}. "
        "Por favor, estornem uma das cobranças.\n\nObrigado,\n{name:a}\n{address}",
        "Prezada Sra. {last:b},\npor favor, mudem o nosso pagamento para débito direto. IBAN: {iban}, titular: {name:a}. "
        "A fatura {order} continua em aberto.\n\nCumprimentos,\n{name:a}",
        "A minha colega {name:a} ({email:a}) não consegue entrar desde {date} às {time}; a aplicação mostra o erro "
        "{error}. O ticket {ticket} foi fechado sem solução. Podem ligar para o meu celular {phone}?",
        "Pergunta rápida: onde mudo o endereço de entrega dos holerites impressos? O novo é {address}. Obrigada! {first:a}",
        "Oi {first:b}, aqui é {name:a}, responsável pelo administrativo da clínica. Temos {quantity} funcionários no "
        "plano anual ({price}). Enviem o recibo do pedido {order} para {email:a}, por favor.\nAbraços,\n{first:a}",
        "Bom dia,\ndevolvam os {price} para esta conta: {iban}. Processo {ticket}. Qualquer dúvida, telefone: {phone}\n"
        "{name:a}\n{address}",
        "O nosso planejador {name:a} tentou pagar com o cartão {card} e recebeu o erro {error}. Usamos o {product} "
        "{version}. Contato: {email:a}, tel. {phone}",
        "O relógio de ponto mostra {time} nos turnos da noite de {date}. Liguem para {phone_bare} e falem com "
        "{name:a}. A transação que falhou tem o ID {transaction}.",
    ],
    "it": [
        "Ciao team {product},\n\ndopo l'aggiornamento alla {version} l'esportazione delle buste paga del {date} si blocca "
        "con l'errore {error}. Potete chiamarmi al {phone} o scrivere a {email:a}.\n\nCordiali saluti,\n{name:a}",
        "Buongiorno,\nl'ordine {order} ci è stato addebitato due volte ({price}). La carta registrata è {card}. "
        "Vi chiedo di rimborsare uno dei due addebiti.\n\nDistinti saluti,\n{name:a}\n{address}",
        "Gentile Sig.ra {last:b},\nvi chiedo di passare l'abbonamento all'addebito diretto. IBAN: {iban}, intestatario: "
        "{name:a}. La fattura {order} è ancora aperta.\n\nSaluti,\n{name:a}",
        "La mia collega {name:a} ({email:a}) non riesce ad accedere dal {date} alle {time}: l'app mostra l'errore "
        "{error}. Il ticket {ticket} è stato chiuso senza soluzione. Mi richiamate al cellulare {phone}?",
        "Domanda veloce: dove cambio l'indirizzo di consegna dei cedolini stampati? Il nuovo è {address}. Grazie! {first:a}",
        "Ciao {first:b}, sono {name:a}, responsabile amministrativa dello studio. Abbiamo {quantity} dipendenti nel piano "
        "annuale ({price}). Mandate la ricevuta dell'ordine {order} a {email:a}, per favore.\nUn saluto,\n{first:a}",
        "Buongiorno,\nrimborsate i {price} su questo conto: {iban}. Pratica {ticket}. Per dubbi, tel. {phone}\n"
        "{name:a}\n{address}",
        "Il nostro pianificatore {name:a} ha provato a pagare con la carta {card} e ha ricevuto l'errore {error}. Usiamo "
        "{product} {version}. Contatti: {email:a}, {phone_bare}",
        "Il marcatempo segna {time} per i turni di notte del {date}. Chiamatemi al {phone_bare} e chiedete di "
        "{name:a}. La transazione fallita ha l'ID {transaction}.",
    ],
    "nl": [
        "Hallo {product}-team,\n\nsinds de update naar {version} stopt de salarisexport van {date} met fout {error}. "
        "Jullie kunnen me bellen op {phone} of mailen naar {email:a}.\n\nMet vriendelijke groet,\n{name:a}",
        "Goedemiddag,\nbestelling {order} is twee keer afgeschreven ({price}). De opgeslagen kaart is {card}. "
        "Willen jullie één afschrijving terugboeken?\n\nGroeten,\n{name:a}\n{address}",
        "Beste {first:b},\nzetten jullie ons abonnement om naar automatische incasso? IBAN: {iban}, "
        "rekeninghouder: {name:a}. Factuur {order} staat nog open.\n\nHartelijke groet,\n{name:a}",
        "Mijn collega {name:a} ({email:a}) kan sinds {date} om {time} niet meer inloggen; de app toont fout {error}. "
        "Ticket {ticket} is zonder oplossing gesloten. Kunnen jullie me terugbellen op {phone}?",
        "Korte vraag: waar wijzig ik het afleveradres voor de geprinte loonstroken? Het nieuwe adres is {address}. "
        "Bedankt! {first:a}",
        "Hoi {first:b}, ik ben {name:a}, office manager van de praktijk. We hebben {quantity} medewerkers op het "
        "jaarplan ({price}). Stuur de bon van {order} naar {email:a} alsjeblieft.\nGroetjes,\n{first:a}",
        "Goedemorgen,\ngraag de {price} terugstorten op deze rekening: {iban}. Dossier {ticket}. Vragen? Mobiel: {phone}\n"
        "{name:a}\n{address}",
        "Onze planner {name:a} probeerde te betalen met kaart {card} en kreeg fout {error}. We gebruiken {product} "
        "{version}. Contact: {email:a}, tel. {phone}",
    ],
    "ja": [
        "{product}サポート御中\n\n{version}に更新してから、{date}分の給与エクスポートがエラー{error}で止まります。"
        "ご連絡は電話{phone}またはメール{email:a}までお願いします。\n\n{name:a}",
        "お世話になっております。{last:a}です。\n注文番号{order}が二重に請求されました（{price}）。登録カードは{card}です。"
        "一方の返金をお願いします。\n\n{name:a}\n{address}",
        "{last:b}様\n\n口座振替への変更をお願いします。IBAN：{iban}、名義：{name:a}。請求書{order}がまだ未払いです。\n\nよろしくお願いいたします。\n{name:a}",
        "同僚の{name:a}さん（{email:a}）が{date} {time}からログインできず、アプリにエラー{error}が表示されます。"
        "チケット{ticket}は解決されないまま閉じられました。{phone}までお電話ください。",
        "印刷した給与明細の送付先はどこで変更できますか？新しい住所は{address}です。よろしくお願いします。{last:a}",
        "株式会社タカハシ商事の{name:a}と申します。年間プラン（{price}）で従業員{quantity}名を登録しています。"
        "注文{order}の領収書を{email:a}に送ってください。",
        "返金{price}は次の口座にお願いします：{iban}。案件番号{ticket}。ご不明点は携帯{phone}まで。\n{name:a}\n{address}",
        "担当の{name:a}がカード{card}で支払おうとしたところ、エラー{error}になりました。{product} {version}を使っています。"
        "連絡先：{email:a}、TEL {phone_bare}",
        "打刻機が{date}の夜勤で{time}と表示されます。{phone_bare}にお電話いただき、{last:a}を呼び出してください。"
        "失敗した取引のIDは{transaction}です。",
        "{product}サポートの皆様\n{last:b}さんに電話しましたが、つながりませんでした。折り返しは{phone}へお願いします。\n"
        "{name:a}（{email:a}）",
    ],
    "pl": [
        "Dzień dobry,\nod aktualizacji do {version} eksport płac z {date} kończy się błędem {error}. Proszę o kontakt pod "
        "numerem {phone} lub mailowo: {email:a}.\n\nPozdrawiam,\n{name:a}",
        "Dzień dobry,\nzamówienie {order} zostało pobrane dwa razy ({price}). Zapisana karta to {card}. Proszę o zwrot "
        "jednej płatności.\n\nZ poważaniem,\n{name:a}\n{address}",
        "Szanowna Pani {last:b},\nproszę o zwrot {price} na konto: {iban}, właściciel: {name:a}. Zgłoszenie {ticket}.\n"
        "Tel. {phone}\n{name:a}",
        "Moja koleżanka {name:a} ({email:a}) nie może się zalogować od {date}, aplikacja pokazuje błąd {error}. "
        "Nowy adres do wysyłki: {address}. Telefon: {phone_bare}",
    ],
    "sv": [
        "Hej {product}-teamet,\nsedan uppdateringen till {version} stoppar löneexporten för {date} med fel {error}. "
        "Ni når mig på {phone} eller {email:a}.\n\nMed vänliga hälsningar\n{name:a}",
        "Hej,\nbeställning {order} drogs två gånger ({price}). Kortet vi har registrerat är {card}. Kan ni återbetala "
        "en av dragningarna?\n\nHälsningar\n{name:a}\n{address}",
        "Hej {first:b},\nbetala gärna tillbaka {price} till kontot {iban}, kontohavare {name:a}. Ärende {ticket}.\n"
        "Mvh\n{name:a}\n{phone_bare}",
        "Min kollega {name:a} ({email:a}) kan inte logga in sedan {date} kl. {time}, appen visar fel {error}. "
        "Ny leveransadress: {address}. Ring mig på {phone}.",
    ],
    "tr": [
        "Merhaba {product} ekibi,\n{version} güncellemesinden beri {date} tarihli bordro dışa aktarımı {error} hatasıyla "
        "duruyor. Bana {phone} numarasından veya {email:a} adresinden ulaşabilirsiniz.\n\nSaygılarımla,\n{name:a}",
        "İyi günler,\n{order} numaralı sipariş iki kez tahsil edildi ({price}). Kayıtlı kart {card}. Lütfen birini iade "
        "edin.\n\nTeşekkürler,\n{name:a}\n{address}",
        "Sayın {name:b},\nlütfen {price} tutarını şu hesaba iade edin: {iban}, hesap sahibi: {name:a}. Talep {ticket}.\n"
        "Cep: {phone}\n{name:a}",
        "Çalışma arkadaşım {name:a} ({email:a}) {date} tarihinden beri giriş yapamıyor, uygulama {error} hatası "
        "veriyor. Yeni teslimat adresi: {address}. Telefon: {phone_bare}",
    ],
    "ru": [
        "Здравствуйте, команда {product}!\nПосле обновления до {version} выгрузка зарплаты за {date} останавливается с "
        "ошибкой {error}. Мой телефон: {phone}, почта: {email:a}.\n\nС уважением,\n{name:a}",
        "Добрый день!\nЗаказ {order} был оплачен дважды ({price}). Сохранённая карта: {card}. Прошу вернуть один из "
        "платежей.\n\nСпасибо,\n{name:a}\n{address}",
        "Уважаемая {name:b}!\nПрошу вернуть {price} на счёт {iban}, владелец счёта: {name:a}. Обращение {ticket}.\n"
        "Тел.: {phone}\n{name:a}",
        "Моя коллега {name:a} ({email:a}) не может войти с {date}, приложение показывает ошибку {error}. "
        "Новый адрес доставки: {address}. Звоните: {phone_bare}",
    ],
}

# Held-out bank: other ways of writing the same things (quoted replies, headers, signatures with
# separators, thanks to a named person, multi-line addresses) and names with hyphens and particles.
FIRST_HOLDOUT: dict[str, list[str]] = {
    "en": ["Siobhan", "Kwame", "Mei", "Rosalind"], "de": ["Hans-Peter", "Anne-Kathrin", "Kai", "Ute"],
    "fr": ["Jean-Luc", "Anne-Sophie", "Marie-Claire", "Loïc"], "es": ["María José", "José Luis", "Iñaki", "Begoña"],
    "pt": ["Ana Paula", "João Pedro", "Graça", "Fábio"], "it": ["Gian Luca", "Anna Maria", "Niccolò", "Ilaria"],
    "nl": ["Jan-Willem", "Anouk", "Geert", "Ilse"], "ja": ["陽菜", "蓮", "結衣", "悠真"], "pl": ["Grzegorz", "Jadwiga"],
    "sv": ["Karl-Johan", "Linnea"], "tr": ["Ali Rıza", "Gülşen"], "ru": ["Елена", "Пётр"],
}
LAST_HOLDOUT: dict[str, list[str]] = {
    "en": ["O'Connor", "Nakamura-Reid", "Achterberg", "Lyle"], "de": ["von Stetten", "Müller-Lüdenscheidt", "Özdemir", "Graf"],
    "fr": ["de La Tour", "Le Goff", "D'Almeida", "N'Diaye"], "es": ["de la Fuente", "García-Pelayo", "Ibáñez", "Sáez"],
    "pt": ["da Silva", "dos Santos", "Conceição", "Magalhães"], "it": ["Di Stefano", "D'Angelo", "Lo Russo", "Esposito"],
    "nl": ["van der Meer", "ter Horst", "Vermeulen", "de Boer"], "ja": ["斎藤", "長谷川", "森", "石井"],
    "pl": ["Nowak-Jeziorańska", "Grabowski"], "sv": ["af Klint", "Wallin"], "tr": ["Yıldırım", "Koç"], "ru": ["Ёлкина", "Жуков"],
}
HOLDOUT_TEMPLATES: dict[str, list[str]] = {
    "en": [
        "From: {name:a} <{email:a}>\nSent: {date}\nSubject: Re: payroll export\n\nOn {date}, {name:b} wrote:\n"
        "> Could you send us the log?\n\nHere it is. Our reference is {reference}. Refunds go to {iban} (BIC {bic}). "
        "Call {phone} if needed.",
        "Please update the billing contact to {name:a} ({email:a}, direct line {phone}). Invoice no. {order} should go "
        "to {address}. Thanks to {first:b} for the quick help last week!",
        "cc: {name:a}\n\nThe kiosk at our warehouse shows error {error} since {version} ({timestamp}). {first:a}'s "
        "badge was scanned {quantity} times. Card used for the add-on: {card} (exp 09/28). Uptime was {percent}.",
        "Requested by: {name:a}\nPhone: {phone}\nReason: refund {price} to {iban}\nTicket {ticket}, logged {timestamp}",
        "I spoke to {first:a} yesterday about order {order}; she said {name:b} from accounting would call me back on "
        "{phone}. Nobody did. My card {card} was charged {price} anyway.\n\nSent from my iPhone",
        "Hello support,\n\nplease ship the replacement terminal to:\n{name:a}\n{address_ml}\n\nand email the "
        "tracking number to {email:a}. Ref {reference}.",
    ],
    "de": [
        "Am {date} schrieb {name:a} <{email:a}>:\n> Bitte senden Sie uns die Logdatei.\n\nAnbei. Rückruf bitte unter "
        "{phone}, Auftragsnummer {reference}.",
        "Bitte ändern Sie den Rechnungsempfänger auf {name:a}, {address}. Tel.: {phone}, E-Mail: {email:a}. Danke an "
        "{first:b} für die schnelle Hilfe!",
        "Zahlung per SEPA: {iban} (BIC {bic})\nKontoinhaberin {name:a}\nKundennummer {order}, Betrag {price}\n-- \n"
        "{name:a}\n{phone_bare}",
        "Frau {last:a} aus der Buchhaltung hat mit der Karte {card} bezahlt: Fehler {error} nach dem Update auf {version}. "
        "Lieferadresse:\n{address_ml}",
        "Hallo,\nich habe gestern mit {first:a} telefoniert. {name:b} aus dem Vertrieb wollte mich unter {phone} "
        "zurückrufen, hat sich aber nicht gemeldet. Rabatt {percent}, Rechnung {reference}.",
    ],
    "fr": [
        "Le {date}, {name:a} <{email:a}> a écrit :\n> Merci de nous envoyer le journal.\n\nVoici le fichier. Rappel au "
        "{phone} svp. Commande n° {order}.",
        "Merci de mettre à jour le contact de facturation : {name:a}, {address}. Tél : {phone} — mail : {email:a}. "
        "Merci à {first:b} pour son aide !",
        "Remboursement de {price} sur le RIB suivant : {iban} (BIC {bic}, titulaire {name:a}). Référence client "
        "{reference}.\n--\n{name:a}\n{phone_bare}",
        "Mme {last:a} de la comptabilité a payé avec la carte {card} ; erreur {error} depuis la version {version}. "
        "Adresse de livraison :\n{address_ml}",
        "J'ai eu {first:a} au téléphone hier : {name:b}, du service commercial, devait me rappeler au {phone}. "
        "Remise de {percent} sur la facture {reference}.",
    ],
    "es": [
        "El {date}, {name:a} <{email:a}> escribió:\n> ¿Nos podéis enviar el registro?\n\nAdjunto. Llamadme al {phone}, "
        "pedido n.º {order}.",
        "Por favor, actualizad el contacto de facturación: {name:a}, {address}. Tel.: {phone}, correo: {email:a}. "
        "¡Gracias a {first:b} por la ayuda!",
        "Reembolso de {price} a la cuenta {iban} (BIC {bic}), titular {name:a}. Referencia {reference}.\n--\n{name:a}\n"
        "{phone_bare}",
        "La Sra. {last:a} de contabilidad pagó con la tarjeta {card}; error {error} desde la versión {version}. "
        "Dirección de entrega:\n{address_ml}",
        "Ayer hablé con {first:a}: {name:b}, de ventas, me iba a llamar al {phone}. Descuento del {percent} en la "
        "factura {reference}.",
    ],
    "pt": [
        "Em {date}, {name:a} <{email:a}> escreveu:\n> Podem enviar o log?\n\nSegue em anexo. Liguem para {phone}, "
        "pedido nº {order}.",
        "Por favor, atualizem o contato de cobrança: {name:a}, {address}. Tel.: {phone}, e-mail: {email:a}. Obrigado "
        "ao {first:b} pela ajuda!",
        "Reembolso de {price} na conta {iban} (BIC {bic}), titular {name:a}. Protocolo {reference}.\n--\n{name:a}\n"
        "{phone_bare}",
        "A Sra. {last:a} do financeiro pagou com o cartão {card}; erro {error} desde a versão {version}. Endereço de "
        "entrega:\n{address_ml}",
    ],
    "it": [
        "Il giorno {date}, {name:a} <{email:a}> ha scritto:\n> Potete inviarci il log?\n\nIn allegato. Richiamatemi "
        "al {phone}, ordine n. {order}.",
        "Aggiornate il contatto di fatturazione: {name:a}, {address}. Tel. {phone}, email {email:a}. Grazie a "
        "{first:b} per l'aiuto!",
        "Rimborso di {price} sul conto {iban} (BIC {bic}), intestato a {name:a}. Riferimento {reference}.\n--\n"
        "{name:a}\n{phone_bare}",
        "La Sig.ra {last:a} dell'amministrazione ha pagato con la carta {card}; errore {error} dalla versione "
        "{version}. Indirizzo di consegna:\n{address_ml}",
    ],
    "nl": [
        "Op {date} schreef {name:a} <{email:a}>:\n> Kunnen jullie het logbestand sturen?\n\nIn de bijlage. Bel me op "
        "{phone}, bestelnummer {reference}.",
        "Graag het factuuradres wijzigen naar {name:a}, {address}. Tel. {phone}, e-mail {email:a}. Dank aan "
        "{first:b} voor de hulp!",
        "Terugbetaling van {price} op rekening {iban} (BIC {bic}) t.n.v. {name:a}. Referentie {order}.\n--\n{name:a}\n"
        "{phone_bare}",
        "Mevrouw {last:a} van de administratie betaalde met kaart {card}; fout {error} sinds versie {version}. "
        "Afleveradres:\n{address_ml}",
    ],
    "ja": [
        "{date} {name:a} <{email:a}> のメッセージ:\n> ログを送っていただけますか。\n\n添付しました。折り返しは{phone}へ。"
        "注文番号：{order}",
        "請求先を{name:a}様（{email:a}）に変更してください。住所：{address}、電話：{phone}。{last:b}さん、先日は"
        "ありがとうございました。",
        "返金{price}は{iban}（口座名義：{name:a}）へお願いします。参照{reference}。\n--\n{name:a}\n{phone_bare}",
        "経理の{last:a}がカード{card}で支払いましたが、{version}からエラー{error}が出ます。稼働率は{percent}です。",
    ],
    "pl": [
        "W dniu {date} {name:a} <{email:a}> napisał(a):\n> Prosimy o przesłanie logów.\n\nW załączniku. Proszę "
        "dzwonić na {phone}, zamówienie nr {order}.",
        "Zwrot {price} na rachunek {iban}, odbiorca {name:a}. Adres: {address}. Karta {card}.\n--\n{name:a}\n{phone_bare}",
    ],
    "sv": [
        "Den {date} skrev {name:a} <{email:a}>:\n> Kan ni skicka loggen?\n\nBifogar den. Ring {phone}, ordernummer "
        "{order}.",
        "Återbetala {price} till {iban}, mottagare {name:a}. Adress: {address}. Kort {card}.\n--\n{name:a}\n{phone_bare}",
    ],
    "tr": [
        "{date} tarihinde {name:a} <{email:a}> şunu yazdı:\n> Kayıt dosyasını gönderebilir misiniz?\n\nEkte. Lütfen "
        "{phone} numarasından arayın, sipariş no {order}.",
        "{price} iadesini {iban} hesabına yapın, alıcı {name:a}. Adres: {address}. Kart {card}.\n--\n{name:a}\n"
        "{phone_bare}",
    ],
    "ru": [
        "{date} {name:a} <{email:a}> написал(а):\n> Пришлите, пожалуйста, журнал.\n\nВо вложении. Перезвоните по "
        "номеру {phone}, заказ № {order}.",
        "Верните {price} на счёт {iban}, получатель {name:a}. Адрес: {address}. Карта {card}.\n--\n{name:a}\n"
        "{phone_bare}",
    ],
}
HOLDOUT_COUNTS: dict[str, int] = {
    "en": 18, "de": 15, "fr": 15, "es": 15, "pt-PT": 6, "pt-BR": 8, "it": 12, "nl": 12, "ja": 12,
    "pl": 6, "sv": 6, "tr": 6, "ru": 6,
}

# Tickets per language (pt is split into pt-PT and pt-BR).
COUNTS: dict[str, int] = {
    "en": 30, "de": 26, "fr": 24, "es": 24, "pt-PT": 11, "pt-BR": 13, "it": 22, "nl": 20, "ja": 20,
    "pl": 12, "sv": 10, "tr": 10, "ru": 10,
}

_SLOT = re.compile(r"\{(\w+)(?::(\w))?\}")


def _person(lang: str, rng: random.Random, holdout: bool = False) -> tuple[str, str]:
    base = lang.split("-")[0]
    first, last = FIRST[base], LAST[base]
    if holdout:
        first, last = FIRST_HOLDOUT[base] + first[:4], LAST_HOLDOUT[base] + last[:4]
    return rng.choice(first), rng.choice(last)


def _full_name(lang: str, person: tuple[str, str]) -> str:
    first, last = person
    if lang == "ja":
        return f"{last}{first}" if sum(map(ord, first)) % 2 else f"{last} {first}"
    return f"{first} {last}"


def fill(template: str, lang: str, country: str, rng: random.Random, number: int, holdout: bool = False) -> dict[str, Any]:
    """One ticket from a template: the text, the planted spans and the decoys, with offsets."""
    base = lang.split("-")[0]
    people: dict[str, tuple[str, str]] = {}
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    decoys: list[dict[str, Any]] = []
    pos = 0
    last_end = 0

    def person(key: str) -> tuple[str, str]:
        if key not in people:
            while True:
                p = _person(lang, rng, holdout)
                if all(p[0] != q[0] and p[1] != q[1] for q in people.values()):
                    break
            people[key] = p
        return people[key]

    for m in _SLOT.finditer(template):
        literal = template[last_end : m.start()]
        parts.append(literal)
        pos += len(literal)
        last_end = m.end()
        slot, who = m.group(1), m.group(2) or "a"
        entry: dict[str, Any]
        if slot in ("name", "first", "last"):
            p = person(who)
            value = {"name": _full_name(base, p), "first": p[0], "last": p[1]}[slot]
            entry = {"type": "name", "format": {"name": "full name", "first": "first name", "last": "surname"}[slot]}
        elif slot == "email":
            value, fmt = make_email(rng, person(who), country, holdout and rng.random() < 0.6)
            entry = {"type": "email", "format": fmt}
        elif slot in ("phone", "phone_bare"):
            value, fmt = make_phone(rng, country, bare=slot == "phone_bare", holdout=holdout)
            entry = {"type": "phone", "format": fmt}
        elif slot == "card":
            value, fmt = make_card_holdout(rng) if holdout and rng.random() < 0.6 else make_card(rng)
            entry = {"type": "card", "format": fmt}
        elif slot == "iban":
            value, fmt = make_iban(rng, country, holdout)
            entry = {"type": "iban", "format": fmt}
        elif slot in ("address", "address_ml"):
            if holdout and rng.random() < 0.6:
                value, fmt, keep, street = _holdout_address(country, rng)
                fmt += " (holdout)"
            else:
                value, fmt, keep, street = ADDRESSES[country](rng)
            if slot == "address_ml" and "\n" not in value:
                head, sep, tail = value.rpartition(", ")
                if sep and re.match(r"(?:[A-Z]{1,2}-)?\d{3,5}(?:[ -]\d{2,3})?(?: [A-Z]{2})? \D", tail):
                    value, fmt = f"{head}\n{tail}", f"{fmt}, two lines"
            entry = {"type": "address", "format": fmt, "keep": keep, "street": street}
        elif slot in DECOY_TYPES:
            value = make_decoy(slot, lang, rng)
            entry = {"type": slot}
        else:
            raise ValueError(f"unknown slot {slot!r} in a {lang} template")
        entry = {"type": entry.pop("type"), "text": value, "start": pos, "end": pos + len(value), **entry}
        (decoys if slot in DECOY_TYPES else spans).append(entry)
        parts.append(value)
        pos += len(value)
    parts.append(template[last_end:])
    text = "".join(parts)
    for e in spans + decoys:
        assert text[e["start"] : e["end"]] == e["text"]
    split = "holdout" if holdout else "dev"
    return {"id": f"{lang}-{'h' if holdout else ''}{number:03d}", "language": lang, "country": country, "split": split,
            "text": text, "spans": spans, "decoys": decoys}


def generate(seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for lang, count in COUNTS.items():
        templates = TEMPLATES[lang.split("-")[0]]
        countries = COUNTRIES[lang]
        for i in range(count):
            template = templates[i % len(templates)]
            country = countries[(i // len(templates) + i) % len(countries)]
            records.append(fill(template, lang, country, rng, i + 1))
    rng = random.Random(seed + 1)  # its own stream: the dev records do not change with the held-out bank
    for lang, count in HOLDOUT_COUNTS.items():
        templates = HOLDOUT_TEMPLATES[lang.split("-")[0]]
        countries = COUNTRIES[lang]
        for i in range(count):
            template = templates[i % len(templates)]
            country = countries[(i // len(templates) + i) % len(countries)]
            records.append(fill(template, lang, country, rng, i + 1, holdout=True))
    return records


def dumps(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    text = dumps(generate(args.seed))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from the generator'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    records = text.count("\n")
    print(f"wrote {records} tickets to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
