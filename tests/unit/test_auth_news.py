"""auth cleans structure news with nh3: harmless formatting stays, anything that runs goes."""

from __future__ import annotations

import pytest

from services.auth.domain.news import clean_html


def test_formatting_is_kept():
    html = ("<h2>Inscriptions</h2><p>Ouvertes <strong>le 3 mars</strong>, <em>places limitées</em>.</p>"
            "<ul><li>cantine</li><li>mercredis</li></ul><ol><li>un</li></ol><h3>a</h3><h4>b</h4><br>"
            '<p><a href="https://ville.example/inscriptions" title="Inscriptions">le dossier</a> '
            '<a href="mailto:mairie@ville.example">écrire</a></p>')
    cleaned = clean_html(html)
    for kept in ("<h2>Inscriptions</h2>", "<strong>le 3 mars</strong>", "<em>places limitées</em>",
                 "<ul><li>cantine</li><li>mercredis</li></ul>", "<ol><li>un</li></ol>", "<h3>a</h3>", "<h4>b</h4>",
                 "<br>", '<a href="https://ville.example/inscriptions" title="Inscriptions" rel="noopener">',
                 '<a href="mailto:mairie@ville.example" rel="noopener">'):
        assert kept in cleaned


@pytest.mark.parametrize("html, gone", [
    ("<script>alert(1)</script><p>ok</p>", ("<script", "alert")),
    ('<img src="x" onerror="alert(1)">', ("onerror", "alert")),
    ('<p onclick="alert(1)" style="color:red">ok</p>', ("onclick", "style", "alert")),
    ('<a href="javascript:alert(1)">lien</a>', ("javascript", "alert")),
    ('<a href=" JaVa&#x09;ScRipt:alert(1)">lien</a>', ("script", "alert")),
    ('<a href="data:text/html,<script>alert(1)</script>">lien</a>', ("data:", "alert")),
    ('<a href="vbscript:msgbox(1)">lien</a>', ("vbscript",)),
    ('<a href="/gestion">lien</a>', ("href",)),
    ('<iframe src="https://evil.example"></iframe><object data="x"></object><embed src="x">', ("iframe", "object",
                                                                                                "embed", "evil")),
    ("<svg><script>alert(1)</script></svg><math><mi>x</mi></math>", ("svg", "math", "alert")),
    ("<style>body{display:none}</style><p>ok</p>", ("style", "display")),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', ("onerror", "alert")),
    ('<form action="https://evil.example"><input name="mot_de_passe"></form>', ("form", "input")),
    ("<!-- <script>alert(1)</script> -->", ("<!--", "script")),
])
def test_what_could_run_or_mislead_is_removed(html, gone):
    cleaned = clean_html(html).lower()
    for fragment in gone:
        assert fragment.lower() not in cleaned


def test_cleaning_twice_changes_nothing():
    once = clean_html('<p onclick="x">a <a href="https://e.example">b</a><a href="javascript:x">c</a>')
    assert clean_html(once) == once
    assert once == '<p>a <a href="https://e.example" rel="noopener">b</a><a rel="noopener">c</a></p>'
