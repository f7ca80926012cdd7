"""The morning digest "compte-rendu de vos réservations": its layout (services/notify/domain/digest_layout.py)
and its mail (services/notify/templates.py, render_digest)."""

import datetime as dt
import random
import typing
import uuid

import pytest

from contracts.booking import TransmittedLine
from services.notify.domain.digest_layout import collapse, digest_layout, french_short_date
from services.notify.templates import RenderedMail as Digest
from services.notify.templates import render_digest


def build_digest(greeting: str, structure: str, lines, url: str) -> Digest | None:
    layout = digest_layout(greeting, structure, lines)
    return None if layout is None else render_digest(layout, url)

URL = "https://portail.example.fr/"
GREETING = "M. DUPONT Jean-Paul"
STRUCTURE = "Mairie de CarteVille"
AMALIA, PAOLO, ZOE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
APS, RESTAURATION, ETUDE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ACTIVITY_NAMES = {APS: "APS matin", RESTAURATION: "Restauration", ETUDE: "Étude surveillée"}
CHILDREN = {AMALIA: ("Amalia", "Dupont"), PAOLO: ("Paolo", "Dupont"), ZOE: ("Zoé", "Abadie")}
OUTCOMES = typing.get_args(TransmittedLine.model_fields["outcome"].annotation)


def line(child: uuid.UUID, activity: uuid.UUID, day: dt.date | int, kind: str = "reserve",
         outcome: str = "accepted", booking_id: uuid.UUID | None = None) -> TransmittedLine:
    first, last = CHILDREN[child]
    fields = {"booking_id": booking_id or uuid.uuid4(), "child_id": child, "child_first_name": first,
              "child_last_name": last, "activity_id": activity, "activity_name": ACTIVITY_NAMES[activity],
              "date": day if isinstance(day, dt.date) else dt.date(2017, 5, day), "kind": kind,
              "outcome": outcome}
    return TransmittedLine(**fields)


def digest(lines) -> Digest:
    result = build_digest(GREETING, STRUCTURE, lines, URL)
    assert result is not None
    return result


def header(total: str, *counts: str) -> str:
    return (f"{GREETING}\n\nVeuillez trouver ci-dessous un compte rendu des modifications apportées à vos "
            f"demandes de réservation sur la structure : {STRUCTURE}.\n\n{total}\n\n"
            + "".join(f"{c}\n" for c in counts))


FOOTER = f"\nVous pouvez consulter l'état de vos réservations sur notre site Internet.\n{URL}\n"

GUIDE_EXAMPLE = """\
M. DUPONT Jean-Paul

Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes de réservation \
sur la structure : Mairie de CarteVille.

14 mouvements sur vos demandes de réservations ont été reçus, dont :

- 11 nouvelles demandes de réservation
- 3 demandes d'annulation

***** RESERVATIONS MISES EN LISTE D'ATTENTE *****

--> Activité : APS MATIN :

DUPONT Amalia : lun. 15/05, mar. 16/05

***** RESERVATIONS ACCEPTEES *****

--> Activité : APS MATIN :

DUPONT Paolo : mar. 09/05, mer. 10/05, jeu. 11/05, ven. 12/05, lun. 15/05, mar. 16/05, mer. 17/05, \
jeu. 18/05, ven. 19/05

***** RESERVATIONS ANNULEES *****

--> Activité : APS MATIN :

DUPONT Amalia : ven. 05/05, mar. 09/05

--> Activité : RESTAURATION :

DUPONT Paolo : ven. 05/05

Vous pouvez consulter l'état de vos réservations sur notre site Internet.
https://portail.example.fr/
"""


def guide_lines() -> list[TransmittedLine]:
    return ([line(AMALIA, APS, d, outcome="waitlisted") for d in (15, 16)]
            + [line(PAOLO, APS, d) for d in (9, 10, 11, 12, 15, 16, 17, 18, 19)]
            + [line(AMALIA, APS, d, "cancel", "cancelled") for d in (5, 9)]
            + [line(PAOLO, RESTAURATION, 5, "cancel", "cancelled")])


def test_the_guide_example_line_for_line():
    mail = digest(guide_lines())
    assert mail.text == GUIDE_EXAMPLE
    assert mail.subject == "Compte-rendu de vos réservations — Mairie de CarteVille"


def test_the_guide_example_in_any_input_order():
    lines = guide_lines()
    random.Random(7).shuffle(lines)
    assert digest(lines).text == GUIDE_EXAMPLE


def test_html_part_says_the_same():
    html = digest(guide_lines()).html
    assert "<p>M. DUPONT Jean-Paul</p>" in html
    assert "14 mouvements sur vos demandes de réservations ont été reçus, dont :" in html
    assert "<li>11 nouvelles demandes de réservation</li>" in html
    assert "<h2>RESERVATIONS ACCEPTEES</h2>" in html
    assert html.count("<h2>") == 3 and html.count("<h3>") == 4
    assert "<h3>Activité : RESTAURATION</h3>" in html
    assert "<p>DUPONT Amalia : lun. 15/05, mar. 16/05</p>" in html
    assert f'<a href="{URL}">' in html
    assert html.index("LISTE D") < html.index("ACCEPTEES") < html.index("ANNULEES")


def test_singular_forms():
    text = digest([line(PAOLO, APS, 9)]).text
    assert text == header("1 mouvement sur vos demandes de réservations a été reçu, dont :",
                          "- 1 nouvelle demande de réservation") + (
        "\n***** RESERVATIONS ACCEPTEES *****\n\n--> Activité : APS MATIN :\n\nDUPONT Paolo : mar. 09/05\n"
    ) + FOOTER
    both = digest([line(PAOLO, APS, 9), line(PAOLO, APS, 10, "cancel", "cancelled")]).text
    assert "2 mouvements sur vos demandes de réservations ont été reçus, dont :" in both
    assert "- 1 nouvelle demande de réservation\n- 1 demande d'annulation\n" in both


def test_only_cancellations():
    text = digest([line(AMALIA, APS, 5, "cancel", "cancelled"),
                   line(AMALIA, APS, 9, "cancel", "cancelled")]).text
    assert text == header("2 mouvements sur vos demandes de réservations ont été reçus, dont :",
                          "- 2 demandes d'annulation") + (
        "\n***** RESERVATIONS ANNULEES *****\n\n--> Activité : APS MATIN :\n\n"
        "DUPONT Amalia : ven. 05/05, mar. 09/05\n"
    ) + FOOTER
    assert "nouvelle" not in text
    assert "ACCEPTEES" not in text and "LISTE D'ATTENTE" not in text


def test_refusals_section():
    text = digest([line(PAOLO, RESTAURATION, 11, outcome="refused"),
                   line(PAOLO, APS, 10),
                   line(AMALIA, APS, 9, outcome="waitlisted"),
                   line(PAOLO, APS, 5, "cancel", "cancelled")]).text
    titles = [row for row in text.splitlines() if row.startswith("*****")]
    assert titles == ["***** RESERVATIONS MISES EN LISTE D'ATTENTE *****",
                      "***** RESERVATIONS ACCEPTEES *****",
                      "***** RESERVATIONS REFUSEES *****",
                      "***** RESERVATIONS ANNULEES *****"]
    assert ("***** RESERVATIONS REFUSEES *****\n\n--> Activité : RESTAURATION :\n\n"
            "DUPONT Paolo : jeu. 11/05\n") in text
    assert "- 3 nouvelles demandes de réservation\n- 1 demande d'annulation\n" in text


def test_waitlisted_then_promoted_reported_once_as_accepted():
    booking = uuid.uuid4()
    lines = [line(AMALIA, APS, 15, outcome="waitlisted", booking_id=booking),
             line(PAOLO, APS, 16),
             line(AMALIA, APS, 15, outcome="accepted", booking_id=booking)]
    collapsed = collapse(lines)
    assert [li.outcome for li in collapsed] == ["accepted", "accepted"]
    assert collapsed[0].booking_id == booking  # first appearance keeps its place
    text = digest(lines).text
    assert "2 mouvements sur vos demandes de réservations ont été reçus, dont :" in text
    assert "- 2 nouvelles demandes de réservation\n" in text
    assert "LISTE D'ATTENTE" not in text
    assert "DUPONT Amalia : lun. 15/05\nDUPONT Paolo : mar. 16/05\n" in text


def test_collapse_keeps_a_reservation_and_its_cancellation():
    booking = uuid.uuid4()
    lines = [line(AMALIA, APS, 15, booking_id=booking),
             line(AMALIA, APS, 15, "cancel", "cancelled", booking_id=booking)]
    assert collapse(lines) == lines
    text = digest(lines).text
    assert "- 1 nouvelle demande de réservation\n- 1 demande d'annulation\n" in text


def test_children_activities_and_days_sorted_whatever_the_input_order():
    lines = [line(child, activity, day)
             for child in (PAOLO, ZOE, AMALIA) for activity in (RESTAURATION, ETUDE, APS)
             for day in (19, 2, 10, 2)]  # 2 twice: de-duplicated
    random.Random(42).shuffle(lines)
    text = digest(lines).text
    block = ("ABADIE Zoé : mar. 02/05, mer. 10/05, ven. 19/05\n"
             "DUPONT Amalia : mar. 02/05, mer. 10/05, ven. 19/05\n"
             "DUPONT Paolo : mar. 02/05, mer. 10/05, ven. 19/05\n")
    assert text.endswith(
        "***** RESERVATIONS ACCEPTEES *****\n\n"
        f"--> Activité : APS MATIN :\n\n{block}\n"
        f"--> Activité : ÉTUDE SURVEILLÉE :\n\n{block}\n"  # É sorts with E, before R
        f"--> Activité : RESTAURATION :\n\n{block}" + FOOTER)
    assert "36 mouvements" in text


def test_days_across_months_and_years_in_date_order():
    text = digest([line(PAOLO, APS, dt.date(2018, 1, 2)), line(PAOLO, APS, dt.date(2017, 12, 29))]).text
    assert "DUPONT Paolo : ven. 29/12, mar. 02/01\n" in text


def test_no_line_no_digest():
    assert build_digest(GREETING, STRUCTURE, [], URL) is None
    assert collapse([]) == []


def test_html_is_escaped_text_is_not():
    CHILDREN[uuid.UUID(int=1)] = ("<script>alert(1)</script>", "<b>x</b>")
    try:
        mail = digest([line(uuid.UUID(int=1), APS, 9)])
    finally:
        del CHILDREN[uuid.UUID(int=1)]
    assert "<script>" not in mail.html and "<b>" not in mail.html
    assert "&lt;B&gt;X&lt;/B&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
    assert "<B>X</B> <script>alert(1)</script> : mar. 09/05" in mail.text
    evil = build_digest('M. "<i>"', 'Mairie <b>', [line(PAOLO, APS, 9)], 'https://x/"><script>')
    assert evil is not None
    assert "<i>" not in evil.html and "<b>" not in evil.html and "<script>" not in evil.html
    assert 'href="https://x/&#34;&gt;&lt;script&gt;"' in evil.html
    assert evil.subject == "Compte-rendu de vos réservations — Mairie <b>"


def test_subject_stays_on_one_line():
    mail = build_digest(GREETING, "Mairie de\nCarteVille", [line(PAOLO, APS, 9)], URL)
    assert mail is not None
    assert mail.subject == "Compte-rendu de vos réservations — Mairie de CarteVille"


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2017, 5, 15), "lun. 15/05"),
    (dt.date(2017, 5, 16), "mar. 16/05"),
    (dt.date(2017, 5, 17), "mer. 17/05"),
    (dt.date(2017, 5, 18), "jeu. 18/05"),
    (dt.date(2017, 5, 19), "ven. 19/05"),
    (dt.date(2017, 5, 20), "sam. 20/05"),
    (dt.date(2017, 5, 21), "dim. 21/05"),
    (dt.date(2026, 1, 1), "jeu. 01/01"),
])
def test_french_short_date(day, expected):
    assert french_short_date(day) == expected
