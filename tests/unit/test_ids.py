import uuid

from kit.ids import uuid4s


def test_uuid4s_are_distinct_random_version_4_uuids():
    ids = uuid4s(500)
    assert len(ids) == 500 and len(set(ids)) == 500
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
    # as uuid.uuid4() would give: parsed back from their text unchanged
    assert all(uuid.UUID(str(i)) == i for i in ids)


def test_no_uuid_asked_none_given():
    assert uuid4s(0) == []
