"""The public JSON API, declared once: every route under /api/v1, who may call it, the internal service
route it calls, and its request and response models (contracts/api). The gateway registers these routes
and nothing else (services/gateway/api_v1.py): an internal route that is not declared here cannot be
reached from outside. The OpenAPI document (services/gateway/openapi.json) is generated from this list
(services/gateway/openapi.py), and tests/e2e/test_authorisation_matrix.py walks it with every role.

Who may call a route (`roles`): `anonymous` (nobody signed in), `family` (a parent account), `staff`
(the staff of a structure), `admin` (an administrator of the portal). The gateway refuses the others
before forwarding (401 when nobody is signed in, 403 otherwise); each service then decides, in its
access.py, which objects the caller may see or change (its own family, its structures)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from contracts.api import Created
from contracts.api import absences as abs_
from contracts.api import account as acc
from contracts.api import billing as bil
from contracts.api import booking as boo
from contracts.api import closures as clo
from contracts.api import dossier as dos
from contracts.api import notify as nfy
from contracts.api import reminders as rem
from contracts.api import tax_certificates as tax

ANONYMOUS, FAMILY, STAFF, ADMIN = "anonymous", "family", "staff", "admin"
ROLES = (ANONYMOUS, FAMILY, STAFF, ADMIN)
# An account's role (auth's word) as the declarations say it.
ROLE_OF_ACCOUNT = {"parent": FAMILY, "staff": STAFF, "admin": ADMIN}

EVERYONE = (ANONYMOUS, FAMILY, STAFF, ADMIN)
SIGNED_IN = (FAMILY, STAFF, ADMIN)
STAFF_AND_ADMIN = (STAFF, ADMIN)

PREFIX = "/api/v1"
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """One public route. `service`/`internal`: the service and path the gateway forwards to (path
    parameters by name); `service=None`: answered by the gateway itself (`local` names the handler)."""

    method: str
    path: str
    roles: tuple[str, ...]
    summary: str
    tag: str
    service: str | None = None
    internal: str | None = None
    local: str | None = None
    request: type[BaseModel] | None = None      # JSON body
    body: str | None = None                     # a non-JSON body's media type (CSV, a file)
    query: type[BaseModel] | None = None        # query parameters (one model field each)
    response: type[BaseModel] | None = None     # JSON body of the success answer
    status: int = 200                           # the success status
    download: tuple[str, ...] = ()              # a file answer: its possible media types
    pending: bool = False                       # answered before the first-login and consent steps
    description: str = ""
    headers: tuple[tuple[str, str], ...] = field(default=())  # request headers: (name, French description)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str:
        words = re.sub(r"[{}]", "", self.path[len(PREFIX) + 1:]).replace("-", "_").replace(".", "_")
        return f"{self.method.lower()}_{words.replace('/', '_')}"

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def changes(self) -> bool:
        return self.method not in ("GET", "HEAD")


def _r(method: str, path: str, roles: tuple[str, ...], summary: str, tag: str, target: str | None = None,
       **kw) -> Route:
    """`target` is "service /v1/path" for a forwarded route."""
    if target:
        service, internal = target.split(" ", 1)
        kw.update(service=service, internal=internal)
    return Route(method, PREFIX + path, roles, summary, tag, **kw)


ACCOUNT, BOOKING, BILLING, DOSSIER, NOTIFY = "Compte", "Réservations", "Facturation", "Dossier famille", "Courriels"
PORTAL, STRUCTURES = "Portail", "Structures et familles"

ROUTES: tuple[Route, ...] = (
    # -- the session and the account ----------------------------------------------------------------------
    _r("POST", "/session", EVERYONE, "Ouvrir une session (identifiant et mot de passe)", ACCOUNT,
       local="open_session", request=acc.SessionIn, response=acc.SessionOut, status=201,
       description="Pose le cookie de session ; le `csrf_token` rendu accompagne ensuite chaque modification "
                   "dans l'en-tête X-CSRF-Token."),
    _r("GET", "/session", SIGNED_IN, "Le compte connecté", ACCOUNT, local="current_session",
       response=acc.SessionOut, pending=True),
    _r("DELETE", "/session", SIGNED_IN, "Fermer la session", ACCOUNT, local="close_session", status=204,
       pending=True),
    _r("POST", "/password/required", SIGNED_IN, "Choisir un nouveau mot de passe (première connexion)", ACCOUNT,
       "auth /v1/password/required", request=acc.NewPasswordIn, status=204, pending=True),
    _r("GET", "/legal", SIGNED_IN, "La notice RGPD et les conditions générales d'utilisation en vigueur", ACCOUNT,
       "auth /v1/legal", response=acc.LegalDocuments, pending=True),
    _r("POST", "/consents", SIGNED_IN, "Accepter la notice RGPD et les CGU", ACCOUNT, "auth /v1/consents",
       request=acc.ConsentIn, status=204, pending=True),
    _r("POST", "/password/change", SIGNED_IN, "Changer de mot de passe", ACCOUNT, "auth /v1/password/change",
       request=acc.ChangePasswordIn, status=204),
    _r("PUT", "/profile/emails", SIGNED_IN, "Changer les adresses courriel du compte (avec le mot de passe)",
       ACCOUNT, "auth /v1/profile/emails", request=acc.EmailsIn, response=acc.EmailsOut),
    # -- the portal ---------------------------------------------------------------------------------------------
    _r("GET", "/structures", EVERYONE, "Les structures et leurs actualités (page d'accueil)", PORTAL,
       "auth /v1/structures", response=acc.StructuresOut),
    _r("GET", "/status", EVERYONE, "L'état de chaque service du portail", PORTAL, local="status",
       response=acc.StatusOut, description="200 quand tous les services sont prêts, 503 sinon."),
    _r("GET", "/openapi.json", EVERYONE, "Ce document OpenAPI", PORTAL, local="openapi",
       download=("application/json",)),
    _r("GET", "/docs", EVERYONE, "La documentation lisible de l'API (HTML)", PORTAL, local="docs",
       download=("text/html",)),
    _r("GET", "/payments/notification/{structure_id}", EVERYONE,
       "Notification d'un module de paiement (eopayment), par la requête", BILLING, local="payment_notification",
       query=bil.NotificationIn,
       description="Appelé de serveur à serveur par le module de paiement de la structure ; la réponse est "
                   "analysée et vérifiée par eopayment (signée, payée, du bon montant) avant tout changement. "
                   "Une notification répétée n'enregistre le paiement qu'une fois."),
    _r("POST", "/payments/notification/{structure_id}", EVERYONE,
       "Notification d'un module de paiement (eopayment), par formulaire", BILLING, local="payment_notification",
       body="application/x-www-form-urlencoded",
       description="Comme la précédente, le formulaire dans le corps (PayFiP, SystemPay, …)."),
    # -- structures, families, staff (auth) ----------------------------------------------------------------------
    _r("POST", "/structures", (ADMIN,), "Créer une structure", STRUCTURES, "auth /v1/structures",
       request=acc.StructureIn, response=Created, status=201),
    _r("PUT", "/structures/{structure_id}/news", STAFF_AND_ADMIN, "Publier les actualités d'une structure",
       STRUCTURES, "auth /v1/structures/{structure_id}/news", request=acc.NewsIn, status=204),
    _r("POST", "/families", STAFF_AND_ADMIN, "Créer une famille et son compte", STRUCTURES, "auth /v1/families",
       request=acc.FamilyIn, response=acc.FamilyCreated, status=201),
    _r("POST", "/families/import", STAFF_AND_ADMIN, "Importer des familles (fichier CSV)", STRUCTURES,
       "auth /v1/families/import", body="text/csv", response=acc.ImportReport),
    _r("GET", "/families/{family_id}", SIGNED_IN, "Une famille : responsables et enfants", STRUCTURES,
       "auth /v1/families/{family_id}", response=acc.FamilyOut),
    _r("POST", "/families/{family_id}/security-update", STAFF_AND_ADMIN,
       "Demander à une famille de changer de mot de passe à sa prochaine connexion", STRUCTURES,
       "auth /v1/families/{family_id}/security-update", status=204),
    _r("POST", "/legal/{kind}", (ADMIN,), "Publier une nouvelle version de la notice RGPD ou des CGU", STRUCTURES,
       "auth /v1/legal/{kind}", request=acc.LegalIn, response=acc.LegalPublished, status=201),
    _r("POST", "/staff", (ADMIN,), "Créer un compte du personnel ou d'administrateur", STRUCTURES, "auth /v1/staff",
       request=acc.StaffIn, response=acc.StaffCreated, status=201),
    # -- bookings: the family ---------------------------------------------------------------------------------------
    _r("GET", "/booking/children", (FAMILY,), "Les enfants de la famille et leurs activités", BOOKING,
       "booking /v1/children", response=boo.ChildrenOut),
    _r("POST", "/booking/calendar", (FAMILY,), "Le calendrier du mois d'un enfant", BOOKING,
       "booking /v1/calendar", request=boo.CalendarIn, response=boo.CalendarOut),
    _r("POST", "/booking/day", (FAMILY,), "Les activités d'un jour pour un enfant", BOOKING, "booking /v1/day",
       request=boo.DayIn, response=boo.DayOut),
    _r("POST", "/booking/basket/quick", (FAMILY,), "Remplir le panier avec un outil rapide (semaine, jour, mois)",
       BOOKING, "booking /v1/basket/quick", request=boo.QuickIn, response=boo.BasketOut),
    _r("POST", "/booking/basket/copy", (FAMILY,), "Recopier les réservations d'une période", BOOKING,
       "booking /v1/basket/copy", request=boo.CopyIn, response=boo.CopyOut),
    _r("POST", "/booking/basket/recap", (FAMILY,), "Le récapitulatif du panier (rien n'est enregistré)", BOOKING,
       "booking /v1/basket/recap", request=boo.Basket, response=boo.RecapOut),
    _r("POST", "/booking/basket/confirm", (FAMILY,), "Valider le panier : réservations et annulations", BOOKING,
       "booking /v1/basket/confirm", request=boo.Basket, response=boo.ConfirmOut),
    _r("GET", "/booking/follow-up", (FAMILY,), "Le suivi des réservations de la famille", BOOKING,
       "booking /v1/follow-up", query=boo.FollowUpQuery, response=boo.FollowUpOut),
    _r("POST", "/booking/feed", (FAMILY,), "Créer (ou renouveler) le lien iCal privé de la famille", BOOKING,
       "booking /v1/feed", response=boo.FeedOut, status=201),
    _r("DELETE", "/booking/feed", (FAMILY,), "Révoquer le lien iCal privé", BOOKING, "booking /v1/feed", status=204),
    # -- bookings: staff ------------------------------------------------------------------------------------------
    _r("POST", "/booking/activities", STAFF_AND_ADMIN, "Créer une activité dans une structure", BOOKING,
       "booking /v1/activities", request=boo.ActivityIn, response=Created, status=201),
    _r("POST", "/booking/activities/{activity_id}/openings", STAFF_AND_ADMIN,
       "Ouvrir les séances d'une activité sur une période", BOOKING, "booking /v1/activities/{activity_id}/openings",
       request=boo.OpeningIn, response=boo.OpeningOut, status=201),
    _r("POST", "/booking/structures/{structure_id}/closures", STAFF_AND_ADMIN,
       "Fermer une structure (ou une activité) sur une période", BOOKING,
       "booking /v1/structures/{structure_id}/closures", request=boo.PeriodIn, response=boo.ClosureOut, status=201),
    # mass closures (issue 19): every booking of the days cancelled, one mail per family, re-opened before the day
    _r("POST", "/booking/structures/{structure_id}/mass-closures", STAFF_AND_ADMIN,
       "Fermeture exceptionnelle (grève, intempéries) : annuler toutes les réservations des jours fermés", BOOKING,
       "booking /v1/structures/{structure_id}/mass-closures", request=clo.MassClosureIn, response=clo.MassClosureOut,
       status=201),
    _r("GET", "/booking/structures/{structure_id}/mass-closures", STAFF_AND_ADMIN,
       "Les fermetures d'une structure à venir ou en cours", BOOKING,
       "booking /v1/structures/{structure_id}/mass-closures", response=clo.MassClosuresOut),
    _r("DELETE", "/booking/mass-closures/{closure_id}", STAFF_AND_ADMIN,
       "Lever une fermeture exceptionnelle avant son premier jour", BOOKING, "booking /v1/mass-closures/{closure_id}",
       status=204),
    # declared absences (issue 19): the family declares with a medical certificate, staff answer
    _r("POST", "/booking/absences", (FAMILY,), "Déclarer une absence (maladie) sur des jours réservés", BOOKING,
       "booking /v1/absences", request=abs_.AbsenceIn, response=abs_.AbsenceOut, status=201,
       description="Même après la date limite d'annulation. Le certificat médical est déposé d'abord "
                   "(POST /api/v1/dossier/certificates)."),
    _r("GET", "/booking/absences", (FAMILY,), "Les absences déclarées de la famille", BOOKING, "booking /v1/absences",
       response=abs_.AbsencesOut),
    _r("GET", "/booking/absences/{absence_id}", SIGNED_IN, "Une absence déclarée", BOOKING,
       "booking /v1/absences/{absence_id}", response=abs_.Absence),
    _r("POST", "/booking/absences/{absence_id}/decision", STAFF_AND_ADMIN,
       "Accepter (absence justifiée) ou refuser (avec un motif) une absence déclarée", BOOKING,
       "booking /v1/absences/{absence_id}/decision", request=abs_.AbsenceDecisionIn, response=abs_.DecisionOut),
    _r("GET", "/booking/structures/{structure_id}/absences", STAFF_AND_ADMIN, "Les absences déclarées d'une structure",
       BOOKING, "booking /v1/structures/{structure_id}/absences", query=abs_.AbsencesQuery, response=abs_.AbsencesOut),
    _r("GET", "/booking/structures/{structure_id}/absence-rule", STAFF_AND_ADMIN,
       "Le délai de carence des absences d'une structure", BOOKING, "booking /v1/structures/{structure_id}/absence-rule",
       response=abs_.WaitingDaysOut),
    _r("PUT", "/booking/structures/{structure_id}/absence-rule", STAFF_AND_ADMIN,
       "Changer le délai de carence (premiers jours d'absence facturés)", BOOKING,
       "booking /v1/structures/{structure_id}/absence-rule", request=abs_.WaitingDaysIn, response=abs_.WaitingDaysOut),
    _r("PUT", "/booking/sessions/{session_id}/capacity", STAFF_AND_ADMIN, "Changer le nombre de places d'une séance",
       BOOKING, "booking /v1/sessions/{session_id}/capacity", request=boo.CapacityIn, response=boo.CapacityOut),
    _r("GET", "/booking/sessions", STAFF_AND_ADMIN, "Les séances d'une activité : places prises, attente, demandes",
       BOOKING, "booking /v1/sessions", query=boo.SessionsQuery, response=boo.SessionsOut),
    _r("POST", "/booking/enrolments", STAFF_AND_ADMIN, "Inscrire un enfant à une activité", BOOKING,
       "booking /v1/enrolments", request=boo.EnrolmentIn, status=204),
    _r("GET", "/booking/requests", STAFF_AND_ADMIN, "Les demandes en attente d'une structure", BOOKING,
       "booking /v1/requests", query=boo.StructureQuery, response=boo.RequestsOut),
    _r("POST", "/booking/requests/{booking_id}/decision", STAFF_AND_ADMIN, "Accepter ou refuser une demande",
       BOOKING, "booking /v1/requests/{booking_id}/decision", request=boo.DecisionIn, response=boo.DecisionOut),
    _r("POST", "/booking/transmissions", (ADMIN,), "Lancer la transmission des réservations (celle de la nuit)",
       BOOKING, "booking /v1/transmissions", response=boo.TransmissionOut),
    # -- billing ----------------------------------------------------------------------------------------------------
    _r("POST", "/billing/tariffs", STAFF_AND_ADMIN, "Publier un tarif (par tranche de quotient familial)", BILLING,
       "billing /v1/tariffs", request=bil.TariffIn, response=bil.TariffOut, status=201),
    _r("GET", "/billing/consumptions", SIGNED_IN, "L'historique des consommations d'un mois", BILLING,
       "billing /v1/consumptions", query=bil.ConsumptionsQuery, response=bil.ConsumptionsOut),
    _r("GET", "/billing/consumptions/export.csv", SIGNED_IN, "Les consommations d'un mois en CSV", BILLING,
       "billing /v1/consumptions/export.csv", query=bil.ConsumptionsQuery, download=("text/csv",)),
    _r("GET", "/billing/consumptions/export.pdf", SIGNED_IN, "Les consommations d'un mois en PDF", BILLING,
       "billing /v1/consumptions/export.pdf", query=bil.ConsumptionsQuery, download=("application/pdf",)),
    _r("GET", "/billing/invoices", SIGNED_IN, "Les factures, les paiements et le solde", BILLING,
       "billing /v1/invoices", query=bil.FamilyQuery, response=bil.InvoicesOut),
    _r("GET", "/billing/invoices/{invoice_id}/pdf", SIGNED_IN, "Une facture en PDF", BILLING,
       "billing /v1/invoices/{invoice_id}/pdf", download=("application/pdf",)),
    _r("POST", "/billing/invoices/issue", (ADMIN,), "Émettre les factures d'un mois", BILLING,
       "billing /v1/invoices/issue", request=bil.IssueIn, response=bil.IssueOut),
    _r("POST", "/billing/payments", STAFF_AND_ADMIN, "Enregistrer un paiement reçu au guichet", BILLING,
       "billing /v1/payments", request=bil.PaymentIn, response=bil.PaymentRecorded, status=201),
    _r("POST", "/billing/payments/online", (FAMILY,), "Payer une facture en ligne (adresse du module de paiement)",
       BILLING, "billing /v1/payments/online", request=bil.OnlineIn, response=bil.OnlineOut, status=201,
       description="Le paiement est enregistré en attente avant la redirection ; la notification du module le "
                   "confirme."),
    _r("GET", "/billing/payments/online", STAFF_AND_ADMIN, "Les paiements en ligne des structures et leur état",
       BILLING, "billing /v1/payments/online", response=bil.OnlineTransactionsOut),
    _r("GET", "/billing/payment-backends/{structure_id}", STAFF_AND_ADMIN,
       "Le module de paiement d'une structure et ses paramètres (secrets masqués)", BILLING,
       "billing /v1/payment-backends/{structure_id}", query=bil.PaymentBackendQuery, response=bil.PaymentBackendOut),
    _r("PUT", "/billing/payment-backends/{structure_id}", STAFF_AND_ADMIN,
       "Choisir le module de paiement d'une structure (PayFiP, …) et ses paramètres", BILLING,
       "billing /v1/payment-backends/{structure_id}", request=bil.PaymentBackendIn, status=204,
       description="Le module « dummy » n'est accepté qu'en développement."),
    # -- the automatic reminders (issue 19) -----------------------------------------------------------------------
    _r("GET", "/notify/reminders", (FAMILY,), "Recevoir ou non les rappels automatiques par courriel", NOTIFY,
       "notify /v1/reminders/preference", response=rem.ReminderPreference),
    _r("PUT", "/notify/reminders", (FAMILY,), "Choisir de recevoir ou non les rappels automatiques", NOTIFY,
       "notify /v1/reminders/preference", request=rem.ReminderPreference, response=rem.ReminderPreference),
    _r("PUT", "/dossier/campaigns/{school_year}/closing", (ADMIN,),
       "Fixer le jour de clôture de la campagne (rappel aux dossiers incomplets quelques jours avant)", DOSSIER,
       "dossier /v1/campaigns/{school_year}/closing", request=rem.CampaignClosingIn, status=204),
    # -- the « attestations de frais de garde » (issue 19) --------------------------------------------------------
    _r("GET", "/billing/tax-certificates", (FAMILY,), "Les attestations de frais de garde de la famille", BILLING,
       "billing /v1/tax-certificates", response=tax.FamilyCertificatesOut),
    _r("GET", "/billing/tax-certificates/{structure_id}/{year}/{child_id}/pdf", SIGNED_IN,
       "L'attestation de frais de garde d'un enfant pour une année, en PDF", BILLING,
       "billing /v1/tax-certificates/{structure_id}/{year}/{child_id}/pdf", download=("application/pdf",)),
    _r("GET", "/billing/tax-certificates/staff", STAFF_AND_ADMIN,
       "Les attestations d'une année, les activités éligibles et les coordonnées de la structure", BILLING,
       "billing /v1/tax-certificates/staff", query=tax.StructureQuery, response=tax.StructureCertificatesOut),
    _r("GET", "/billing/tax-certificates/staff/pdf", STAFF_AND_ADMIN,
       "Toutes les attestations d'une année en un PDF (une page par enfant)", BILLING,
       "billing /v1/tax-certificates/staff/pdf", query=tax.StructureQuery, download=("application/pdf",)),
    _r("PUT", "/billing/tax-certificates/settings", STAFF_AND_ADMIN,
       "Choisir les activités éligibles et les coordonnées imprimées sur les attestations", BILLING,
       "billing /v1/tax-certificates/settings", request=tax.SettingsIn, status=204),
    _r("POST", "/billing/tax-certificates/issue", STAFF_AND_ADMIN,
       "Émettre les attestations d'une année (les familles peuvent alors les télécharger)", BILLING,
       "billing /v1/tax-certificates/issue", request=tax.IssueIn, response=tax.IssueOut),
    # -- the family dossier --------------------------------------------------------------------------------------------
    _r("GET", "/dossier/dossier", (FAMILY,), "Le dossier famille de la campagne en cours", DOSSIER,
       "dossier /v1/dossier", response=dos.DossierOut),
    _r("GET", "/dossier/sheets/{sheet_id}", (FAMILY,), "Une fiche du dossier, ses données et ses pièces", DOSSIER,
       "dossier /v1/sheets/{sheet_id}", response=dos.SheetOut),
    _r("PUT", "/dossier/sheets/{sheet_id}/draft", (FAMILY,), "Enregistrer une fiche en brouillon", DOSSIER,
       "dossier /v1/sheets/{sheet_id}/draft", request=dos.SheetIn, response=dos.SheetState),
    _r("POST", "/dossier/sheets/{sheet_id}/submit", (FAMILY,), "Transmettre une fiche", DOSSIER,
       "dossier /v1/sheets/{sheet_id}/submit", request=dos.SheetIn, response=dos.SheetState),
    _r("POST", "/dossier/sheets/{sheet_id}/documents", (FAMILY,), "Joindre une pièce (PDF, JPEG ou PNG) à une fiche",
       DOSSIER, "dossier /v1/sheets/{sheet_id}/documents", body="application/octet-stream", query=dos.UploadQuery,
       response=dos.Uploaded, status=201, headers=(("X-Filename", "Le nom du fichier, affiché seulement."),)),
    _r("GET", "/dossier/documents/{document_id}", SIGNED_IN, "Télécharger une pièce", DOSSIER,
       "dossier /v1/documents/{document_id}", download=("application/pdf", "image/jpeg", "image/png")),
    _r("DELETE", "/dossier/documents/{document_id}", (FAMILY,), "Retirer une pièce d'une fiche", DOSSIER,
       "dossier /v1/documents/{document_id}", status=204),
    _r("POST", "/dossier/certificates", (FAMILY,), "Déposer le certificat médical d'une absence (PDF, JPEG ou PNG)",
       DOSSIER, "dossier /v1/certificates", body="application/octet-stream", query=abs_.CertificateQuery,
       response=abs_.CertificateOut, status=201, headers=(("X-Filename", "Le nom du fichier, affiché seulement."),)),
    _r("GET", "/dossier/certificates/{certificate_id}", SIGNED_IN, "Télécharger le certificat médical d'une absence",
       DOSSIER, "dossier /v1/certificates/{certificate_id}", query=abs_.CertificateReadQuery,
       download=("application/pdf", "image/jpeg", "image/png")),
    _r("POST", "/dossier/contacts", (FAMILY,), "Ajouter une personne à contacter", DOSSIER, "dossier /v1/contacts",
       request=dos.ContactIn, response=Created, status=201),
    _r("PUT", "/dossier/contacts/{contact_id}", (FAMILY,), "Modifier une personne à contacter", DOSSIER,
       "dossier /v1/contacts/{contact_id}", request=dos.ContactIn, status=204),
    _r("DELETE", "/dossier/contacts/{contact_id}", (FAMILY,), "Retirer une personne à contacter", DOSSIER,
       "dossier /v1/contacts/{contact_id}", status=204),
    _r("GET", "/dossier/contacts", (FAMILY,), "Les personnes à contacter de la famille", DOSSIER,
       "dossier /v1/contacts", response=dos.ContactsOut),
    _r("GET", "/dossier/insurers", SIGNED_IN, "Les compagnies d'assurance connues", DOSSIER, "dossier /v1/insurers",
       response=dos.InsurersOut),
    _r("GET", "/dossier/archive", (FAMILY,), "Tout le dossier de la famille en une archive ZIP (droit d'accès)",
       DOSSIER, "dossier /v1/archive", download=("application/zip",)),
    _r("POST", "/dossier/campaigns", (ADMIN,), "Ouvrir la campagne de dossiers d'une année scolaire", DOSSIER,
       "dossier /v1/campaigns", request=dos.CampaignIn, response=Created, status=201),
    _r("GET", "/dossier/review", STAFF_AND_ADMIN, "Les fiches transmises à examiner", DOSSIER, "dossier /v1/review",
       response=dos.ReviewListOut),
    _r("GET", "/dossier/staff/sheets/{sheet_id}", STAFF_AND_ADMIN, "Lire une fiche transmise (lecture tracée)",
       DOSSIER, "dossier /v1/staff/sheets/{sheet_id}", response=dos.StaffSheetOut),
    _r("POST", "/dossier/staff/sheets/{sheet_id}/review", STAFF_AND_ADMIN, "Valider ou refuser une fiche transmise",
       DOSSIER, "dossier /v1/staff/sheets/{sheet_id}/review", request=dos.ReviewIn, response=dos.SheetState),
    _r("GET", "/dossier/audit", (ADMIN,), "Les lectures de données de santé d'un enfant", DOSSIER,
       "dossier /v1/audit", query=dos.AuditQuery, response=dos.AuditOut),
    # -- mail ------------------------------------------------------------------------------------------------------------
    _r("GET", "/notify/deliveries", STAFF_AND_ADMIN, "Le journal des courriels des structures gérées", NOTIFY,
       "notify /v1/deliveries", query=nfy.DeliveriesQuery, response=nfy.DeliveriesOut),
    _r("POST", "/notify/digests", (ADMIN,), "Envoyer le récapitulatif du matin maintenant", NOTIFY,
       "notify /v1/digests", response=nfy.DigestOut),
)

BY_KEY = {route.key: route for route in ROUTES}
PARAM_PATTERN = "[A-Za-z0-9_-]+"  # identifiers and kinds: nothing that could change the internal path


def pattern(route: Route) -> str:
    """The route's path as the gateway registers it: each parameter limited to PARAM_PATTERN."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + ":" + PARAM_PATTERN + "}", route.path)


def check(routes: tuple[Route, ...] = ROUTES) -> list[str]:
    """What is wrong with the declarations (empty when nothing): each must say who may call it, with
    known roles; forwarded or local, not both; one route per method and path; path parameters passed on."""
    problems = []
    seen = set()
    for route in routes:
        if not route.roles:
            problems.append(f"{route.key} : personne n'est autorisé (roles vide)")
        if set(route.roles) - set(ROLES):
            problems.append(f"{route.key} : rôles inconnus {sorted(set(route.roles) - set(ROLES))}")
        if bool(route.service) == bool(route.local):
            problems.append(f"{route.key} : ni relayée ni traitée par la passerelle, ou les deux")
        if route.service and set(_PARAM.findall(route.internal or "")) != set(route.path_params):
            problems.append(f"{route.key} : paramètres de chemin différents de {route.internal}")
        if not route.path.startswith(PREFIX + "/"):
            problems.append(f"{route.key} : hors de {PREFIX}")
        if not route.summary:
            problems.append(f"{route.key} : sans résumé")
        if route.key in seen:
            problems.append(f"{route.key} : déclarée deux fois")
        seen.add(route.key)
    return problems
