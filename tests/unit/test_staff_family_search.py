"""Staff finding a family and acting from its page, without PostgreSQL: the search's words and pages (auth),
who may search which structure, the fake-store search script (its scope, a page past the end), the state of
a sheet staff may see (dossier), the bookings staff see (booking), and which failed mail may go out again
(notify), with the resend script over a fake store (another structure's mail does not exist)."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

import pytest

from contracts.errors import Forbidden, Invalid, NotFound
from kit.identity import Identity
from services.auth import access as auth_access
from services.auth.domain.family_search import PAGE_SIZE, Pages, page_number, query_words
from services.auth.service import family_search
from services.auth.store.family_search import FamilySummary
from services.booking import access as booking_access
from services.dossier import access as dossier_access
from services.notify.domain.resend import NOT_FAILED, PURGED, SECRET, resend_refusal
from services.notify.service import resends
from services.notify.store.resends import LoggedMail

HERE, THERE = uuid.uuid4(), uuid.uuid4()
staff_here = Identity(subject=str(uuid.uuid4()), role="staff", structures=(HERE,))
admin = Identity(subject=str(uuid.uuid4()), role="admin")
parent = Identity(subject=str(uuid.uuid4()), role="parent", family_id=uuid.uuid4())


# -- the rule: words and pages ---------------------------------------------------------------------------------
def test_a_query_is_its_distinct_lowercase_words_bounded():
    assert query_words("  Dupont   LÉA dupont ") == ["dupont", "léa"]
    assert query_words(None) == [] and query_words("   ") == []
    assert query_words("a b c d e f g") == ["a", "b", "c", "d", "e"]
    assert query_words("x" * 500) == ["x" * 60]


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), (None, 1), ("", 1), ("0", 1), ("-4", 1), ("abc", 1),
                                               ("99999999", 10_000), (2, 2)])
def test_the_page_asked_for_is_a_number_from_one(raw, expected):
    assert page_number(raw) == expected


def test_pages_of_an_answer():
    assert Pages(1, 0).count == 1 and not Pages(1, 0).has_next and not Pages(1, 0).has_previous
    assert Pages(1, PAGE_SIZE).count == 1
    middle = Pages(2, PAGE_SIZE * 2 + 1)
    assert (middle.count, middle.offset, middle.has_previous, middle.has_next) == (3, PAGE_SIZE, True, True)
    assert Pages(7, 45).within() == Pages(3, 45)
    assert Pages(2, 45).within() == Pages(2, 45)


# -- who may search which structure --------------------------------------------------------------------------------
def test_staff_search_only_the_structures_they_work_for():
    assert auth_access.search_scope(staff_here, HERE) == [HERE]
    with pytest.raises(Forbidden):
        auth_access.search_scope(staff_here, THERE)
    with pytest.raises(Forbidden):
        auth_access.search_scope(staff_here, None)
    with pytest.raises(Forbidden):
        auth_access.search_scope(parent, HERE)
    assert auth_access.search_scope(admin, None) is None
    assert auth_access.lookup_scope(staff_here) == [HERE] and auth_access.lookup_scope(admin) is None


class FakeAuthStore:
    """The two queries the search script calls, over families (structure, text) in memory."""

    def __init__(self, families: list[tuple[str, uuid.UUID]]):
        self.families = families
        self.calls: list[tuple] = []

    @contextlib.asynccontextmanager
    async def connection(self):
        yield None

    async def search_families(self, conn, structures, words, also, limit, offset):
        self.calls.append((structures, words, also, limit, offset))
        found = sorted(name for name, s in self.families
                       if (structures is None or s in structures) and all(w in name.lower() for w in words))
        page = found[offset:offset + limit]
        return len(found), [FamilySummary(uuid.uuid5(HERE, n), n, HERE, (), (), (), False) for n in page]


async def test_the_search_lists_the_structure_s_families_and_shows_the_last_page_past_the_end():
    store = FakeAuthStore([(f"MARTIN-{i:03d}", HERE) for i in range(45)] + [("MARTIN-LA", THERE)])
    answer = await family_search.search(store, staff_here, HERE, "martin", "9")
    assert (answer.pages.number, answer.pages.total, answer.pages.count) == (3, 45, 3)
    assert [f.identifiant for f in answer.families] == [f"MARTIN-{i:03d}" for i in range(40, 45)]
    assert all(call[0] == [HERE] for call in store.calls)  # never another structure's families
    assert answer.query == "martin"
    with pytest.raises(Forbidden):
        await family_search.search(store, staff_here, THERE, "martin", "1")


async def test_address_matches_count_only_with_a_query():
    store = FakeAuthStore([("DURAND-1", HERE)])
    named = uuid.uuid4()
    await family_search.search(store, staff_here, HERE, "", "1", [named])
    await family_search.search(store, staff_here, HERE, "rue des lilas", "1", [named])
    assert [call[2] for call in store.calls] == [[], [named]]


# -- dossier and booking: what staff see of a family -----------------------------------------------------------------
def test_staff_see_the_state_of_their_structures_sheets_only():
    assert dossier_access.may_see_sheet_state(staff_here, {HERE})
    assert not dossier_access.may_see_sheet_state(staff_here, {THERE})
    assert not dossier_access.may_see_sheet_state(parent, {HERE})
    assert dossier_access.may_see_sheet_state(admin, {THERE})
    assert dossier_access.address_scope(staff_here) == [HERE] and dossier_access.address_scope(admin) is None
    with pytest.raises(Forbidden):
        dossier_access.address_scope(parent)


def test_staff_see_a_family_s_bookings_in_their_structures_only():
    assert booking_access.family_bookings_scope(staff_here, {HERE, THERE}) == [HERE]
    with pytest.raises(NotFound):
        booking_access.family_bookings_scope(staff_here, {THERE})
    assert booking_access.family_bookings_scope(admin, set()) is None
    with pytest.raises(Forbidden):
        booking_access.family_bookings_scope(parent, {HERE})


# -- notify: sending a failed mail again ------------------------------------------------------------------------------
def test_only_a_failed_mail_whose_body_is_kept_and_not_a_credential_goes_out_again():
    assert resend_refusal("failed", "payment_ticket", body_kept=True) is None
    assert resend_refusal("sent", "payment_ticket", body_kept=True) == NOT_FAILED
    assert resend_refusal("pending", "payment_ticket", body_kept=True) == NOT_FAILED
    assert resend_refusal("failed", "password_reset", body_kept=True) == SECRET
    assert resend_refusal("failed", "sheet_reviewed", body_kept=False) == PURGED


def _mail(delivery_id: int, structure_id, status="failed", template="payment_ticket") -> LoggedMail:
    t = datetime(2027, 2, 4, 9, tzinfo=UTC)
    return LoggedMail(delivery_id, template, uuid.uuid4(), structure_id, ("a@example.fr",), "Reçu", status, 6,
                      "550 boîte inconnue", t, None, t, 0, True)


class FakeNotifyStore:
    def __init__(self, *mails: LoggedMail):
        self.mails = {m.id: m for m in mails}
        self.sent_again: list[tuple[int, str]] = []

    @contextlib.asynccontextmanager
    async def transaction(self):
        yield None

    async def logged_mail(self, conn, delivery_id, lock=False):
        return self.mails.get(delivery_id)

    async def send_again(self, conn, delivery_id, by):
        self.sent_again.append((delivery_id, by))


async def test_staff_send_again_a_failed_mail_of_their_structure_only():
    store = FakeNotifyStore(_mail(1, HERE), _mail(2, THERE), _mail(3, None), _mail(4, HERE, status="sent"))
    await resends.send_again(store, staff_here, 1)
    assert store.sent_again == [(1, staff_here.subject)]
    for other in (2, 3, 99):  # another structure's, a mail about no structure, none: not found
        with pytest.raises(NotFound):
            await resends.send_again(store, staff_here, other)
    with pytest.raises(Invalid, match="Seul un courriel en échec"):
        await resends.send_again(store, staff_here, 4)
    with pytest.raises(Forbidden):
        await resends.send_again(store, parent, 1)
    await resends.send_again(store, admin, 2)
    assert store.sent_again == [(1, staff_here.subject), (2, admin.subject)]
