"""notify's mail templates for waiting-list promotions, reviewed sheets and payment tickets."""

import pytest

from services.notify.templates import TemplateError, render

GREETING = "M. DUPONT Jean-Paul"
LINK = "https://portail.example.fr/"

PROMOTED = {"greeting": GREETING, "child": "DUPONT Amalia", "activity": "APS MATIN",
            "date": "lundi 15 mai 2027", "structure": "Mairie de CarteVille", "lien": LINK}
SHEET = {"greeting": GREETING, "sheet": "Fiche sanitaire", "child": "DUPONT Amalia", "decision": "approved",
         "reason": "", "lien": LINK}
TICKET = {"greeting": GREETING, "amount": "78,77 €", "method": "Carte bancaire", "date": "29/11/2026 à 14:05",
          "reference": "PAY-2026-000123", "structure": "Mairie de CarteVille"}
ALL = {"waitlist_promoted": PROMOTED, "sheet_reviewed": SHEET, "payment_ticket": TICKET}


def test_waitlist_promoted():
    mail = render("waitlist_promoted", PROMOTED)
    assert mail.subject == "Portail Famille : réservation acceptée depuis la liste d'attente"
    assert mail.text.startswith(f"{GREETING}\n\n")
    assert ("la demande de réservation de DUPONT Amalia pour l'activité APS MATIN du lundi 15 mai 2027 "
            "(Mairie de CarteVille), qui était en liste d'attente, a été acceptée.") in mail.text
    assert "si cette réservation ne vous intéresse plus, pensez à l'annuler" in mail.text
    assert f"{LINK}\n" in mail.text
    assert mail.html is not None
    assert "DUPONT Amalia" in mail.html and "lundi 15 mai 2027" in mail.html
    assert "pensez à l&#39;annuler" in mail.html or "pensez à l'annuler" in mail.html
    assert f'<a href="{LINK}">' in mail.html


def test_sheet_approved():
    mail = render("sheet_reviewed", SHEET)
    assert mail.subject == "Portail Famille : votre fiche a été validée"
    assert "Votre fiche « Fiche sanitaire » de DUPONT Amalia a été validée par la structure." in mail.text
    assert "Valider et transmettre" not in mail.text
    assert "\n\n\n" not in mail.text
    assert mail.html is not None and f'<a href="{LINK}">' in mail.html
    assert "a été validée par la structure.</p>" in mail.html


def test_sheet_refused_with_reason_family_sheet():
    mail = render("sheet_reviewed", {**SHEET, "sheet": "Fiche famille", "child": "", "decision": "refused",
                                     "reason": "Le justificatif de domicile est illisible."})
    assert mail.subject == "Portail Famille : votre fiche doit être complétée"
    assert "Votre fiche « Fiche famille » n'a pas pu être validée" in mail.text
    assert " de  " not in mail.text and "»  " not in mail.text
    assert "Motif : Le justificatif de domicile est illisible.\n" in mail.text
    assert "« Valider et transmettre la fiche »" in mail.text
    assert "\n\n\n" not in mail.text
    assert mail.html is not None
    assert "<p>Motif : Le justificatif de domicile est illisible.</p>" in mail.html
    assert "« Valider et transmettre la fiche »" in mail.html


def test_sheet_refused_without_reason():
    mail = render("sheet_reviewed", {**SHEET, "decision": "refused"})
    assert mail.subject == "Portail Famille : votre fiche doit être complétée"
    assert "« Fiche sanitaire » de DUPONT Amalia n'a pas pu être validée" in mail.text
    assert "Motif" not in mail.text
    assert "\n\n\n" not in mail.text
    assert mail.html is not None and "Motif" not in mail.html


def test_sheet_unknown_decision_is_refused():
    with pytest.raises(TemplateError, match="objet de courriel invalide"):
        render("sheet_reviewed", {**SHEET, "decision": "maybe"})


def test_payment_ticket():
    mail = render("payment_ticket", TICKET)
    assert mail.subject == "Portail Famille : ticket de paiement"
    for row in ("Montant : 78,77 €\n", "Moyen de paiement : Carte bancaire\n", "Date : 29/11/2026 à 14:05\n",
                "Référence : PAY-2026-000123\n", "Structure : Mairie de CarteVille\n"):
        assert row in mail.text
    assert mail.html is not None
    for cell in ("<td>78,77 €</td>", "<td>Carte bancaire</td>", "<td>29/11/2026 à 14:05</td>",
                 "<td>PAY-2026-000123</td>"):
        assert cell in mail.html


@pytest.mark.parametrize("name", sorted(ALL))
def test_greeting_first_and_signature(name):
    mail = render(name, ALL[name])
    assert mail.text.startswith(f"{GREETING}\n\n")
    assert mail.text.endswith("Cordialement,\nLe Portail Famille\n")
    assert mail.html is not None and mail.html.startswith(f"<p>{GREETING}</p>")


@pytest.mark.parametrize("name", sorted(ALL))
def test_html_escapes_parameters(name):
    params = {key: ("refused" if key == "decision" else f"<script>{key}</script>") for key in ALL[name]}
    mail = render(name, params)
    assert mail.html is not None
    assert "<script>" not in mail.html
    assert "&lt;script&gt;greeting&lt;/script&gt;" in mail.html
    assert "<script>greeting</script>" in mail.text


@pytest.mark.parametrize(("name", "missing"), [(name, key) for name in sorted(ALL) for key in ALL[name]
                                               if key not in ("decision", "reason")])
def test_missing_parameter(name, missing):
    params = {key: value for key, value in ALL[name].items() if key != missing}
    with pytest.raises(TemplateError, match="paramètre manquant") as info:
        render(name, params)
    assert name in str(info.value)
    assert missing in str(info.value)


def test_missing_reason_on_a_refusal_and_missing_decision():
    with pytest.raises(TemplateError, match="paramètre manquant"):
        render("sheet_reviewed", {key: value for key, value in SHEET.items() if key != "reason"}
               | {"decision": "refused"})
    with pytest.raises(TemplateError):
        render("sheet_reviewed", {key: value for key, value in SHEET.items() if key != "decision"})


def test_waitlist_promoted_without_structure():
    mail = render("waitlist_promoted", {**PROMOTED, "structure": ""})
    assert "du lundi 15 mai 2027, qui était en liste d'attente, a été acceptée." in mail.text
    assert "()" not in mail.text
    assert mail.html is not None and "()" not in mail.html


def test_payment_ticket_without_structure():
    mail = render("payment_ticket", {**TICKET, "structure": ""})
    assert "Nous vous confirmons la réception de votre paiement." in mail.text
    assert "Structure" not in mail.text
    assert "Montant : 78,77 €\n" in mail.text and "Référence : PAY-2026-000123\n-----" in mail.text
    assert mail.html is not None and "Structure" not in mail.html
    assert "<td>PAY-2026-000123</td></tr>\n</table>" in mail.html
    assert "La structure Mairie de CarteVille vous confirme" in render("payment_ticket", TICKET).text
