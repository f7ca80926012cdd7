"""Parsing the staff's CSV export of families."""

from datetime import date
from uuid import uuid4

import pytest

from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.domain.family_csv import ImportFileError, RejectedLine, parse_family_csv

ECOLE, LOISIRS, CRECHE = uuid4(), uuid4(), uuid4()
STRUCTURES = {
    "École Jules Ferry": ECOLE,
    "Centre de loisirs Les Mouettes": LOISIRS,
    "Crèche Les Petits Loups": CRECHE,
}
TODAY = date(2026, 9, 1)

HEADER = (
    "identifiant;responsable_nom;responsable_prenom;autre_responsable_nom;autre_responsable_prenom;"
    "emails;structure;mot_de_passe_initial;enfant_prenom;enfant_nom;enfant_naissance;enfant_structure"
)
# A good family line, to vary one field at a time.
GOOD = {
    "identifiant": "martin.paul",
    "responsable_nom": "Martin",
    "responsable_prenom": "Paul",
    "autre_responsable_nom": "",
    "autre_responsable_prenom": "",
    "emails": "paul.martin@exemple.fr",
    "structure": "École Jules Ferry",
    "mot_de_passe_initial": "",
    "enfant_prenom": "Léo",
    "enfant_nom": "Martin",
    "enfant_naissance": "12/03/2018",
    "enfant_structure": "",
}


def line(**changes: str) -> str:
    values = {**GOOD, **changes}
    return ";".join(values[col] for col in HEADER.split(";"))


def parse(*lines: str, header: str = HEADER, encoding: str = "utf-8", bom: bool = False):
    text = "\r\n".join([header, *lines]) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return parse_family_csv(data, STRUCTURES, today=TODAY)


def reasons(result) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in result.rejected]


# -- a realistic file -------------------------------------------------------------------------

REALISTIC = "\r\n".join([
    HEADER + ";commentaire",
    ("dupont.jean;Dupont;Jean-François;Lefèvre;Amélie;jean.dupont@exemple.fr | amelie.lefevre@exemple.fr;"
    "école jules ferry;Rentrée-2026x;Chloé;Dupont;05/11/2017;;à relancer"),
    ("dupont.jean;Dupont;Jean-François;Lefèvre;Amélie;jean.dupont@exemple.fr | amelie.lefevre@exemple.fr;"
    "école jules ferry;;Noé;Dupont;2021-01-30;Crèche les petits loups;"),
    ("Garcia_M;  García  Nuñez ;  María   José ;;;m.garcia@exemple.fr,M.Garcia@exemple.fr  maria@exemple.com;"
    "Centre de loisirs Les Mouettes;;;;;;"),
    "bernard-l;Bernard;Léa;;;lea.bernard@exemple.fr;ECOLE JULES FERRY;;Hugo;Bernard;1/9/2019;;",
    "",
]).encode("utf-8")


def test_realistic_file():
    result = parse_family_csv(b"\xef\xbb\xbf" + REALISTIC, STRUCTURES, today=TODAY)
    assert result.rejected == ()
    assert result.families == (
        ImportedFamily(
            identifiant="dupont.jean",
            guardians=(ImportedGuardian("Jean-François", "Dupont", 1), ImportedGuardian("Amélie", "Lefèvre", 2)),
            emails=("jean.dupont@exemple.fr", "amelie.lefevre@exemple.fr"),
            structure_id=ECOLE,
            initial_password="Rentrée-2026x",
            children=(
                ImportedChild("Chloé", "Dupont", date(2017, 11, 5), ECOLE),
                ImportedChild("Noé", "Dupont", date(2021, 1, 30), CRECHE),
            ),
            lines=(2, 3),
        ),
        ImportedFamily(
            identifiant="Garcia_M",
            guardians=(ImportedGuardian("María José", "García Nuñez", 1),),
            emails=("m.garcia@exemple.fr", "maria@exemple.com"),
            structure_id=LOISIRS,
            initial_password=None,
            children=(),
            lines=(4,),
        ),
        ImportedFamily(
            identifiant="bernard-l",
            guardians=(ImportedGuardian("Léa", "Bernard", 1),),
            emails=("lea.bernard@exemple.fr",),
            structure_id=ECOLE,
            initial_password=None,
            children=(ImportedChild("Hugo", "Bernard", date(2019, 9, 1), ECOLE),),
            lines=(5,),
        ),
    )


def test_without_bom_same_result():
    with_bom = parse_family_csv(b"\xef\xbb\xbf" + REALISTIC, STRUCTURES, today=TODAY)
    assert parse_family_csv(REALISTIC, STRUCTURES, today=TODAY) == with_bom


def test_windows_1252():
    result = parse(line(responsable_prenom="Jérôme", enfant_prenom="Zoé"), encoding="cp1252")
    assert result.rejected == ()
    (family,) = result.families
    assert family.guardians[0].first_name == "Jérôme"
    assert family.children[0].first_name == "Zoé"
    assert family.structure_id == ECOLE


def test_comma_separator_when_header_has_no_semicolon():
    header = HEADER.replace(";", ",")
    row = ",".join(f'"{v}"' for v in GOOD.values()).replace("paul.martin@exemple.fr", "a@exemple.fr, b@exemple.fr")
    result = parse(row, header=header)
    assert result.rejected == ()
    assert result.families[0].emails == ("a@exemple.fr", "b@exemple.fr")


def test_header_case_accents_and_order_insensitive_and_optional_columns_absent():
    header = "Structure;Identifiant;RESPONSABLE_NOM;Responsable_Prénom;E-mails;Enfant Prénom;Enfant_Nom;Enfant_Naissance"
    header = header.replace("E-mails", "Emails")
    result = parse("École Jules Ferry;martin.paul;Martin;Paul;paul.martin@exemple.fr;Léo;Martin;2018-03-12",
                   header=header)
    assert result.rejected == ()
    (family,) = result.families
    assert family.identifiant == "martin.paul"
    assert family.guardians == (ImportedGuardian("Paul", "Martin", 1),)
    assert family.children == (ImportedChild("Léo", "Martin", date(2018, 3, 12), ECOLE),)
    assert family.initial_password is None


def test_excel_sep_hint_line():
    text = "sep=;\r\n" + HEADER + "\r\n" + line(identifiant="xyz") + "\r\n" + line(identifiant="") + "\r\n"
    result = parse_family_csv(text.encode(), STRUCTURES, today=TODAY)
    assert result.families[0].lines == (3,)
    assert reasons(result) == [(4, "identifiant manquant")]


def test_blank_lines_skipped_but_counted():
    result = parse(line(), "", ";;;;;;;;;;;", line(identifiant="", enfant_prenom="Zoé"))
    assert result.families[0].lines == (2,)
    assert reasons(result) == [(5, "identifiant manquant")]


def test_quoted_multiline_field_line_numbers():
    result = parse(line(responsable_nom='"Martin\nDurand"'), line(identifiant="", enfant_prenom="Zoé"))
    assert result.families[0].guardians[0].last_name == "Martin Durand"
    assert reasons(result) == [(4, "identifiant manquant")]


# -- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "reason"), [
    ({"identifiant": ""}, "identifiant manquant"),
    ({"identifiant": "ab"}, ("identifiant invalide : « ab » (3 à 64 caractères parmi lettres sans accent, "
                            "chiffres, « . », « - » et « _ »)")),
    ({"identifiant": "x" * 65}, None),
    ({"identifiant": "jean dupont"}, None),
    ({"responsable_nom": " "}, "nom du responsable manquant"),
    ({"responsable_prenom": ""}, "prénom du responsable manquant"),
    ({"autre_responsable_nom": "Durand"}, "autre responsable incomplet : nom et prénom sont obligatoires"),
    ({"emails": ""}, "adresse courriel manquante"),
    ({"emails": "jean@"}, "adresse courriel invalide : « jean@ »"),
    ({"emails": "ok@exemple.fr|jean@"}, "adresse courriel invalide : « jean@ »"),
    ({"structure": ""}, "structure manquante"),
    ({"structure": "Mairie de Trifouilly"}, "structure inconnue : « Mairie de Trifouilly »"),
    ({"enfant_structure": "Ludothèque"}, "structure de l'enfant inconnue : « Ludothèque »"),
    ({"enfant_naissance": "31/02/2019"}, "date de naissance invalide : « 31/02/2019 »"),
    ({"enfant_naissance": "2019-13-01"}, "date de naissance invalide : « 2019-13-01 »"),
    ({"enfant_naissance": "12/03/18"}, "date de naissance invalide : « 12/03/18 »"),
    ({"enfant_naissance": "02/09/2026"}, "date de naissance dans le futur"),
    ({"enfant_naissance": ""}, "enfant incomplet : prénom, nom et date de naissance sont obligatoires"),
    ({"enfant_prenom": ""}, "enfant incomplet : prénom, nom et date de naissance sont obligatoires"),
    ({"enfant_nom": ""}, "enfant incomplet : prénom, nom et date de naissance sont obligatoires"),
    ({"mot_de_passe_initial": "court1A"}, "mot de passe initial non conforme aux règles"),
    ({"mot_de_passe_initial": "sansmajuscule1"}, "mot de passe initial non conforme aux règles"),
    ({"mot_de_passe_initial": "Azerty123"}, "mot de passe initial trop courant"),
])
def test_each_rejection_reason_on_a_second_family(changes, reason):
    # Line 2 is a good family; line 3, another family, has one problem.
    changes.setdefault("identifiant", "autre.famille")
    result = parse(line(), line(**changes))
    assert [f.lines for f in result.families] == [(2,)]
    (rejected,) = result.rejected
    assert rejected.line == 3
    assert rejected.identifiant == (changes["identifiant"] or None)
    if reason is not None:
        assert rejected.reason == reason
    else:
        assert rejected.reason.startswith("identifiant invalide")


def test_today_is_not_the_future():
    result = parse(line(enfant_naissance="01/09/2026"))
    assert result.rejected == ()


def test_several_problems_on_one_line_all_named():
    result = parse(line(identifiant="", emails="jean@", structure="Nulle part"))
    assert reasons(result) == [(2, ("identifiant manquant ; adresse courriel invalide : « jean@ » ; "
                                   "structure inconnue : « Nulle part »"))]


def test_later_line_with_bad_child_rejected_but_family_kept():
    result = parse(line(), line(enfant_prenom="Zoé", enfant_naissance="31/02/2019"),
                   line(enfant_prenom="Inès", enfant_naissance="2020-06-15"))
    assert reasons(result) == [(3, "date de naissance invalide : « 31/02/2019 »")]
    (family,) = result.families
    assert [c.first_name for c in family.children] == ["Léo", "Inès"]
    assert family.lines == (2, 4)


def test_family_information_must_agree():
    differs = "informations du responsable différentes des lignes précédentes pour cette famille"
    result = parse(
        line(),
        line(enfant_prenom="A", responsable_prenom="Pierre"),
        line(enfant_prenom="B", emails="autre@exemple.fr"),
        line(enfant_prenom="C", structure="Crèche Les Petits Loups"),
        line(enfant_prenom="D", autre_responsable_nom="Durand", autre_responsable_prenom="Julie"),
        # Same facts, spelt differently: accepted.
        line(enfant_prenom="E", responsable_nom="MARTIN", structure="ecole jules ferry",
             emails="Paul.Martin@Exemple.fr"),
    )
    assert reasons(result) == [(3, differs), (4, differs), (5, differs), (6, differs)]
    assert [c.first_name for c in result.families[0].children] == ["Léo", "E"]


def test_initial_password_must_agree_when_repeated():
    result = parse(line(mot_de_passe_initial="Rentrée-2026x"),
                   line(enfant_prenom="A", mot_de_passe_initial=""),
                   line(enfant_prenom="B", mot_de_passe_initial="Autre-Chose-9"))
    assert reasons(result) == [(4, "mot de passe initial différent des lignes précédentes pour cette famille")]
    assert result.families[0].initial_password == "Rentrée-2026x"


def test_duplicate_child():
    result = parse(line(), line(enfant_prenom="LÉO ", enfant_nom="martin", enfant_naissance="2018-03-12"))
    assert reasons(result) == [(3, "enfant en double dans le fichier")]
    assert len(result.families[0].children) == 1


def test_same_child_in_two_families_is_allowed():
    # Separated parents, each with an account of their own.
    result = parse(line(), line(identifiant="durand.julie", responsable_nom="Durand", responsable_prenom="Julie"))
    assert result.rejected == ()
    assert len(result.families) == 2


def test_identifiant_grouping_is_case_insensitive():
    result = parse(line(), line(identifiant="MARTIN.PAUL", enfant_prenom="Zoé"))
    assert [f.identifiant for f in result.families] == ["martin.paul"]
    assert result.families[0].lines == (2, 3)


def test_family_whose_first_line_is_bad_is_rejected_whole():
    result = parse(
        line(identifiant="famille.a", emails="jean@"),
        line(),
        line(identifiant="famille.a", enfant_prenom="Zoé"),
        line(identifiant="famille.a", enfant_prenom="Inès", enfant_naissance="99/99/2020"),
    )
    assert [f.identifiant for f in result.families] == ["martin.paul"]
    assert result.rejected == (
        RejectedLine(2, "famille.a", "adresse courriel invalide : « jean@ »"),
        RejectedLine(4, "famille.a", "famille rejetée : adresse courriel invalide : « jean@ »"),
        RejectedLine(5, "famille.a", "famille rejetée : adresse courriel invalide : « jean@ »"),
    )


def test_line_with_more_fields_than_header():
    result = parse(line(emails="a@exemple.fr;b@exemple.fr"))
    assert result.families == ()
    assert result.rejected[0].reason.startswith("la ligne a plus de colonnes que l'en-tête")


def test_extra_columns_ignored():
    assert parse(line() + ";en plus", header=HEADER + ";Remarque").rejected == ()
    # A trailing separator, or a field beyond the header, on an otherwise good line.
    assert parse(line() + ";").rejected == ()
    assert parse(line() + ";en plus").rejected == ()


def test_structure_names_matched_ignoring_case_accents_and_spaces():
    result = parse(line(structure="  CRECHE   les petits LOUPS "))
    assert result.families[0].structure_id == CRECHE


# -- the whole file ---------------------------------------------------------------------------


def test_missing_required_columns_named():
    header = "identifiant;responsable_prenom;structure;enfant_prenom"
    with pytest.raises(ImportFileError) as info:
        parse("a;b;c;d", header=header)
    message = str(info.value)
    assert "responsable_nom" in message and "emails" in message
    assert "colonnes obligatoires manquantes" in message
    assert "identifiant," not in message


def test_one_missing_column_singular():
    with pytest.raises(ImportFileError, match="colonne obligatoire manquante : emails"):
        parse("x", header=HEADER.replace("emails", "courriels"))


@pytest.mark.parametrize(("data", "match"), [
    (b"", "vide"),
    (b"  \r\n\r\n", "vide"),
    (b"PK\x03\x04\x14\x00\x06\x00", "pas un fichier CSV"),
    (HEADER.encode() + b"\r\n", "aucune famille"),
    (b"\x81\x8d\x8f\x90\x9d", "UTF-8 ou en Windows-1252"),
    (b"nom,prenom\nx,y\n", "colonnes obligatoires manquantes"),
])
def test_unusable_files(data, match):
    with pytest.raises(ImportFileError, match=match):
        parse_family_csv(data, STRUCTURES, today=TODAY)


def test_duplicate_header_column():
    with pytest.raises(ImportFileError, match="plusieurs fois"):
        parse(line() + ";x", header=HEADER + ";Identifiant")


def _many(n: int) -> bytes:
    rows = [line(identifiant=f"famille{i:05d}", enfant_prenom="", enfant_nom="", enfant_naissance="")
            for i in range(n)]
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def test_5000_lines_accepted():
    result = parse_family_csv(_many(5000), STRUCTURES, today=TODAY)
    assert len(result.families) == 5000
    assert result.rejected == ()


def test_5001_lines_refused():
    with pytest.raises(ImportFileError, match="plus de 5 000 lignes"):
        parse_family_csv(_many(5001), STRUCTURES, today=TODAY)


def test_civility_column_greets_the_responsable():
    from services.auth.domain.family_csv_line import parse_civility

    assert parse_civility("Monsieur") == "M." and parse_civility(" mme ") == "Mme" and parse_civility("") is None
    assert parse_civility("Docteur") is False
