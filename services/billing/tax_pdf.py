"""The « attestation de frais de garde » as a PDF, with billing's document (services/billing/pdf.py: A4,
Helvetica in windows-1252, page numbers): one page per child, so staff print a whole year in one file."""

from __future__ import annotations

from kit.fr import euros
from services.billing.domain.tax_certificates import Certificate
from services.billing.exports import french_date
from services.billing.pdf import _Document
from services.billing.service.tax_certificates import YearCertificates

TITLE = "Attestation de frais de garde"
ALLOTMENT = ("Montants établis d'après les paiements enregistrés. Un paiement qui a réglé des frais de plusieurs "
             "enfants ou activités est réparti selon les factures qu'il a réglées, au prorata de leurs lignes.")
PURPOSE = ("Attestation délivrée pour la déclaration des frais de garde des enfants de moins de six ans au "
           "1er janvier (crédit d'impôt).")


def _page(doc: _Document, year: YearCertificates, certificate: Certificate, family_label: str) -> None:
    child = certificate.child
    doc.text_line(year.structure_name, size=12, style="B")
    for line in year.details.splitlines():
        if line.strip():
            doc.text_line(line.strip(), size=9, height=5)
    doc.ln(4)
    doc.text_line(f"{TITLE} — année {year.year}", size=16, style="B", height=9)
    doc.ln(2)
    doc.text_line(f"{year.structure_name} atteste que la famille {family_label} a réglé, pour la garde de "
                  f"l'enfant {child.first_name} {child.last_name}, né(e) le {french_date(child.birth_date)}, "
                  f"les sommes suivantes, reçues du {french_date(year.until.replace(month=1, day=1))} au "
                  f"{french_date(year.until)} :")
    doc.ln(2)
    doc.grid(("Activité", "Montant réglé (€)"), [(name, euros(cents)) for _, name, cents in certificate.lines],
             widths=(120, 40), align=("L", "R"))
    doc.labelled_amount("Total réglé (€)", certificate.total_cents, bold=True)
    doc.ln(4)
    doc.text_line(ALLOTMENT, size=9, height=5)
    doc.text_line(PURPOSE, size=9, height=5)
    doc.ln(3)
    doc.text_line(f"Fait le {french_date(year.issued_on or year.until)}.")


def certificates_pdf(year: YearCertificates) -> bytes:
    """Every certificate of ``year`` (one or a whole structure's), one per page. ValueError when there is
    none (the caller answers « not found » before)."""
    if not year.certificates:
        raise ValueError("aucune attestation")
    doc = _Document(f"{TITLE} {year.year} — {year.structure_name}", created=year.issued_on or year.until)
    for rank, certificate in enumerate(year.certificates):
        if rank:
            doc.add_page()
        _page(doc, year, certificate, year.family_labels.get(certificate.child.family_id, ""))
    return doc.to_bytes()
