"""Remove personal data from ticket text before it becomes knowledge.

Tickets are written by and about people; the knowledge base must only keep the
problem and the fix. Everything here is regex based (precompiled, no models) so a
large export redacts in well under a second, and every pattern errs on the side of
*not* touching ordinary support vocabulary: order numbers, amounts, dates, times,
version numbers and product names survive.

Placeholders: see `PII_PLACEHOLDERS`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Callable

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
IBAN = "[IBAN]"
ADDRESS = "[ADDRESS]"
NAME = "[NAME]"
IP = "[IP]"

PII_PLACEHOLDERS: tuple[str, ...] = (EMAIL, PHONE, CARD, IBAN, ADDRESS, NAME, IP)

# --------------------------------------------------------------------------- letters
# Python's `re` has no \p{Lu}; these ranges cover Latin-1 and Latin Extended-A,
# which is what en/de/es/fr/pt names use.
_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_LO = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżž"
_NAME_WORD = rf"[{_UP}][{_LO}]+(?:[-'’][{_UP}]?[{_LO}]+)*"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|do|dos|das|du|la|le|y|e|zu)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{0,2}}"
_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Señorita|Don|Doña|"
    r"Dona|M|Mme|Mlle|Monsieur|Madame|Mademoiselle|Me)"
)
_TITLES = rf"(?:{_TITLE}\.?[ \t]+){{0,2}}"

# Capitalised words that follow a greeting/sign-off but are not people.
_NOT_NAMES = {
    w.lower()
    for w in """
    team all everyone everybody there folks guys support service services customer customers
    help helpdesk desk admin admins sales billing accounts account technical tech it ops
    the a an this that these it its i my we our you your they he she me us please
    thanks thank regards hello hi hey dear good morning afternoon evening again
    sir madam madame monsieur damen herren zusammen leute kundenservice kundendienst
    support-team supportteam service-team equipo todos todas soporte atención cliente
    clientes señores señoras tout monde équipe mesdames messieurs bonjour merci
    equipe pessoal todos suporte senhores senhoras olá
    ich wir mein meine unser bitte danke grüße gruss gruß viele liebe beste freundliche
    je nous mon ma votre yo tengo mi nosotros eu meu minha nós tenho
    product app application platform system bot assistant
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    urgent important update issue problem error question request ticket order invoice
    not just still also only here now yes no ok okay sorry great
    phone tel telephone mobile cell fax email e-mail mail address call us contact name number
    telefon handy adresse anschrift teléfono móvil celular correo dirección téléphone portable courriel
    telefone endereço billing invoice hr operations manager owner office director head lead assistant
    administrator accountant coordinator supervisor ceo cto cfo coo payroll finance marketing gmbh ltd llc
    inc company restaurant resolved solved done fixed closed attached pending sent regarding re fw fwd
    geschäftsführer geschäftsführerin inhaber inhaberin leiter leiterin gerente director directora jefe
    responsable gérant gérante directeur directrice gerente diretor diretora
    regards best kind warm warmest cheers sincerely yours saludos cordiales atentamente gracias cordialmente
    abrazos cordialement salutations amicalement atenciosamente obrigado obrigada abraços cumprimentos
    att mfg vg lg grüßen grüssen gruß herzliche schöne muchas vielen dank many
    """.split()
}

_GREETING = (
    r"(?:Hi|Hello|Hey|Dear|Good[ \t]+(?:morning|afternoon|evening)|Greetings|"
    r"Hallo|Liebe|Lieber|Sehr[ \t]+geehrte[rs]?|Guten[ \t]+(?:Tag|Morgen|Abend)|Moin|Servus|Grüß[ \t]+Gott|"
    r"Hola|Estimad[oa]s?|Querid[oa]s?|Buen[oa]s(?:[ \t]+(?:días|tardes|noches))?|"
    r"Bonjour|Bonsoir|Salut|Cher|Chère|"
    r"Olá|Oi|Prezad[oa]s?|Car[oa]|Bom[ \t]+dia|Boa[ \t]+(?:tarde|noite)|"
    r"Thanks|Thank[ \t]+you|Danke|Gracias|Merci|Obrigad[oa]|Grazie)"
)
_INTRO = (
    r"(?:this[ \t]+is|my[ \t]+name[ \t]+is|my[ \t]+name's|"
    r"mein[ \t]+Name[ \t]+ist|hier[ \t]+ist|hier[ \t]+spricht|ich[ \t]+heiße|ich[ \t]+heisse|"
    r"soy|me[ \t]+llamo|mi[ \t]+nombre[ \t]+es|le[ \t]+habla|"
    r"je[ \t]+m'appelle|je[ \t]+m’appelle|mon[ \t]+nom[ \t]+est|je[ \t]+suis|ici|c'est|c’est|"
    r"meu[ \t]+nome[ \t]+é|me[ \t]+chamo|sou[ \t]+(?:o|a)|aqui[ \t]+é|eu[ \t]+sou)"
)
_SIGNOFF = (
    r"(?:(?:Best|Kind|Warm|Warmest)?[ \t]*regards|Regards|Best[ \t]+wishes|Best|Cheers|Sincerely|"
    r"Yours[ \t]+(?:sincerely|truly)|Thanks(?:[ \t]+again)?|Thank[ \t]+you|Many[ \t]+thanks|Thx|Ta|"
    r"Mit[ \t]+freundlichen[ \t]+Grüßen|Mit[ \t]+freundlichen[ \t]+Grüssen|Freundliche[ \t]+Grüße|"
    r"(?:Viele|Liebe|Beste|Herzliche|Schöne)[ \t]+Grüße|(?:Viele|Liebe|Beste)[ \t]+Grüsse|Grüße|Gruß|"
    r"MfG|VG|LG|Danke(?:[ \t]+schön)?|Vielen[ \t]+Dank|"
    r"Saludos(?:[ \t]+cordiales)?|Un[ \t]+saludo|Atentamente|Gracias|Muchas[ \t]+gracias|Cordialmente|Abrazos|"
    r"Cordialement|Bien[ \t]+cordialement|Merci(?:[ \t]+beaucoup)?|Bien[ \t]+à[ \t]+vous|Salutations|Amicalement|"
    r"Atenciosamente|Obrigad[oa]|Abraços|Cumprimentos|Att\.?)"
)

_FLAGS = re.MULTILINE


def _c(pattern: str, flags: int = _FLAGS) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# A greeting is at the start of a line/sentence: "Hi John,", "Dear Mr. Smith".
_RE_GREETING = _c(
    rf"(?:^|(?<=[.!?;:,]\s)|(?<=\n))[ \t]*(?i:{_GREETING}),?[ \t]+{_TITLES}(?P<name>{_NAME})"
    r"(?=[ \t]*(?:[,!.:;\-–—]|$|\n))"
)
_RE_INTRO = _c(rf"(?<![\w])(?i:{_INTRO})[ \t]+{_TITLES}(?P<name>{_NAME})")
# A sign-off name stands alone at the end of a line: "Regards,\nJohn Carter".
_RE_SIGNOFF = _c(
    rf"(?<![\w])(?i:{_SIGNOFF})[ \t]*[,.!\-–—]?[ \t]*(?:\r?\n[ \t]*){{0,2}}(?:-{{1,2}}[ \t]*)?"
    rf"{_TITLES}(?P<name>{_NAME})[ \t]*[.!]?[ \t]*"
    r"(?=\r?\n|$|[,|(–—-]|(?:from|at|von|vom|de|da|du|del|do|für|for)[ \t])"
)
# Titles on their own identify a person: "Herr Becker", "Mrs. Smith", "Sra. García".
_RE_TITLED = _c(
    rf"(?<![\w])(?:Mr|Mrs|Ms|Dr|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Mme|Mlle|Monsieur|Madame)\.?[ \t]+"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)

# A bare signature: the last line of a message is only a name ("\nSophie", "\nAntoine Dubois,
# 3 place Bellecour"). Only the final line, only after at least one earlier line.
_RE_SIGNATURE_LINE = re.compile(
    rf"^[ \t]*(?:[-–—]{{1,2}}[ \t]*)?{_TITLES}(?P<name>{_NAME})[ \t]*(?:[,|/(（][^\n]*)?$"
)
# "... are fine. - Daniel Okafor, [EMAIL]" at the very end.
_RE_DASH_SIGNATURE = re.compile(
    rf"[ \t][-–—][ \t]*{_TITLES}(?P<name>{_NAME})[ \t]*(?:,[^\n]*)?[ \t.]*\Z"
)
# "Account holder: Grace Taylor", "Ansprechpartner: Klaus Becker".
_RE_LABELLED = _c(
    r"(?<![\w])(?i:name|full[ \t]+name|account[ \t]+holder|contact(?:[ \t]+person)?|requester|"
    r"ansprechpartner(?:in)?|kontaktperson|nombre|contacto|titular|nom|nome|responsável|responsable)"
    rf"[ \t]*[:：][ \t]*{_TITLES}(?P<name>{_NAME})"
)
# A name right before contact details: "Rafael Lima, [EMAIL]", "Ahmed Hassan ([EMAIL]".
_RE_BEFORE_CONTACT = _c(
    rf"(?<![\w\]])(?P<name>{_NAME})[ \t]*(?:,|\(|:|[-–—])[ \t]*\[(?:EMAIL|PHONE|ADDRESS)\]"
)
_RE_JA_BEFORE_CONTACT = _c(r"(?P<name>[\u4e00-\u9fff]{2,5})[ \t]*[（(][ \t]*\[(?:EMAIL|PHONE|ADDRESS)\]")
_RE_JA_TRAILING = re.compile(r"(?:^|[。？！?!\n])[ \t]*(?P<name>[\u4e00-\u9fff]{2,5})[ \t]*\Z")

# Japanese: "山田太郎です", "山田と申します", "田中様", "佐藤さん".
_KANJI = r"[\u4e00-\u9fff\u3005]"
_RE_JA_DESU = _c(rf"(?:^|(?<=[、。\s「]))(?P<name>{_KANJI}{{2,6}})(?:です|と申します|といいます|と言います)")
_RE_JA_COMPANY_DESU = _c(
    rf"(?:会社|商事|部|課|店|社|院|所|グループ|チーム)の(?P<name>{_KANJI}{{2,5}})(?:です|と申します|といいます)"
)
_RE_JA_HONORIFIC = _c(rf"(?<![おご])(?P<name>{_KANJI}{{1,6}})(?:様|さま|さん|殿|氏)")
_JA_NOT_NAME_ENDINGS = ("皆", "客", "担当", "部", "課", "係", "者", "室", "社", "店", "員", "長")
_JA_NOT_NAMES = {
    "以上", "不明", "大丈夫", "必要", "可能", "不可能", "問題", "確認", "本当", "無理", "了解", "同様",
    "残念", "幸い", "心配", "結構", "何", "正常", "未定", "対応中", "担当", "担当者", "皆", "客",
    "関係者", "各位", "神", "皆様", "利用者", "管理者", "会員", "御社", "貴社", "弊社", "当社",
    "予定", "対応", "完了", "失敗", "成功", "重要", "緊急", "簡単", "便利", "安全", "有料", "無料",
}

# --------------------------------------------------------------------------- patterns
_RE_EMAIL = _c(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_RE_IPV4 = _c(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_RE_IPV6 = _c(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_RE_IBAN = _c(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_RE_CARD = _c(r"(?<![\d+(\-./#])\d(?:[ \-]?\d){12,18}(?![\d\-/])")

_DATE_SHAPE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))$"
)
# Phone numbers: international (+..), parenthesised area codes, US 3-3-4,
# European/Japanese numbers with a leading 0, and any digit run after a phone keyword.
_PHONE_BODY = r"(?:\(\d{1,5}\)[ \t.\-/]?)?\d{1,5}(?:[ \t.\-/]?(?:\(\d{1,5}\)|\d{1,5})){1,6}"
_RE_PHONE_INTL = _c(rf"(?<![\w+])(?:\+|00)[1-9]\d{{0,2}}[ \t.\-/]?{_PHONE_BODY}")
_RE_PHONE_PAREN = _c(r"(?<![\w)])\(\d{2,5}\)[ \t]?\d{2,5}(?:[ \t.\-/]?\d{2,5}){0,3}")
_RE_PHONE_US = _c(r"(?<![\w.\-/])\d{3}[.\-]\d{3}[.\-]\d{4}(?![\w.\-/]\d|\d)")
_RE_PHONE_ZERO = _c(r"(?<![\w.,/\-])0\d{1,4}(?:[ \-/]\d{2,8}){1,4}(?![\w.\-/]\d|\d)|(?<![\w.,/\-])0\d{8,11}(?!\d)")
_RE_PHONE_KEYWORD = _c(
    r"(?i:phone|tel\.?|telephone|mobile|cell|call(?:[ \t]+me)?(?:[ \t]+(?:at|on))?|reach[ \t]+me[ \t]+(?:at|on)|"
    r"whatsapp|sms|text[ \t]+me[ \t]+(?:at|on)|telefon|handy|mobil|rufnummer|telefonnummer|"
    r"teléfono|telefono|móvil|movil|celular|número|numero|téléphone|portable|telefone|"
    r"電話|携帯|連絡先)[^\d\n+()]{0,20}"
    r"(?P<num>(?:\+|00)?\(?\d[\d \t().\-/]{5,22}\d)"
)

_STREET_EN = (
    r"(?:Street|street|St\.?|Avenue|avenue|Ave\.?|Road|road|Rd\.?|Lane|lane|Ln\.?|Boulevard|boulevard|Blvd\.?|"
    r"Drive|drive|Dr\.?|Court|Ct\.?|Way|Place|Pl\.?|Terrace|Close|Crescent|Square|Sq\.?|Highway|Hwy\.?|"
    r"Parkway|Pkwy\.?|Circle|Cir\.?|Trail|Row|Mews|Gardens|Hill)"
)
_RE_ADDR_EN = _c(
    rf"(?<![\w#$€£.,/-])\d{{1,5}}[A-Za-z]?,?[ \t]+(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    rf"(?:[{_UP}][{_LO}'.-]*[ \t]+){{1,4}}{_STREET_EN}(?![\w])"
    r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?[ \t]*#?[\w-]+)?"
)
_DE_SUFFIX = r"(?i:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer|chaussee|steig|pfad|markt)"
_RE_ADDR_DE = _c(
    rf"(?<![\w])(?:[{_UP}][{_LO}-]*[ \t])?(?:[{_UP}][{_LO}-]*{_DE_SUFFIX}|{_DE_SUFFIX})"
    r"[ \t]*\d{1,4}(?:[ \t]?[a-zA-Z])?(?:[ \t]?[-/][ \t]?\d{1,4}[a-z]?)?(?![\w])"
)
_RE_ADDR_FR = _c(
    r"(?<![\w#$€£.,/-])\d{1,4}(?:[ \t]?(?:bis|ter|[A-Za-z]))?,?[ \t]+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|passage|square)[ \t]+"
    rf"(?:(?:de|du|des|la|le|l'|l’|d'|d’|de la)[ \t]*)*[{_UP}][\w'’-]*(?:[ \t]+(?:de|du|des|la|le)?[ \t]*[{_UP}][\w'’-]*)*"
)
_RE_ADDR_ES = _c(
    r"(?<![\w])(?i:calle|c/|avenida|avda\.|paseo|plaza|pza\.|camino|carrera|rua|travessa|praça|alameda|"
    r"estrada|largo)[ \t]+"
    rf"(?:(?:de|del|la|los|las|da|do|dos|das)[ \t]+)*[{_UP}][\w'’.-]*(?:[ \t]+(?:(?:de|del|la|da|do|dos)[ \t]+)?[{_UP}][\w'’.-]*){{0,4}}"
    r",?[ \t]*(?:n\.?[º°o]\.?[ \t]*)?\d{1,5}(?:[ \t]?[A-Za-z])?(?![\w])"
    r"(?:,?[ \t]*\d{1,2}[º°ª]?(?:[ \t]?[A-Za-z])?(?![\w]))?"
)
_RE_POSTCODE_CITY = _c(
    rf"(?<![\w#$€£.,:/-])(?:[A-Z]{{1,2}}-)?\d{{5}}[ \t]+(?P<city>[{_UP}][{_LO}]+(?:[- ][{_UP}][{_LO}]+)?)"
    rf"(?:[ \t](?:am|an[ \t]der|im|sur|de|del|an)[ \t][{_UP}][{_LO}]+)?(?![\w])"
)
_RE_POSTCODE_PT = _c(rf"(?<![\w-])\d{{4}}-\d{{3}}[ \t]+[{_UP}][{_LO}]+(?:[ \t][{_UP}][{_LO}]+)?")
_RE_POSTCODE_UK = _c(
    rf"(?<![\w-])(?:[{_UP}][{_LO}]+,?[ ])?(?:[A-Z]{{1,2}}\d[A-Z\d]?|GIR)[ ]\d[A-Z]{{2}}(?![\w])"
)
_US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_US_AMBIGUOUS = {"ID", "OR", "IN", "ME", "OK", "OH", "HI", "DE", "LA", "PA", "MA", "CO", "AL"}
_RE_POSTCODE_US = _c(
    rf"(?<![\w])(?P<city>(?:[{_UP}][{_LO}]+[ \t]){{0,2}}[{_UP}][{_LO}]+,[ \t]?)?"
    rf"(?P<state>{'|'.join(_US_STATES)})[ \t]\d{{5}}(?:-\d{{4}})?(?![\w])"
)
_RE_POSTCODE_JA = _c(r"〒[ \t]?\d{3}-?\d{4}")
_RE_POSTCODE_BR = _c(r"(?<![\w-])\d{5}-\d{3}(?![\w-])")
_RE_ADDR_JA = _c(
    r"(?:東京都|北海道|(?:京都|大阪)府|[\u4e00-\u9fff]{2,3}県)[\u4e00-\u9fff\u3005\u30a0-\u30ffヶケ]{1,12}?[市区町村郡]"
    r"[\u4e00-\u9fff\u3005\u3040-\u30ffヶケ]{0,12}?\d+(?:[-−ー‐丁目番地号の]+\d+){0,3}(?:号|番地)?"
)
_RE_ADDR_RUN = _c(r"\[ADDRESS\](?:[ \t]*[,;]?[ \t]*(?:\r?\n[ \t]*)?\[ADDRESS\])+")
_CITY_STOP = {
    "order", "orders", "items", "item", "points", "euro", "euros", "users", "user", "seats", "licenses",
    "licences", "tickets", "errors", "error", "requests", "messages", "rows", "records", "files",
    "bytes", "emails", "contacts", "products", "units", "pieces", "pages", "views", "customers",
    "accounts", "invoices", "times", "minutes", "seconds", "hours", "days", "credits", "tokens",
    "calls", "events", "entries", "jobs", "steps", "attempts", "results", "members", "downloads",
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    try:
        num = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return num % 97 == 1


def _digit_count(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _looks_like_date_or_version(s: str) -> bool:
    t = s.strip()
    return bool(_DATE_SHAPE.match(t))


class Redactor:
    """Precompiled redaction; `names` are people known to be in the text (e.g. the requester).

    `keep_terms` are words that look like names in a greeting but are not people, such as
    product and company names ("Hi Fernbook team"): settings.product_terms.
    """

    def __init__(self, names: Iterable[str] = (), keep_terms: Iterable[str] = ()) -> None:
        self.names = tuple(n for n in names if n)
        self.keep = frozenset(t.lower() for t in keep_terms if t)

    def _kept(self, name: str) -> bool:
        return all(w.lower().strip(".,") in self.keep for w in name.split())

    # -- public -------------------------------------------------------------
    def redact(self, text: str, names: Iterable[str] = ()) -> str:
        """Replace personal data in `text` with placeholders from `PII_PLACEHOLDERS`."""
        if not text:
            return text
        return self.redact_many([text], names)[0]

    def redact_many(self, texts: Iterable[str], names: Iterable[str] = ()) -> list[str]:
        """Redact related texts together (a ticket's subject, question and answer): a name
        detected in one ("Regards, Maria Lopez") is also removed from the others ("Hi Maria")."""
        all_names = self.names + tuple(n for n in names if n)
        staged = [self._structured(t, all_names) if t else t for t in texts]
        found: set[str] = set()
        for t in staged:
            if t:
                found.update(n for n in detect_names(t) if not self._kept(n))
        if not found:
            return staged
        return [_replace_known_names(t, tuple(found)) if t else t for t in staged]

    @staticmethod
    def _structured(text: str, names: tuple[str, ...]) -> str:
        # Emails first (a name inside an address must not split it), then known names so
        # that no later pattern consumes half of a name.
        out = _RE_EMAIL.sub(EMAIL, text)
        out = _replace_known_names(out, names)
        out = _sub_checked(_RE_IPV4, out, IP, _ipv4_ok)
        out = _sub_checked(_RE_IPV6, out, IP, _ipv6_ok)
        out = _sub_checked(_RE_IBAN, out, IBAN, _iban_candidate_ok)
        out = _sub_checked(_RE_CARD, out, CARD, _card_ok)
        out = _redact_addresses(out)
        out = _redact_phones(out)
        return out


def _sub_checked(
    pattern: re.Pattern[str], text: str, placeholder: str, ok: Callable[[re.Match[str]], bool]
) -> str:
    def repl(m: re.Match[str]) -> str:
        return placeholder if ok(m) else m.group(0)

    return pattern.sub(repl, text)


def _ipv4_ok(m: re.Match[str]) -> bool:
    parts = m.group(0).split(".")
    if not all(0 <= int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in parts):
        return False
    # "version 1.2.3.4" / "v1.2.3.4" is a build number, not a host.
    before = m.string[max(0, m.start() - 10) : m.start()].lower()
    return not re.search(r"(?:\b(?:version|ver\.?|release|build)|\bv)\s*$", before)


def _ipv6_ok(m: re.Match[str]) -> bool:
    s = m.group(0)
    if s.count(":") < 2 or ("::" not in s and s.count(":") < 4):
        return False
    if not re.search(r"[0-9A-Fa-f]", s):
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


def _iban_candidate_ok(m: re.Match[str]) -> bool:
    s = m.group(0).rstrip()
    if _iban_ok(s):
        return True
    before = m.string[max(0, m.start() - 12) : m.start()].lower()
    return "iban" in before and len(s.replace(" ", "")) >= 15


def _card_ok(m: re.Match[str]) -> bool:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    if _looks_like_date_or_version(raw):
        return False
    return _luhn_ok(digits)


def _redact_addresses(text: str) -> str:
    if not any(ch.isdigit() for ch in text):
        return text
    out = _RE_ADDR_EN.sub(ADDRESS, text)
    out = _RE_ADDR_DE.sub(ADDRESS, out)
    out = _RE_ADDR_FR.sub(ADDRESS, out)
    out = _RE_ADDR_ES.sub(ADDRESS, out)
    out = _RE_POSTCODE_JA.sub(ADDRESS, out)
    out = _RE_ADDR_JA.sub(ADDRESS, out)

    def city_repl(m: re.Match[str]) -> str:
        city = m.group("city")
        if city.split()[0].lower() in _CITY_STOP:
            return m.group(0)
        return ADDRESS

    out = _RE_POSTCODE_CITY.sub(city_repl, out)
    out = _RE_POSTCODE_PT.sub(ADDRESS, out)
    out = _RE_POSTCODE_BR.sub(ADDRESS, out)
    out = _RE_POSTCODE_UK.sub(ADDRESS, out)

    def us_repl(m: re.Match[str]) -> str:
        if m.group("state") in _US_AMBIGUOUS and not m.group("city"):
            return m.group(0)
        return ADDRESS

    out = _RE_POSTCODE_US.sub(us_repl, out)
    if out.count(ADDRESS) > 1:
        out = _RE_ADDR_RUN.sub(ADDRESS, out)
    return out


def _phone_ok(s: str, min_digits: int = 7) -> bool:
    n = _digit_count(s)
    if not min_digits <= n <= 15:
        return False
    return not _looks_like_date_or_version(s)


def _redact_phones(text: str) -> str:
    if _digit_count(text) < 7:
        return text

    def kw_repl(m: re.Match[str]) -> str:
        num = m.group("num").rstrip(" \t.-/(")
        if not _phone_ok(num):
            return m.group(0)
        start = m.start("num") - m.start()
        return m.group(0)[:start] + PHONE + m.group(0)[start + len(num) :]

    out = _RE_PHONE_KEYWORD.sub(kw_repl, text)

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        trimmed = s.rstrip(" \t.-/")
        return PHONE + s[len(trimmed) :] if _phone_ok(trimmed) else s

    out = _RE_PHONE_INTL.sub(repl, out)
    out = _RE_PHONE_PAREN.sub(repl, out)
    out = _RE_PHONE_US.sub(repl, out)

    def zero_repl(m: re.Match[str]) -> str:
        s = m.group(0)
        return PHONE if _phone_ok(s, 9) else s

    out = _RE_PHONE_ZERO.sub(zero_repl, out)
    return out


def _valid_name(name: str) -> str | None:
    """Trim a captured name at the first word that is not a name; None if nothing is left."""
    words = name.split()
    kept: list[str] = []
    for w in words:
        low = w.lower().strip("'’")
        if low in _NOT_NAMES or any(p in _NOT_NAMES for p in re.split(r"[-'’]", low)):
            break
        kept.append(w)
    while kept and re.fullmatch(_PARTICLE, kept[-1]):
        kept.pop()
    if not kept:
        return None
    return " ".join(kept)


def _signature_names(text: str) -> set[str]:
    """Names standing alone in the closing lines (a signature), possibly followed by contact lines."""
    found: set[str] = set()
    lines = [ln for ln in text.rstrip().split("\n")]
    if len(lines) < 2:
        m = _RE_DASH_SIGNATURE.search(text.rstrip())
        if m and (name := _valid_name(m.group("name"))):
            found.add(name)
        return found
    m = _RE_DASH_SIGNATURE.search(text.rstrip())
    if m and (name := _valid_name(m.group("name"))):
        found.add(name)
    # Walk up from the last line over at most 5 short lines.
    for idx in range(len(lines) - 1, max(0, len(lines) - 6), -1):
        line = lines[idx].strip()
        if not line:
            continue
        if len(line) > 100:
            break
        m = _RE_SIGNATURE_LINE.match(line)
        if m and (name := _valid_name(m.group("name"))) and name == m.group("name").strip():
            found.add(name)
            continue
        contact_like = "[" in line or (len(line) <= 60 and not re.search(r"[.?!。？！:]\s*$|[.?!]\s", line))
        if not contact_like:
            break
    return found


def detect_names(text: str) -> list[str]:
    """People's names found from context (greetings, sign-offs, introductions, signatures)."""
    found: set[str] = set()
    if not text:
        return []
    stripped = text.rstrip()
    for rx in (_RE_GREETING, _RE_INTRO, _RE_SIGNOFF, _RE_TITLED, _RE_LABELLED, _RE_BEFORE_CONTACT):
        pos = 0
        while (m := rx.search(stripped, pos)) is not None:
            name = _valid_name(m.group("name"))
            if name:
                found.add(name)
                pos = m.end()
            else:  # "Obrigado.\nAtenciosamente, João": retry from the rejected word
                pos = max(m.start("name"), m.start() + 1)
    found |= _signature_names(stripped)
    if _has_cjk(text):
        for rx in (_RE_JA_DESU, _RE_JA_COMPANY_DESU, _RE_JA_HONORIFIC, _RE_JA_BEFORE_CONTACT, _RE_JA_TRAILING):
            for m in rx.finditer(stripped):
                name = m.group("name")
                if name not in _JA_NOT_NAMES and not name.endswith(_JA_NOT_NAME_ENDINGS):
                    found.add(name)
    return sorted(found)


def _has_cjk(s: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" for ch in s)


def _name_variants(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Full names (case-insensitive) and their single-word parts (case-sensitive)."""
    full: set[str] = set()
    parts: set[str] = set()
    for raw in names:
        n = " ".join(str(raw).split())
        if len(n) < 2:
            continue
        full.add(n)
        words = n.split(" ")
        if len(words) > 1:
            for w in words:
                w = w.strip(".,")
                if len(w) >= 2 and not re.fullmatch(_PARTICLE, w) and w.lower() not in _NOT_NAMES:
                    parts.add(w)
    return sorted(full, key=len, reverse=True), sorted(parts - full, key=len, reverse=True)


def _replace_known_names(text: str, names: tuple[str, ...]) -> str:
    if not names:
        return text
    full, parts = _name_variants(names)
    out = text
    cjk = [n for n in full if _has_cjk(n)]
    latin = [n for n in full if not _has_cjk(n)]
    if latin:
        alts = "|".join(r"[ \t]+".join(re.escape(w) for w in n.split(" ")) for n in latin)
        out = re.sub(rf"(?<![\w\[])(?:{alts})(?![\w\]])", NAME, out, flags=re.IGNORECASE)
    if cjk:
        # Japanese has no spaces between words: no word boundaries to check.
        alts = "|".join(r"[ \t\u3000]*".join(re.escape(w) for w in n.split(" ")) for n in cjk)
        out = re.sub(alts, NAME, out)
    latin_parts = [p for p in parts if not _has_cjk(p)]
    cjk_parts = [p for p in parts if _has_cjk(p)]
    if latin_parts:
        alts = "|".join(re.escape(p) for p in latin_parts)
        out = re.sub(rf"(?<![\w\[])(?:{alts})(?![\w\]])", NAME, out)
    if cjk_parts:
        out = re.sub("|".join(re.escape(p) for p in cjk_parts), NAME, out)
    # "[NAME] [NAME]" from a first and last name matched separately.
    out = re.sub(r"\[NAME\](?:[ \t]+\[NAME\])+", NAME, out)
    return out


_DEFAULT = Redactor()


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Replace personal data with placeholders; `names` are people known to appear in the text."""
    return _DEFAULT.redact(text, names)


def redact_many(texts: Iterable[str], names: Iterable[str] = ()) -> list[str]:
    """Redact several texts about the same people; names found in one are removed from all."""
    return _DEFAULT.redact_many(texts, names)
