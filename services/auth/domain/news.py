"""HTML written by staff (structure news) and administrators (the RGPD and CGU texts), reduced to harmless
formatting by nh3 (the Ammonia sanitiser).

auth owns these texts, so auth cleans them, whatever way they come (the staff page or the JSON API), and
cleans them again when it hands them out (texts stored before this rule existed)."""

from __future__ import annotations

import nh3

TAGS = frozenset({
    "p", "br", "hr", "strong", "b", "em", "i", "u", "span", "div", "blockquote",
    "h2", "h3", "h4", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Removed with everything inside them (not only the tags).
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "noscript", "noembed", "noframes",
    "template", "svg", "math", "textarea", "select", "title", "xmp",
})
# Links and images only towards the web or a mail address: never javascript:, data:, vbscript:...
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def clean_html(html: str) -> str:
    """Keep paragraphs, headings, lists, links, images and tables; drop scripts, styles, frames, event
    handlers (on…=), style attributes and any link that is not http, https or mailto; close what was
    left open. Every link gets rel="noopener"."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel="noopener",
        strip_comments=True,
    ).strip()
