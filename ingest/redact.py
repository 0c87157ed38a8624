"""Remove personal data from ticket text before it becomes knowledge.

Tickets are written by and about people; the knowledge base must only keep the
problem and the fix. Everything here is regex based (precompiled, no models) so a
large export redacts in well under a second, and every pattern errs on the side of
*not* touching ordinary support vocabulary: order numbers, amounts, dates, times,
version numbers and product names survive.

* E-mail addresses, card numbers (Luhn-checked) and IBANs (checksum and length per country,
  any case, grouped or not) are found by their shape alone.
* Phone numbers are read as whole runs of digit groups ("+49 (0)30 1234 5678", "06.12.34.56.78",
  "(11) 91234-5678", "０３－１２３４－５６７８"): a run is a phone number when its shape says so
  (a country prefix, an area code in brackets, a trunk 0, three or more digit groups) or a phone
  word in any of the supported languages comes before it, and not when an identifier word
  ("order", "Rechnung", "pedido", "注文") does, or it is a date, a version, an amount.
* Addresses: street forms of many countries (number first or last, street words and suffixes,
  unit and floor parts), joined with their postcode and city into one placeholder.
* Names are found from context (greetings, sign-offs, introductions, roles such as "my colleague",
  labels such as "account holder", signatures, Japanese honorifics) in Latin and Cyrillic script
  and Japanese, and removed wherever else they occur in the same texts.

Placeholders: see `PII_PLACEHOLDERS`.
"""

from __future__ import annotations

import difflib
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
# Python's `re` has no \p{Lu}; these ranges cover Latin-1, Latin Extended-A (the Latin-script
# languages the service supports) and Cyrillic (Russian, Ukrainian).
_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽȘȚА-ЯЁЄІЇҐ"
_LO = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĵķĺļľŀłńņňōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżžșțа-яёєіїґ"
_NAME_WORD = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[-'’][{_UP}]?[{_LO}]+)*"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|do|dos|das|du|la|le|y|e|zu|ten|ter|op|'t)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_NAME_WORD}){{0,3}}"
_FULL_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_NAME_WORD}){{1,3}}"
_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Señorita|Don|Doña|"
    r"Dona|M|Mme|Mlle|Monsieur|Madame|Mademoiselle|Me|Sig|Sig\.ra|Sig\.na|Signor|Signora|Dott|Dott\.ssa|"
    r"Pan|Pani|Panie|Dhr|Mevr|Meneer|Mevrouw|Hr|Fr|Bay|Bayan|Г-н|Г-жа|Господин|Госпожа)"
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
    kontakt contacto contato contatti contatto tel. mobiel mobil cep gsm telefono telefoon telefone tél tlf
    adres adress adresse indirizzo endereço dirección адрес telefonu numer e-post correo-e sent from
    bei für mit vom zum zur auf aus nach über unter rückfragen fragen frage
    saluti cordiali distinti grazie ciao buongiorno buonasera gentile gentili salve caro cara saluto
    groeten groetjes groet hartelijke vriendelijke bedankt hoi beste geachte goedemorgen goedemiddag
    pozdrawiam poważaniem dziękuję pozdrowienia serdecznie szanowny szanowna szanowni witam cześć
    hälsningar hälsning vänliga mvh tack hej hejsan hallå venlig vennlig hilsen hilsner med tak takk
    saygılarımla teşekkürler teşekkür selamlar sevgiler merhaba sayın iyi günler çalışmalar
    terveisin ystävällisin kiitos hei pozdravem děkuji dobrý stimă mulțumesc üdvözlettel köszönöm
    команда поддержка спасибо уважением здравствуйте уважаемый уважаемая добрый день привет
    ekibi teamet zespół squadra ekip
    ihr ihre ihren euer eure vos su sus seu sua vostro vostra uw jullie din ditt das die los las il gli
    het een ein eine un una uno um uma time agente agent agents representante representative servicio serviço
    atención atendimento kundensupport consultor consultant técnico specialist especialista asesor advisor
    information informationen información informação informazioni informatie details
    kunde kundin client cliente klant müşteri practices practice ihnen dir euch wünsche sincèrement mesa
    serviços mr mrs ms dr prof herr frau
    """.split()
}
# Organisation words: a greeting or sign-off whose words run into one of these ("Dell Customer Support
# Team", "El Equipo de Soporte", "Ihr Kundenservice") names a team or company, not a person.
_ORG_WORDS = {
    w
    for w in """
    team support service services customer customers helpdesk desk sales billing operations department
    kundenservice kundendienst kundensupport equipo equipe soporte suporte servicio serviço atención atendimento
    time agente agent squadra assistenza servizio klantenservice klantendienst ekibi teamet zespół obsługa
    kundtjänst команда поддержка служба
    """.split()
}
# Compound nouns with these endings are teams or job titles ("Kundenserviceteam", "Projektmanager").
_NOT_NAME_ENDINGS = (
    "team", "service", "support", "abteilung", "dienst", "manager", "leiter", "leiterin", "berater", "beraterin",
    "assistent", "assistentin", "verwaltung", "zentrale", "desk", "center", "centre", "zentrum", "gruppe",
    "betreuung",
)

def _trie(words: str) -> str:
    """One regex for a whitespace-separated list of words, factored by common prefixes so that the
    engine follows one branch per letter instead of trying every word in turn (the lists below are
    long, and tried at every word of every ticket). In a word, "_" stands for spaces and a final "*"
    for any further letters ("call*": call, calls, calling)."""
    tree: dict[str, dict] = {}
    for word in words.split():
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            piece = r"[ \t]+" if ch == "_" else (r"\w*" if ch == "*" else re.escape(ch))
            alts.append(piece + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return body + "?" if len(alts) == 1 and len(body) == 1 else f"(?:{body})?"
        return body

    return f"(?:{emit(tree)})"


_GREETING_WORDS = (
    """hi hello hey dear good_morning good_afternoon good_evening greetings
    hallo liebe lieber sehr_geehrte sehr_geehrter sehr_geehrtes guten_tag guten_morgen guten_abend moin servus grüß_gott
    hola estimado estimada estimados estimadas querido querida queridos queridas buenos_días buenas_tardes
    buenas_noches buenos buenas bonjour bonsoir salut cher chère
    olá oi prezado prezada prezados prezadas caro cara bom_dia boa_tarde boa_noite
    ciao buongiorno buonasera gentile gentili egregio egregia salve
    hoi beste geachte goedemorgen goedemiddag goedenavond
    dzień_dobry witam szanowny szanowna szanowni cześć drogi droga
    hej hejsan hallå hei kære kjære bästa kära
    merhaba sayın selam değerli
    hyvä dobrý_den vážený vážená bună_ziua stimate stimată kedves halo
    здравствуйте добрый_день добрый_вечер доброе_утро уважаемый уважаемая уважаемые привет дорогой дорогая
    thanks thank_you danke gracias merci obrigado obrigada grazie"""
)
_GREETING = _trie(_GREETING_WORDS)
_INTRO_WORDS = (
    """this_is my_name_is my_name's mein_name_ist hier_ist hier_spricht ich_heiße ich_heisse
    soy me_llamo mi_nombre_es le_habla
    je_m'appelle je_m’appelle mon_nom_est je_suis ici c'est c’est
    meu_nome_é me_chamo sou_o sou_a aqui_é eu_sou
    mi_chiamo il_mio_nome_è qui_è mijn_naam_is ik_heet nazywam_się z_tej_strony
    jag_heter mitt_namn_är jeg_heter mit_navn_er adım benim_adım меня_зовут моё_имя мое_имя
    hier_schreibt es_schreibt os_escribe le_escribe les_escribe vi_scrive le_scrive ti_scrive vous_écrit
    det_är här_är här_skriver aqui_fala quem_fala"""
)
_INTRO = _trie(_INTRO_WORDS)
# "I'm Ethan Prescott", "ich bin Lena Lindemann": these words also start ordinary sentences
# ("ich bin Kunde"), so only a first and last name count.
_INTRO_FULL_WORDS = ("i'm i’m i_am ich_bin sono ik_ben jestem jag_är jeg_er ben я это")
_INTRO_FULL = _trie(_INTRO_FULL_WORDS)
# Words for a person's relation before their name: "my colleague Maria Lopez", "ask for Tom Baker".
_RELATION_WORDS = (
    """colleague co-worker coworker supervisor contact_person
    kollege kollegin ansprechpartner ansprechpartnerin collègue compañero compañera colega collega
    koleżanka kolega kollega kollegan arkadaşım коллега
    ask_for speak_to speak_with talk_to on_behalf_of attention_of attn attn. c/o
    verlangen_sie fragen_sie_nach im_auftrag_von z.hd z.hd. z._hd z._hd.
    demandez demander de_la_part_de à_l'attention_de
    preguntad_por pregunte_por preguntar_por en_nombre_de falem_com fale_com falar_com em_nome_de
    chiedete_di chieda_di chiedere_di per_conto_di vraag_naar namens fråga_efter спросите попросите"""
)
_RELATION = _trie(_RELATION_WORDS)
# Job titles are also ordinary nouns ("the admin Panel", "unsere Mitarbeiter Schichten"): they name
# a person only after a possessive ("our scheduler Olivia Thornbury", "unsere Disponentin Lena Kühnel").
_POSSESSIVE_WORDS = (
    """my our mein meine unser unsere notre mon ma nuestro nuestra mi o_nosso a_nossa o_meu a_minha
    il_nostro la_nostra il_mio la_mia onze mijn moja mój nasz nasza min vår vårt benim bizim мой моя наш наша"""
)
_POSSESSIVE = _trie(_POSSESSIVE_WORDS)
_JOB = _trie(
    """manager office_manager scheduler planner accountant bookkeeper assistant boss admin administrator owner
    technician disponent disponentin buchhalter buchhalterin chef chefin planer planerin vorgesetzte vorgesetzter
    planificateur planificatrice comptable gérant gérante assistante planificador planificadora contable jefe jefa
    encargado encargada gerente planejador planejadora contador contadora pianificatore pianificatrice contabile
    responsabile boekhouder leidinggevende beheerder kierownik kierowniczka księgowa księgowy planista planistka
    planerare müdür muhasebeci менеджер бухгалтер руководитель администратор"""
)
# "Thanks to Anna", "Danke an Jonas", "Merci à Théo", "I spoke to Mei", "ich habe mit Ute telefoniert".
_THANKS_TO_WORDS = (
    """thanks_to thank_you_to many_thanks_to kudos_to shout-out_to danke_an dank_an vielen_dank_an
    merci_à gracias_a obrigado_ao obrigado_à obrigado_a obrigada_ao obrigada_à obrigada_a grazie_a dank_aan
    bedankt_aan tack_till dziękuję_dla dziękuję_panu dziękuję_pani спасибо
    spoke_to spoke_with talked_to talked_with chatted_with met_with spoken_to spoken_with talking_to talking_with
    speaking_to speaking_with emailed called phoned rang
    habe_mit habe_gestern_mit habe_heute_mit hatte_mit hatte_gestern_mit gesprochen_mit
    j'ai_eu j'ai_appelé j'ai_contacté j'ai_parlé_à j'ai_parlé_avec nous_avons_eu parlé_à parlé_avec
    hablé_con hablado_con llamé_a falei_com conversei_com liguei_para ho_parlato_con parlato_con ho_sentito
    gesproken_met gebeld_met pratade_med rozmawiałem_z rozmawiałam_z görüştüm говорил_с говорила_с"""
)
_THANKS_TO = _trie(_THANKS_TO_WORDS)
# "Sabine Wiegand from accounting", "Lena Kühnel aus dem Vertrieb", "Inès Moreau, du service commercial".
_DEPARTMENT = _trie(
    """accounting accounts billing sales finance payroll marketing purchasing legal
    buchhaltung vertrieb personalabteilung lohnbuchhaltung einkauf verwaltung personal geschäftsleitung
    comptabilité service_commercial direction achats ventas contabilidad recursos_humanos administración compras
    financeiro vendas contabilidade administrativo amministrazione contabilità vendite ufficio
    administratie boekhouding verkoop inkoop księgowości księgowość sprzedaży ekonomi försäljning
    muhasebe satış бухгалтерии отдела 経理"""
)
_SIGNOFF_WORDS = (
    """regards best_regards kind_regards warm_regards warmest_regards best_wishes best cheers sincerely
    yours_sincerely yours_truly thanks thanks_again thank_you many_thanks thx ta
    mit_freundlichen_grüßen mit_freundlichen_grüssen freundliche_grüße viele_grüße liebe_grüße beste_grüße
    herzliche_grüße schöne_grüße viele_grüsse liebe_grüsse beste_grüsse grüße gruß mfg vg lg danke danke_schön
    vielen_dank
    saludos saludos_cordiales un_saludo atentamente gracias muchas_gracias cordialmente abrazos
    cordialement bien_cordialement merci merci_beaucoup bien_à_vous salutations amicalement
    atenciosamente obrigado obrigada abraços cumprimentos att att.
    cordiali_saluti distinti_saluti saluti un_saluto grazie grazie_mille a_presto
    met_vriendelijke_groet met_vriendelijke_groeten vriendelijke_groet vriendelijke_groeten hartelijke_groet
    hartelijke_groeten groeten groetjes groet bedankt dank_je dank_je_wel dank_u dank_u_wel mvg
    pozdrawiam z_poważaniem dziękuję pozdrowienia serdecznie_pozdrawiam
    med_vänliga_hälsningar vänliga_hälsningar hälsningar hälsning mvh tack tack_på_förhand
    med_venlig_hilsen venlig_hilsen med_vennlig_hilsen vennlig_hilsen hilsen takk tak
    saygılarımla teşekkürler teşekkür_ederim iyi_çalışmalar sevgiler selamlar
    ystävällisin_terveisin terveisin kiitos s_pozdravem děkuji cu_stimă mulțumesc üdvözlettel köszönöm
    hormat_saya terima_kasih с_уважением спасибо с_наилучшими_пожеланиями всего_доброго"""
)
_SIGNOFF = _trie(_SIGNOFF_WORDS)

_FLAGS = re.MULTILINE



def _c(pattern: str, flags: int = _FLAGS) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# A greeting is at the start of a line/sentence: "Hi John,", "Dear Mr. Smith".
_RE_GREETING = _c(
    rf"(?:^|(?<=[.!?;:,]\s)|(?<=\n))[ \t]*(?i:{_GREETING}),?[ \t]+{_TITLES}(?P<name>{_NAME})"
    r"(?=[ \t]*(?:[,!.:;\-–—]|$|\n))"
)
_RE_INTRO = _c(rf"(?<![\w])(?i:{_INTRO})[ \t]+{_TITLES}(?P<name>{_NAME})")
_RE_THANKS_TO = _c(rf"(?<![\w])(?i:{_THANKS_TO})[ \t]+{_TITLES}(?P<name>{_NAME})(?![\w])")
_RE_FROM_DEPARTMENT = _c(
    rf"(?<![\w])(?P<name>{_FULL_NAME})[ \t]*,?[ \t]+(?i:from|of|aus|vom|von|du|de|del|da|do|dell'|della|dall'|dalla|"
    r"van|från|z|ze)[ \t]+(?i:the[ \t]+|dem[ \t]+|der[ \t]+|la[ \t]+|l'|il[ \t]+|de[ \t]+la[ \t]+|het[ \t]+|)"
    rf"(?i:{_DEPARTMENT})(?![\w])"
)
# "Anna Berg <[EMAIL]>" (a display name), "On 3 May, Anna Berg wrote:", "Am 3.5. schrieb Jonas Kessler:".
_RE_DISPLAY_NAME = _c(rf"(?<![\w])(?P<name>{_NAME})[ \t]*[<＜(][ \t]*\[EMAIL\][ \t]*[>＞)]")
_WROTE = _trie(
    "wrote schrieb a_écrit escribió escreveu ha_scritto schreef skrev napisał napisał(a) napisała yazdı şunu_yazdı "
    "написал написал(а) написала"
)
_RE_WROTE_HINT = re.compile(rf"(?i:{_WROTE})")
_RE_DEPARTMENT_HINT = re.compile(rf"(?i:(?<![\w]){_DEPARTMENT}(?![\w]))")
_RE_DISPLAY_HINT = re.compile(r"[<＜(][ \t]*\[EMAIL\]")
_RE_WROTE = _c(
    rf"(?<![\w])(?P<name>{_NAME})[ \t]*(?:<[^>\n]{{0,80}}>)?[ \t]*,?[ \t]*(?i:{_WROTE})"
)
_RE_WROTE_BEFORE = _c(rf"(?<![\w])(?:schrieb|schreef|skrev)[ \t]+{_TITLES}(?P<name>{_NAME})")
# "Marta Kowalski here", "Jonas Becker hier": a first and last name that introduces itself.
_RE_NAME_HERE = _c(rf"(?:^|(?<=[-—–,.!:;]\s)|(?<=\n))[ \t]*(?P<name>{_FULL_NAME})[ \t]+(?i:here|hier|aquí|ici|qui|aqui)(?![\w])")
# A name alone on a line above an address: "Ship to:\nAnna Berg\n[ADDRESS]".
_RE_NAME_OVER_ADDRESS = _c(rf"^[ \t]*{_TITLES}(?P<name>{_NAME})[ \t]*,?[ \t]*\r?\n[ \t]*\[ADDRESS\]")
_RE_INTRO_FULL = _c(rf"(?<![\w])(?i:{_INTRO_FULL})[ \t]+{_TITLES}(?P<name>{_FULL_NAME})")
_RE_ROLE = _c(
    rf"(?<![\w])(?:(?i:{_RELATION})|(?i:{_POSSESSIVE})[ \t]+(?i:{_JOB}))(?![\w])"
    rf"(?:[ \t]+(?i:is|ist|est|es|é|è|är|er))?[ \t]*[,:]?[ \t]+{_TITLES}(?P<name>{_NAME})"
)
# A sign-off name stands alone at the end of a line: "Regards,\nJohn Carter".
_RE_SIGNOFF = _c(
    rf"(?<![\w])(?i:{_SIGNOFF})[ \t]*[,.!\-–—]?[ \t]*(?:\r?\n[ \t]*){{0,2}}(?:-{{1,2}}[ \t]*)?"
    rf"{_TITLES}(?P<name>{_NAME})[ \t]*[.!]?[ \t]*"
    r"(?=\r?\n|$|[,|(–—-]|(?:from|at|von|vom|de|da|du|del|do|für|for)[ \t])"
)
# Titles on their own identify a person: "Herr Becker", "Mrs. Smith", "Sra. García".
_RE_TITLED = _c(
    r"(?<![\w])(?:Mr|Mrs|Ms|Dr|Herr|Frau|Sr|Sra|Srta|Señor|Señora|Mme|Mlle|Monsieur|Madame|Sig\.ra|Sig|Signor|"
    r"sig\.ra|sig\.na|sig|dott\.ssa|dott|sr|sra|"
    r"Signora|Dott|Dott\.ssa|Pan|Pani|Panie|Dhr|Mevr|Meneer|Mevrouw|Sayın|Г-н|Г-жа|Господин|Госпожа)\.?[ \t]+"
    rf"(?P<name>(?:{_PARTICLE}[ \t]+){{0,2}}{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
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
# "Account holder: Grace Taylor", "Ansprechpartner: Klaus Becker", "titulaire : Inès Moreau".
_LABEL_COLON_WORDS = (
    """name full_name nombre nom nome navn namn imię_i_nazwisko имя фио
    from von de da van från od kimden от sender absender expéditeur remitente remetente mittente afzender
    to an à para a aan till do kime кому cc bcc kopie copie contact holder recipient attention
    requested_by reported_by submitted_by created_by opened_by assigned_to requester reporter customer client
    cliente kunde kundin klant klient müşteri клиент angefragt_von erstellt_von gemeldet_von demandé_par
    solicitado_por richiesto_da aangevraagd_door"""
)
_LABEL_COLON = _trie(_LABEL_COLON_WORDS)
_LABEL_WORDS = (
    """account_holder contact_person requester cardholder card_holder
    ansprechpartner ansprechpartnerin kontaktperson kontoinhaber kontoinhaberin karteninhaber karteninhaberin
    contacto titular titulaire responsável responsable intestatario intestataria intestato_a intestata_a
    rekeninghouder tenaamstelling t.n.v. ten_name_van recipient beneficiary payee empfänger empfängerin
    zahlungsempfänger zahlungsempfängerin bénéficiaire destinataire beneficiario beneficiaria destinatario
    destinataria beneficiário begunstigde ontvanger odbiorca mottagare alıcı właściciel właściciel_konta
    kontohavare kontoinnehavare hesap_sahibi kart_sahibi владелец владелица владелец_счёта владелец_счета
    владелец_карты владелица_счёта владелица_счета владелица_карты получатель"""
)
_LABEL = _trie(_LABEL_WORDS)
# "Account holder: Grace Taylor", "Ansprechpartner: Klaus Becker", "titulaire : Inès Moreau", "From: Jo Lee".
_RE_LABELLED = _c(rf"(?<![\w])(?i:{_LABEL})[ \t]*[:：]?[ \t]*{_TITLES}(?P<name>{_NAME})")
_RE_LABELLED_COLON = _c(rf"(?<![\w])(?i:{_LABEL_COLON})[ \t]*[:：][ \t]*{_TITLES}(?P<name>{_NAME})")
# Every word that can introduce a name, in one trie: the text is scanned once for them, and the
# patterns below are tried only where one of them starts.
_RE_KEYWORD = re.compile(
    "(?i:(?<![\\w])"
    + _trie(" ".join((_GREETING_WORDS, _INTRO_WORDS, _INTRO_FULL_WORDS, _RELATION_WORDS, _POSSESSIVE_WORDS,
                      _THANKS_TO_WORDS, _SIGNOFF_WORDS, _LABEL_WORDS, _LABEL_COLON_WORDS)))
    + ")"
)
# A name right before contact details: "Rafael Lima, [EMAIL]", "Ahmed Hassan ([EMAIL]".
_RE_BEFORE_CONTACT = _c(
    rf"(?<![\w\]])(?P<name>{_NAME})[ \t]*(?:,|\(|[-–—])[ \t]*\[(?:EMAIL|PHONE|ADDRESS)\]"
)

# Japanese: "山田太郎です", "山田と申します", "田中様", "佐藤さん", "担当の佐藤が", signatures.
_KANJI = r"[\u4e00-\u9fff\u3005]"
_JA_NAME = rf"{_KANJI}{{1,4}}(?:[ \u3000]{_KANJI}{{1,4}})?"
_RE_JA_BEFORE_CONTACT = _c(rf"(?P<name>{_KANJI}{{1,4}}(?:[ \u3000]?{_KANJI}{{1,4}})?)[ \t]*[（(][ \t]*\[(?:EMAIL|PHONE|ADDRESS)\]")
_RE_JA_TRAILING = re.compile(rf"(?:^|[。？！?!\n])[ \t]*(?P<name>{_KANJI}{{2,5}}|{_KANJI}{{1,4}}[ \u3000]{_KANJI}{{1,4}})[ \t]*\Z")
_RE_JA_DESU = _c(rf"(?:^|(?<=[、。\s「]))(?P<name>{_JA_NAME})(?:です|と申します|といいます|と言います)")
_RE_JA_COMPANY_DESU = _c(
    rf"(?:会社|商事|部|課|店|社|院|所|グループ|チーム)の(?P<name>{_JA_NAME})(?:です|と申します|といいます)"
)
_RE_JA_HONORIFIC = _c(rf"(?<![おご])(?P<name>{_KANJI}{{1,6}}|{_KANJI}{{1,4}}[ \u3000]{_KANJI}{{1,4}})(?:様|さま|さん|殿|氏)")
_RE_JA_ROLE = _c(
    rf"(?:担当|同僚|上司|部下|社員|スタッフ|経理|担当者|責任者|名義|氏名|名前|担当者名)(?:の|[:：][ \t]*)(?P<name>{_JA_NAME})"
    r"(?=さん|様|が|は|に|を|から|より|です|と|、|。|（|）|\(|\)|\s|$)"
)
_RE_JA_CALL = _c(rf"(?P<name>{_JA_NAME})(?:を呼び出|をお呼び|宛て|宛に)")
_RE_JA_DISPLAY = _c(rf"(?P<name>{_KANJI}{{1,4}}(?:[ \u3000]?{_KANJI}{{1,4}})?)[ \t]*[<＜][ \t]*\[EMAIL\]")
# A signature line that is only a name: "吉田大輔" or "松本 美咲" near the end.
_RE_JA_SIGNATURE_LINE = re.compile(rf"^[ \t]*(?P<name>{_KANJI}{{2,5}}|{_KANJI}{{1,4}}[ \u3000]{_KANJI}{{1,4}})[ \t]*(?:[（(][^\n]*)?$")
_JA_NOT_NAME_ENDINGS = ("皆", "客", "担当", "部", "課", "係", "者", "室", "社", "店", "員", "長", "御中", "各位")
_JA_NOT_NAMES = {
    "以上", "不明", "大丈夫", "必要", "可能", "不可能", "問題", "確認", "本当", "無理", "了解", "同様",
    "残念", "幸い", "心配", "結構", "何", "正常", "未定", "対応中", "担当", "担当者", "皆", "客",
    "関係者", "各位", "神", "皆様", "利用者", "管理者", "会員", "御社", "貴社", "弊社", "当社",
    "予定", "対応", "完了", "失敗", "成功", "重要", "緊急", "簡単", "便利", "安全", "有料", "無料",
    "連絡先", "電話", "携帯", "住所", "名義", "請求書", "注文", "返金", "送付先", "御中", "敬具", "草々",
}

# --------------------------------------------------------------------------- e-mail, cards, IBANs, IPs
# An address next to Japanese or Chinese text has no space around it: the bounds are ASCII only.
_RE_EMAIL = _c(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])"
)
_RE_IPV4 = _c(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_RE_IPV6 = _c(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Two letters, two check digits, then letters and digits in groups (any case, spaces or dashes).
_RE_IBAN = _c(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \u00a0\u202f\u2009\-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_RE_CARD = _c(r"(?<![\d+(\-./#])\d(?:[ \u00a0\u202f\u2009\-]?\d){12,18}(?![\d\-/])")

# IBAN lengths by country (ISO 13616 registry).
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

# --------------------------------------------------------------------------- phones
# A run of digit groups: "+49 (0)30 1234 5678", "8 (495) 139-21-49", "０３－１２３４－５６７８". It may
# not start inside a word or an identifier ("INC4192797", "FB-2026-00412", "#48213", "€49").
_SPACE = "[ \t\u00a0\u202f\u2009]"
_NUM_SEP = rf"(?:{_SPACE}?[\-./‐－−]{_SPACE}?|{_SPACE})"
_NUM_ATOM = rf"(?:\({_SPACE}?[+＋]?\d{{1,5}}{_SPACE}?\){_SPACE}?)?\d++"
_RE_NUMBER_RUN = _c(
    r"(?<![0-9A-Za-zÀ-ɏЀ-ӿ#@+＋$€£¥₺₽_])(?<![0-9][\-/._])(?<![A-Za-zÀ-ɏЀ-ӿ][\-/_])"
    rf"(?:[+＋]{_SPACE}?)?{_NUM_ATOM}(?:{_NUM_SEP}{_NUM_ATOM})*+(?![A-Za-zÀ-ɏЀ-ӿ])"
)
_RE_SPACED_SEP = re.compile(r"[ \t\u00a0]+[/\-–][ \t\u00a0]+|[ \t]{2,}")
_DATE_SHAPE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))$"
)
_PHONE_WORDS_LATIN = _trie(
    """phone telephone tel mobile mob cell cellphone call* ring* reach text_me whatsapp whats_app sms fax hotline
    contact my_number telefon* rufnummer handy* mobil* festnetz anruf* rufen erreich* durchwahl
    téléphone tél portable fixe joindre joignable appel* rappel* mon_numéro
    teléfono telefono móvil movil celular llam* fijo contacto mi_número
    telefone telemóvel telemovel ligar* ligue* liguem* liga* contato meu_número
    cellulare chiam* richiam* contatti contatto il_mio_numero
    telefoon mobiel bel bell* terugbel* bereikbaar mijn_nummer komórk* zadzwo* dzwo* kontakt*
    ringa nå når cep gsm ara* телефон* тел моб* звон* позвон* связ*"""
)
_PHONE_WORDS_CJK = r"電話|携帯|連絡先|折り返し|TEL|Tel|ＴＥＬ"
_RE_PHONE_WORD = re.compile(
    rf"(?i:(?<![^\W\d_])(?:{_PHONE_WORDS_LATIN})(?![^\W\d_]))|(?:{_PHONE_WORDS_CJK})"
)
_RE_PHONE_AFTER = re.compile(r"^[ \t]*(?:(?:まで|へ|に)?(?:お)?電話|numaras[ıi]ndan|numaradan|numaral[ıi][ \t]+telefon)")
_ID_WORDS_LATIN = _trie(
    """order orders invoice receipt ticket case ref reference transaction tracking account customer contract serial
    booking shipment parcel incident id no. nr nr. nº n° №
    bestell* rechnung* quittung vorgang* kundennummer kundennr kundennr. auftrag* sendung* vertrag* referenz*
    commande facture reçu dossier référence réf colis contrat
    pedido factura recibo expediente referencia transacción envío contrato
    fatura processo referência transação encomenda protocolo chamado
    ordine fattura ricevuta pratica riferimento transazione spedizione contratto
    bestelling* bestelnummer factuur* bon referentie transactie zending klantnummer ordernummer
    zamówieni* faktur* zgłoszeni* beställning* ärende sipariş* talep заказ* обращени*"""
)
_ID_WORDS_CJK = r"注文|請求書|案件|チケット|取引|領収書|伝票|(?<!電話)(?<!携帯)番号"
_RE_ID_WORD = re.compile(rf"(?i:(?<![^\W\d_])(?:{_ID_WORDS_LATIN})(?![^\W\d_]))|[#№]|(?:{_ID_WORDS_CJK})")
# Between an identifier word and its number only "number", "no.", "#", a colon or a preposition.
_RE_ID_GAP = re.compile(
    r"^(?:[\s:：#.\-–,№]|n[º°]|(?i:number|nummer|numéro|número|numero|numer|no|nr|n|núm|num|id|for|of|zu|zur|zum|von|vom|de|del|"
    r"do|da|van|di|des|du|het|la|le|el|dello|della))*$"
)
_RE_ID_AFTER = re.compile(r"^[ \t]*(?:numaral[ıi](?![ \t]+tel))")
_RE_AMOUNT_AFTER = re.compile(
    r"^(?:[,.]\d|[ \t]?(?:€|EUR|USD|\$|£|GBP|CHF|zł|PLN|kr|SEK|NOK|DKK|₽|руб|TL|₺|円|¥|%|Ft|Kč|lei))"
)
_RE_AMOUNT_BEFORE = re.compile(r"(?:[€$£¥₺₽]|EUR|USD|CHF|GBP|PLN|SEK|R\$)[ \t]?$")
_RE_YEAR_FIRST = re.compile(r"^(?:19|20)\d\d[\-/]")

# --------------------------------------------------------------------------- addresses
_STREET_EN = (
    r"(?:Street|street|St\.?|Avenue|avenue|Ave\.?|Road|road|Rd\.?|Lane|lane|Ln\.?|Boulevard|boulevard|Blvd\.?|"
    r"Drive|drive|Dr\.?|Court|Ct\.?|Way|Place|Pl\.?|Terrace|Close|Crescent|Square|Sq\.?|Highway|Hwy\.?|"
    r"Parkway|Pkwy\.?|Circle|Cir\.?|Trail|Row|Mews|Gardens|Hill|Grove)"
)
_UNIT_EN = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|#)"
_RE_ADDR_EN = _c(
    rf"(?<![\w#$€£.,/-])(?:{_UNIT_EN}\.?[ \t]*#?\d{{1,4}}[A-Za-z]?,?[ \t]+)?"
    rf"\d{{1,5}}[A-Za-z]?,?[ \t]+(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    rf"(?:[{_UP}][{_LO}'.-]*[ \t]+){{1,4}}{_STREET_EN}(?![\w])"
    rf"(?:,?[ \t]*{_UNIT_EN}\.?[ \t]*#?[\w-]+)?"
)
# German, Dutch and Nordic street names end in a street word: "Lindenstraße 5", "Keizersgracht 12",
# "Storgatan 3". The bare German words ("Weg 3") count alone as well.
_DE_SUFFIX = r"(?i:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer|chaussee|steig|pfad|markt)"
_COMPOUND_SUFFIX = (
    r"(?i:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer|chaussee|steig|pfad|markt|zeile|"
    r"straat|laan|gracht|plein|kade|singel|dijk|steeg|dreef|"
    r"gatan|gata|gaten|vägen|väg|veien|vegen|vej|gade|stræde|torget|torg|torv|gränd|stigen|allén)"
)
_RE_ADDR_DE = _c(
    # The lookahead (a word or two, then a number) lets the engine skip most words cheaply.
    rf"(?<![\w])(?=[^\W\d_][\w.-]*(?:[ \t][\w.-]+)?[ \t]*\d)"
    rf"(?:[{_UP}][{_LO}-]*[ \t])?(?:[{_UP}][{_LO}-]*{_COMPOUND_SUFFIX}|{_DE_SUFFIX})"
    r"[ \t]*\d{1,4}(?:[ \t]?[a-zA-Z](?![\w]))?(?:[ \t]?[-/][ \t]?\d{1,4}[a-z]?)?(?![\w])"
)
_RE_ADDR_FR = _c(
    r"(?<![\w#$€£.,/-])\d{1,4}(?:[ \t]?(?:bis|ter|[A-Za-z]))?,?[ \t]+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|passage|square)[ \t]+"
    rf"(?:(?:de|du|des|la|le|l'|l’|d'|d’|de la)[ \t]*)*[{_UP}][\w'’-]*(?:[ \t]+(?:de|du|des|la|le)?[ \t]*[{_UP}][\w'’-]*)*"
)
_STREET_WORDS = _trie(
    """calle c/ avenida avda. av. avd. paseo plaza pza. camino carrera carretera ronda rua r. travessa praça alameda
    estrada viale piazza piazzale p.zza vicolo lungomare lungotevere contrada ul. al. pl. os."""
)
_STREET_WORDS_CAPITALISED = _trie("Via Corso Largo Strada Borgo Rue Avenue Boulevard Chaussée Place Quai Chemin")
# Street word first, number after: Spanish, Portuguese, Italian, Belgian, Polish ("Calle Mayor 10",
# "Rua Augusta, 100", "Via Garibaldi 12/B", "ul. Długa 5 m. 3"). Words that are also ordinary words
# elsewhere ("Via", "Corso", "Largo") count only capitalised.
_RE_ADDR_ES = _c(
    rf"(?<![\w])(?:(?i:{_STREET_WORDS})|{_STREET_WORDS_CAPITALISED})[ \t]*"
    rf"(?:(?:de|del|la|los|las|da|do|dos|das|dei|degli|della|delle|dello|di|des|du)[ \t]+)*[{_UP}][\w'’.-]*"
    rf"(?:[ \t]+(?:(?:de|del|la|da|do|dos|dei|della|delle|di|des|du|de[ \t]la)[ \t]+)?[{_UP}][\w'’.-]*){{0,4}}"
    r",?[ \t]*(?:n\.?[º°o]\.?[ \t]*)?\d{1,5}(?:/[A-Za-z0-9]{1,3}|[ \t]?[A-Za-z](?![\w]))?(?![\w])"
    r"(?:,?[ \t]*\d{1,2}[º°ª](?:[ \t]?[A-Za-z](?![\w]))?(?![\w]))?"
)
_RE_ADDR_TR = _c(
    rf"(?<![\w])(?:[{_UP}][\w.-]*[ \t]+){{1,3}}(?:Caddesi|Cad\.|Cd\.|Sokak|Sokağı|Sok\.|Sk\.|Bulvarı|Blv\.|Bulvar|"
    r"Mahallesi|Mah\.|Mh\.)"
    r"(?:[ \t]*,?[ \t]*(?:No|Daire|D|Kat|K)[ \t]*[:.]?[ \t]*\d{1,4}[A-Z]?(?![\w]))+"
)
_RE_ADDR_RU = _c(
    r"(?<![\w])(?:\d{6},[ \t]*(?:(?:г\.[ \t]*)?[А-ЯЁ][\w-]*,[ \t]*)?)?"
    r"(?:ул|улица|пр|просп|проспект|пер|переулок|ш|шоссе|наб|бул|бульвар|пл|площадь|мкр)\.?[ \t]+"
    r"[А-ЯЁ0-9][\w-]*(?:[ \t]+[А-ЯЁ][\w-]*){0,2}"
    r"(?:,?[ \t]*(?:д|дом|корп|к|стр|кв|квартира|офис|оф)\.?[ \t]*\d{1,4}[а-яА-Я]?(?![\w]))+"
    r"(?:,[ \t]*(?:г\.[ \t]*)?[А-ЯЁ][\w-]*(?:[- ][А-ЯЁ][\w-]*)?)?(?:,?[ \t]*\d{6}(?!\d))?"
)
# Postcodes before a city in the formats of many countries.
_CITY = (
    rf"[{_UP}][{_LO}]+(?:[- ][{_UP}][{_LO}]+)?(?:/[{_UP}][{_LO}]+)?"
    rf"(?:[ \t](?:am|an[ \t]der|im|sur|de|del|an|aan[ \t]den|aan[ \t]de|di)[ \t][{_UP}][{_LO}]+)?"
)
_CITY_CAPS = rf"[{_UP}]{{2,}}(?:[- ][{_UP}]{{2,}}){{0,2}}(?:[ \t]+CEDEX(?:[ \t]\d{{1,2}})?)?"
_POSTCODE_ANY = r"(?:(?:[A-Z]{1,2}-)?\d{4,5}|\d{4}[ ]?[A-Z]{2}(?![\w])|\d{3}[ ]\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3})"
_STREET_CHAIN = (
    rf"(?:(?:C/|c/|ul\.|al\.|pl\.|os\.)[ \t]*)?[{_UP}][\w'’.-]*"
    rf"(?:[ \t]+(?:(?:van|von|der|den|de|del|della|dei|di|da|do|dos|das|des|du|la|le|het|'t|am|an|im|in)[ \t]+){{0,2}}"
    rf"[{_UP}][\w'’.-]*){{0,4}}"
)
_HOUSE_NUMBER = r"\d{1,4}(?!\d)(?:[ \t]?[a-zA-Z](?![\w]))?(?:[ \t]?[/-][ \t]?\d{1,4}[a-zA-Z]?)?(?:[ \t][A-Z](?![\w]))?"
_UNIT = (
    r"(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Whg|Wohnung|Stiege|Tür|Top|appartement|appt|bâtiment|bât|"
    r"étage|escalier|esc|piso|puerta|pta|planta|escalera|apto|ap|sala|bloco|bl|casa|conj|andar|int|interno|scala|"
    r"piano|bus|bte|boîte|lok|lokal|Daire|Kat|кв|корп|стр|офис|m\.)\.?[ \t]*:?[ \t]*\d{1,4}[A-Za-z]?(?![\w])|"
    r"\d{1,2}\.?[ \t]?(?:tr|trappor|OG|EG|Stock|étage|e[ \t]étage|piso|andar|floor|fl|verdieping|hoog)(?![\w])|"
    r"\d{1,2}[º°ª]\.?(?:[ \t]?(?:[A-Z](?![\w])|izq(?:da)?\.?|dcha\.?|der\.?|Esq\.?|Dto\.?|Dt\.?))?)"
)
# The whole line "Im Wiesengrund 39b, 10115 Berlin": any street name, a house number, a postcode, a city.
_RE_ADDR_LINE = _c(
    rf"(?<![\w\]])(?:{_STREET_CHAIN})[ \t]*,?[ \t]+{_HOUSE_NUMBER}(?:[ \t]*,?[ \t]*{_UNIT})*"
    # A comma, a line break or a dot between the street and the postcode: "XPS 13 9310 Ultrabook" is no address.
    rf"(?:[ \t]*[,·\-–][ \t]*|[ \t]*\r?\n[ \t]*){_POSTCODE_ANY}[ \t]+{_CITY}(?![\w])"
)
_RE_POSTCODE_CITY = _c(
    rf"(?<![\w#$€£.,:/-])(?:[A-Z]{{1,2}}-)?\d{{5}}[ \t]+(?P<city>{_CITY})(?![\w])"
)
_RE_POSTCODE_NL = _c(rf"(?<![\w-])\d{{4}}[ ]?[A-Z]{{2}}[ \t]+[{_UP}][{_LO}]+(?:[ \t][{_UP}][{_LO}]+)?(?![\w])")
_RE_POSTCODE_PL = _c(rf"(?:(?<=,[ \t])|(?<=^)|(?<=\n))\d{{2}}-\d{{3}}[ \t]+[{_UP}][{_LO}]+(?:[- ][{_UP}][{_LO}]+)?(?![\w])")
_RE_POSTCODE_PT = _c(rf"(?<![\w-])\d{{4}}-\d{{3}}[ \t]+[{_UP}][{_LO}]+(?:[ \t][{_UP}][{_LO}]+)?")
_RE_POSTCODE_UK = _c(
    rf"(?<![\w-])(?:[{_UP}][{_LO}]+,?[ ])?(?:[A-Z]{{1,2}}\d[A-Z\d]?|GIR)[ ]\d[A-Z]{{2}}(?![\w])"
)
_RE_EIRCODE = _c(r"(?<![\w-])[AC-FHKNPRTV-Y]\d[\dW][ ]?[AC-FHKNPRTV-Y\d]{4}(?![\w])")
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
_RE_POSTCODE_CA = _c(r"(?<![\w])(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ \t]+[A-Z]\d[A-Z][ ]?\d[A-Z]\d(?![\w])")
_RE_POSTCODE_BR = _c(r"(?<![\w-])\d{5}-\d{3}(?![\w-])")
# Without the prefecture, a city or ward and a block number: "大阪市中央区本町1-2-3".
_RE_ADDR_JA_CITY = _c(
    r"(?:[\u4e00-\u9fff]{1,4}[市郡])?[\u4e00-\u9fff]{1,4}[区町村][\u4e00-\u9fff\u3005\u3040-\u30ffヶケ]{0,8}?"
    r"\d+(?:(?:[-−ー‐]\d+){1,2}|丁目(?:\d+番(?:地)?(?:\d+号?)?)?)"
)
_RE_ADDR_JA = _c(
    r"(?:東京都|北海道|(?:京都|大阪)府|[\u4e00-\u9fff]{2,3}県)[\u4e00-\u9fff\u3005\u30a0-\u30ffヶケ]{1,12}?[市区町村郡]"
    r"[\u4e00-\u9fff\u3005\u3040-\u30ffヶケ]{0,12}?\d+(?:[-−ー‐丁目番地号の]+\d+){0,3}(?:号|番地|丁目)?"
)
# Cheap tests that decide whether the costlier patterns of a country need to run at all.
_RE_CYRILLIC = re.compile("[А-яЁё]")
_RE_TR_HINT = re.compile(r"Cad|Cd\.|Sok|Sk\.|Bulv|Blv\.|Mah|Mh\.")
_RE_UK_HINT = re.compile(r" \d[A-Z]{2}(?![\w])")
_RE_US_HINT = re.compile(r"[A-Z]{2}[ \t]\d{5}")
_RE_ADDR_RUN = _c(r"\[ADDRESS\](?:[ \t]*[,;]?[ \t]*(?:\r?\n[ \t]*)?\[ADDRESS\])+")
# Pieces next to an address already found: a unit or floor, a postcode and city, the street line.
_RE_UNIT_AFTER = _c(rf"\[ADDRESS\](?:[ \t]*,?[ \t]*{_UNIT})+")
_RE_UNIT_BEFORE = _c(rf"(?<![\w])(?:{_UNIT}[ \t]*,?[ \t]*)+(?=\[ADDRESS\])")
_RE_POSTCODE_AFTER = _c(
    rf"\[ADDRESS\][ \t]*[,·\-–]?[ \t]*(?:\r?\n[ \t]*)?{_POSTCODE_ANY}[ \t]+(?:{_CITY}|{_CITY_CAPS})(?![\w])"
)
_RE_STREET_BEFORE = _c(
    rf"(?<![\w\]])(?:{_STREET_CHAIN})[ \t]*,?[ \t]+{_HOUSE_NUMBER}(?:[ \t]*,?[ \t]*{_UNIT})*[ \t]*,?[ \t]*"
    r"(?:\r?\n[ \t]*)?\[ADDRESS\]"
)
_RE_ERROR_BEFORE = re.compile(
    r"(?i:error|err|code|fehler\w*|erreur|errore|fout\w*|błąd|hata\w*|ошибк\w*|status|http|exit|build|エラー)\W{0,3}$"
)
_CITY_STOP = {
    "order", "orders", "items", "item", "points", "euro", "euros", "users", "user", "seats", "licenses",
    "licences", "tickets", "errors", "error", "requests", "messages", "rows", "records", "files",
    "bytes", "emails", "contacts", "products", "units", "pieces", "pages", "views", "customers",
    "accounts", "invoices", "times", "minutes", "seconds", "hours", "days", "credits", "tokens",
    "calls", "events", "entries", "jobs", "steps", "attempts", "results", "members", "downloads",
    "connection", "timeout", "service", "internal", "bad", "gateway", "invalid", "unauthorized", "forbidden",
    "not", "request", "mitarbeiter", "mitarbeitende", "nutzer", "benutzer", "stunden", "tage", "minuten",
    "euro", "fehler", "schichten", "employees", "staff",
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
    s = re.sub(r"[ \u00a0\u202f\u2009\-]", "", candidate).upper()
    if not 15 <= len(s) <= 34 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    try:
        num = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return num % 97 == 1


def _digit_count(s: str) -> int:
    return len(_RE_DIGIT.findall(s))


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
        self._keep_words = frozenset(w for t in self.keep for w in t.split())

    def _kept(self, name: str) -> bool:
        """A product or company name ("Fernbook", "Fernbook Time Clock") is never a person."""
        words = [w.lower().strip(".,") for w in name.split()]
        return bool(words) and (all(w in self.keep for w in words) or any(w in self._keep_words for w in words))

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

    def spans(self, text: str, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
        """Where the personal data in `text` is: (start, end, placeholder) for every stretch that
        `redact` replaces. For callers that must keep the text but not send the data anywhere, such
        as translation, which can pass these stretches through an engine as opaque tokens."""
        if not text:
            return []
        out = self.redact(text, names)
        found = list(_RE_PLACEHOLDER.finditer(out))
        if not found:
            return []
        # Each placeholder becomes one character that matches nothing in the text, so the alignment
        # can only pair the text's own characters.
        aligned = _RE_PLACEHOLDER.sub("\ue000", out)
        spans: list[tuple[int, int, str]] = []
        ph = iter(m.group(0) for m in found)
        matcher = difflib.SequenceMatcher(None, text, aligned, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("replace", "delete", "insert"):
                placeholders = [next(ph) for _ in range(aligned.count("\ue000", j1, j2))]
                if i2 > i1:
                    spans.append((i1, i2, placeholders[0] if placeholders else ""))
        return spans

    def _structured(self, text: str, names: tuple[str, ...]) -> str:
        # Emails first (a name inside an address must not split it), then known names so
        # that no later pattern consumes half of a name.
        out = _RE_EMAIL.sub(EMAIL, text)
        out = _replace_known_names(out, names)
        out = _sub_checked(_RE_IPV4, out, IP, lambda m: _ipv4_ok(m, self.keep))
        out = _sub_checked(_RE_IPV6, out, IP, _ipv6_ok)
        out = _redact_ibans(out)
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


_RE_VERSION_BEFORE = re.compile(
    r"(?i:\b(?:version|ver\.?|release|build|update[ds]?|upgrade[ds]?|updated|upgraded|patch|firmware|"
    r"aktualisiert|aktualisierung|mise[ \t]+à[ \t]+jour|actualizaci[óo]n|actualizado|atualiza[çc][ãa]o|"
    r"aggiornamento|versione|versie|versão|versión|wersj\w*|aktualizacj\w*|uppdatering\w*|sürüm\w*|"
    r"güncelleme\w*)|\bv|верси\w*|обновлени\w*|バージョン|更新)"
    r"(?:[ \t]+(?:to|auf|à|a|para|naar|till|do|до|la|alla|al|de|der|vers|op))?(?:[ \t]+(?:la|a|de|the))?[ \t]*$"
)
_RE_VERSION_AFTER = re.compile(r"^[ \t]?(?:に|へ|の)?(?:更新|アップデート|バージョン)|^[ \t]?(?i:güncelleme|sürüm)")


def _ipv4_ok(m: re.Match[str], keep: frozenset[str] = frozenset()) -> bool:
    parts = m.group(0).split(".")
    if not all(0 <= int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in parts):
        return False
    # "version 1.2.3.4", "update to 26.10.2.114", "Fernbook 26.10.2.114" are build numbers, not hosts.
    before = m.string[max(0, m.start() - 40) : m.start()]
    if _RE_VERSION_BEFORE.search(before) or _RE_VERSION_AFTER.match(m.string[m.end() : m.end() + 12]):
        return False
    # A product name up to three words before it: "Fernbook Time Clock 26.10.2.114".
    return not any(w.lower().strip(".,:;") in keep for w in before.split()[-3:])


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


def _iban_span(raw: str, labelled: bool) -> int:
    """How many characters of `raw` (an IBAN candidate and whatever followed it) are the IBAN; 0 if none.

    The country's IBAN length says where the number ends, so words after it ("... 0130 00 bitte")
    are not taken for part of it; without a known country, the longest prefix that validates."""
    ends = [i + 1 for i, ch in enumerate(raw) if ch.isalnum()]  # end offset after each alphanumeric
    length = _IBAN_LENGTHS.get(raw[:2].upper())
    if length is not None:
        if len(ends) < length:
            return 0
        end = ends[length - 1]
        if end < len(raw) and raw[end].isalnum():  # a longer run of letters and digits: not this IBAN
            return 0
        if _iban_ok(raw[:end]) or (labelled and raw[:2].isupper()):
            return end
        return 0
    for n in range(min(len(ends), 34), 14, -1):
        end = ends[n - 1]
        if (end == len(raw) or not raw[end].isalnum()) and _iban_ok(raw[:end]):
            return end
    return 0


def _redact_ibans(text: str) -> str:
    if _RE_DIGIT.search(text) is None:
        return text
    out: list[str] = []
    pos = 0
    for m in _RE_IBAN.finditer(text):
        if m.start() < pos:
            continue
        raw = m.group(0)
        labelled = "iban" in text[max(0, m.start() - 12) : m.start()].lower()
        end = _iban_span(raw, labelled)
        if end == 0 and labelled and raw[:2].isupper() and raw[:2].upper() not in _IBAN_LENGTHS:
            end = len(raw.rstrip())
        if end:
            out.append(text[pos : m.start()])
            out.append(IBAN)
            pos = m.start() + end
    out.append(text[pos:])
    return "".join(out)


def _card_ok(m: re.Match[str]) -> bool:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    if _looks_like_date_or_version(raw):
        return False
    return _luhn_ok(digits)


def _redact_addresses(text: str) -> str:
    if _RE_DIGIT.search(text) is None:
        return text
    out = _RE_ADDR_EN.sub(ADDRESS, text)
    out = _RE_ADDR_FR.sub(ADDRESS, out)
    if _RE_CYRILLIC.search(out):
        out = _RE_ADDR_RU.sub(ADDRESS, out)
    if _RE_TR_HINT.search(out):
        out = _RE_ADDR_TR.sub(ADDRESS, out)
    out = _RE_ADDR_LINE.sub(ADDRESS, out)
    out = _RE_ADDR_DE.sub(ADDRESS, out)
    out = _RE_ADDR_ES.sub(ADDRESS, out)
    if _has_cjk(out):
        out = _RE_POSTCODE_JA.sub(ADDRESS, out)
        out = _RE_ADDR_JA.sub(ADDRESS, out)
        out = _RE_ADDR_JA_CITY.sub(ADDRESS, out)

    def city_repl(m: re.Match[str]) -> str:
        city = m.group("city")
        if city.split()[0].lower() in _CITY_STOP or _RE_ERROR_BEFORE.search(m.string[max(0, m.start() - 16) : m.start()]):
            return m.group(0)
        return ADDRESS

    out = _RE_POSTCODE_CITY.sub(city_repl, out)
    out = _RE_POSTCODE_PT.sub(ADDRESS, out)
    out = _RE_POSTCODE_BR.sub(ADDRESS, out)
    out = _RE_POSTCODE_NL.sub(ADDRESS, out)
    out = _RE_POSTCODE_PL.sub(ADDRESS, out)
    if _RE_UK_HINT.search(out):
        out = _RE_POSTCODE_UK.sub(ADDRESS, out)
    out = _RE_EIRCODE.sub(ADDRESS, out)

    def us_repl(m: re.Match[str]) -> str:
        if m.group("state") in _US_AMBIGUOUS and not m.group("city"):
            return m.group(0)
        return ADDRESS

    out = _RE_POSTCODE_CA.sub(ADDRESS, out)
    if _RE_US_HINT.search(out):
        out = _RE_POSTCODE_US.sub(us_repl, out)
    if ADDRESS in out:
        # Grow each address over its neighbouring pieces until nothing changes (at most a few rounds).
        for _ in range(3):
            before = out
            out = _RE_POSTCODE_AFTER.sub(ADDRESS, out)
            out = _RE_STREET_BEFORE.sub(ADDRESS, out)
            out = _RE_UNIT_AFTER.sub(ADDRESS, out)
            out = _RE_UNIT_BEFORE.sub("", out)
            out = _RE_ADDR_RUN.sub(ADDRESS, out)
            if out == before:
                break
    return out


# --------------------------------------------------------------------------- phones
def _last_word(pattern: re.Pattern[str], before: str, window: int, gap: re.Pattern[str] | None = None) -> int:
    """Where the last `pattern` word before a number ends (-1 if none), if only non-digits and at
    most `window` characters (matching `gap`, when given) lie between it and the number."""
    end = -1
    for m in pattern.finditer(before):
        end = m.end()
    if end < 0 or len(before) - end > window or any(ch.isdigit() for ch in before[end:]):
        return -1
    if gap is not None and not gap.match(before[end:]):
        return -1
    return end


def _is_phone(text: str, start: int, end: int) -> bool:
    """Whether the digit run text[start:end] is a phone number, read from its shape and the words around it."""
    s = text[start:end]
    n = _digit_count(s)
    if n < 7 or n > 15 or _DATE_SHAPE.match(s):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 48) : start]
    after = text[end : end + 16]
    if _RE_AMOUNT_AFTER.match(after) or _RE_AMOUNT_BEFORE.search(before):
        return False
    phone_word = _last_word(_RE_PHONE_WORD, before, 30)
    id_word = _last_word(_RE_ID_WORD, before, 20, _RE_ID_GAP)
    if id_word > phone_word or _RE_ID_AFTER.match(after):
        return False
    groups = [g for g in re.split(r"\D+", s) if g]
    seps = set(re.findall(r"[^\d\s()]", s))
    first = s.lstrip("( \t\u00a0")
    trunk = first[:1] in "0０"
    if first[:1] in "+＋" or "(" in s:  # a country prefix or an area code in brackets
        return n >= 8
    if seps and seps <= {"."}:  # dotted: "06.12.34.56.78", "555.123.4567"; not "26.10.2.114", "1.299.000"
        if trunk and len(groups) >= 4 and all(2 <= len(g) <= 4 for g in groups):
            return True
        return bool(re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", s)) or (trunk and phone_word >= 0)
    if phone_word >= 0 or _RE_PHONE_AFTER.match(after):
        return True
    if first.startswith(("00", "００")):
        return n >= 10 and (len(groups) > 1 or n >= 11)
    if _RE_YEAR_FIRST.match(s):
        return False
    if trunk:  # a trunk prefix: "030 12345678", "0 532 123 45 67", "0612345678"
        return n >= 9
    if len(groups) >= 3:  # "612 345 678", "555 123 4567", "8 912 345 67 89"
        return 9 <= n <= 12 and 1 <= len(groups[0]) <= 4 and all(2 <= len(g) <= 5 for g in groups[1:])
    if len(groups) == 2:  # "367/8301377"
        return 9 <= n <= 12 and 2 <= len(groups[0]) <= 5 and len(groups[1]) >= 5
    return False


def _redact_phones(text: str) -> str:
    if _digit_count(text) < 7:
        return text
    out: list[str] = []
    pos = 0
    for m in _RE_NUMBER_RUN.finditer(text):
        start, end = m.start(), m.end()
        if _digit_count(m.group(0)) < 7:
            continue
        if _is_phone(text, start, end):
            out += [text[pos:start], PHONE]
            pos = end
            continue
        # Two numbers in one run ("030 1234567 / 0171 2345678"): read each part on its own.
        cuts = [(c.start(), c.end()) for c in _RE_SPACED_SEP.finditer(m.group(0))]
        if not cuts:
            continue
        bounds = [0] + [e for _, e in cuts]
        ends = [s for s, _ in cuts] + [len(m.group(0))]
        for a, b in zip(bounds, ends):
            if _is_phone(text, start + a, start + b):
                out += [text[pos : start + a], PHONE]
                pos = start + b
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- names
def _valid_name(name: str) -> str | None:
    """Trim a captured name at the first word that is not a name; None if nothing is left, or if the
    words run into an organisation word ("Dell Customer Support Team" is a team, not "Dell")."""
    words = name.split()
    kept: list[str] = []
    for w in words:
        low = w.lower().strip("'’")
        parts = re.split(r"[-'’]", low)
        org = low in _ORG_WORDS or any(p in _ORG_WORDS for p in parts) or low.endswith(_NOT_NAME_ENDINGS)
        if org and (not kept or len(words) >= 3):
            return None
        if org or low in _NOT_NAMES or any(p in _NOT_NAMES for p in parts):
            if len(words) >= 3 and any(w2.lower() in _ORG_WORDS for w2 in words[len(kept):]):
                return None
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
        if _has_cjk(line) and (m := _RE_JA_SIGNATURE_LINE.match(line)) and _ja_name_ok(m.group("name")):
            found.add(m.group("name"))
            continue
        contact_like = "[" in line or (len(line) <= 60 and not re.search(r"[.?!。？！:]\s*$|[.?!]\s", line))
        if not contact_like:
            break
    return found


def _ja_name_ok(name: str, min_len: int = 2) -> bool:
    compact = name.replace(" ", "").replace("\u3000", "")
    return compact not in _JA_NOT_NAMES and not compact.endswith(_JA_NOT_NAME_ENDINGS) and len(compact) >= min_len


def detect_names(text: str) -> list[str]:
    """People's names found from context (greetings, sign-offs, introductions, roles, signatures)."""
    found: set[str] = set()
    if not text:
        return []
    stripped = text.rstrip()
    # Patterns that start with a context word are tried only where one starts (one scan for all).
    starts = [m.start() for m in _RE_KEYWORD.finditer(stripped)]
    keyword_led = [_RE_GREETING, _RE_INTRO, _RE_INTRO_FULL, _RE_ROLE, _RE_SIGNOFF, _RE_LABELLED, _RE_THANKS_TO]
    if ":" in stripped or "：" in stripped:
        keyword_led.append(_RE_LABELLED_COLON)
    for rx in keyword_led:
        for start in starts:
            m = rx.match(stripped, start)
            if m is None:
                continue
            name = _valid_name(m.group("name"))
            if rx is _RE_INTRO_FULL and name is not None and " " not in name:
                name = None
            if name:
                found.add(name)
    # Patterns that start with the name are tried only when what must follow it is in the text.
    patterns = [_RE_TITLED, _RE_NAME_HERE]
    if "[" in stripped:
        patterns += [_RE_BEFORE_CONTACT, _RE_NAME_OVER_ADDRESS]
        if _RE_DISPLAY_HINT.search(stripped):
            patterns.append(_RE_DISPLAY_NAME)
    if _RE_WROTE_HINT.search(stripped):
        patterns += [_RE_WROTE, _RE_WROTE_BEFORE]
    if _RE_DEPARTMENT_HINT.search(stripped):
        patterns.append(_RE_FROM_DEPARTMENT)
    for rx in patterns:
        pos = 0
        while (m := rx.search(stripped, pos)) is not None:
            name = _valid_name(m.group("name"))
            if rx is not _RE_TITLED and name != m.group("name"):
                name = None  # "Bei Rückfragen Handy: [PHONE]": only a whole name right before the contact
            if name:
                found.add(name)
                pos = m.end()
            else:  # not a whole name here: retry one word on
                pos = max(m.start("name"), m.start() + 1)
    found |= _signature_names(stripped)
    if _has_cjk(text):
        for rx in (_RE_JA_DESU, _RE_JA_COMPANY_DESU, _RE_JA_HONORIFIC, _RE_JA_BEFORE_CONTACT, _RE_JA_TRAILING,
                   _RE_JA_ROLE, _RE_JA_CALL, _RE_JA_DISPLAY):
            for m in rx.finditer(stripped):
                name = m.group("name")
                # A one-character surname ("森") only where the context says it is a person.
                if _ja_name_ok(name, min_len=1 if rx in (_RE_JA_ROLE, _RE_JA_HONORIFIC) else 2):
                    found.add(name)
    return sorted(found)


_RE_CJK = re.compile("[\u3040-\u9fff]")
_RE_DIGIT = re.compile(r"\d")


def _has_cjk(s: str) -> bool:
    return _RE_CJK.search(s) is not None


def _name_variants(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Full names (case-insensitive) and their single-word parts (case-sensitive)."""
    full: set[str] = set()
    parts: set[str] = set()
    for raw in names:
        n = " ".join(str(raw).split())
        if len(n) < 2 and not _has_cjk(n):  # a one-character Japanese surname ("森") is a name
            continue
        full.add(n)
        words = n.split(" ")
        if len(words) > 1:
            for w in words:
                w = w.strip(".,")
                if len(w) >= 2 and not re.fullmatch(_PARTICLE, w) and w.lower() not in _NOT_NAMES:
                    parts.add(w)
        elif _has_cjk(n) and len(n) >= 3:  # "吉田大輔": its surname alone names the person too
            parts.add(n[:2])
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
    out = re.sub(r"\[NAME\](?:[ \t\u3000]*\[NAME\])+", NAME, out)
    return out


_RE_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PII_PLACEHOLDERS))
_DEFAULT = Redactor()


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Replace personal data with placeholders; `names` are people known to appear in the text."""
    return _DEFAULT.redact(text, names)


def redact_many(texts: Iterable[str], names: Iterable[str] = ()) -> list[str]:
    """Redact several texts about the same people; names found in one are removed from all."""
    return _DEFAULT.redact_many(texts, names)


def pii_spans(text: str, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) of every stretch of personal data in `text` (see `Redactor.spans`)."""
    return _DEFAULT.spans(text, names)
