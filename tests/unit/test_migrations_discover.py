"""Migration files: discovered in order, named NNN_description.sql, checksummed."""

import pytest

from kit.migrations import KIT_SQL, discover


def write(directory, name, sql="SELECT 1;"):
    (directory / name).write_text(sql, encoding="utf-8")


def test_files_are_ordered_by_number(tmp_path):
    write(tmp_path, "010_late.sql")
    write(tmp_path, "001_first.sql")
    write(tmp_path, "002_second.sql")
    write(tmp_path, "notes.txt")  # ignored: not .sql
    found = discover(tmp_path, "booking")
    assert [m.version for m in found] == ["booking:001", "booking:002", "booking:010"]
    assert [m.name for m in found] == ["first", "second", "late"]


def test_numbers_are_compared_as_numbers(tmp_path):
    write(tmp_path, "10_ten.sql")
    write(tmp_path, "9_nine.sql")
    assert [m.name for m in discover(tmp_path, "x")] == ["nine", "ten"]


@pytest.mark.parametrize("name", ["create_tables.sql", "v1_tables.sql", "001.sql", "001-tables.sql"])
def test_badly_named_file_is_refused(tmp_path, name):
    write(tmp_path, "001_ok.sql")
    write(tmp_path, name)
    with pytest.raises(ValueError, match="NNN_description.sql"):
        discover(tmp_path, "x")


def test_two_files_with_one_number_are_refused(tmp_path):
    write(tmp_path, "001_a.sql")
    write(tmp_path, "001_b.sql")
    with pytest.raises(ValueError, match="same number"):
        discover(tmp_path, "x")


def test_checksum_follows_content(tmp_path):
    write(tmp_path, "001_t.sql", "CREATE TABLE t (id int);")
    first = discover(tmp_path, "x")[0]
    assert first.checksum == discover(tmp_path, "x")[0].checksum
    write(tmp_path, "001_t.sql", "CREATE TABLE t (id bigint);")
    assert discover(tmp_path, "x")[0].checksum != first.checksum
    assert discover(tmp_path, "x")[0].sql == "CREATE TABLE t (id bigint);"


def test_empty_directory(tmp_path):
    assert discover(tmp_path, "x") == []


def test_kit_migrations_are_well_named():
    found = discover(KIT_SQL, "kit")
    assert found and found[0].version == "kit:001"
