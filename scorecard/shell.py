"""Page shells: most pages outside the nav (the scorecards of ACOs, CPs and practices, the
measure pages) are written without rendering mkdocs-material's page template for each of them.

The template was about 3 ms of each page's 8 ms in mkdocs (issue 7). A page outside the nav
differs from the other pages of its folder (same page metadata) only by its title, its table of
contents and its content: the rest (header, tabs, nav, footer, scripts) is the same. So the
first page of such a group is rendered by the theme as usual; from it a shell is made, by
rendering the same template for a copy of the page whose title, table of contents and content
are markers; filling the shell with the first page must give exactly the page the theme wrote,
or the group keeps the theme's template. The other pages of the group are built by mkdocs with
a one-line template (`SHELL_TEMPLATE`, so mkdocs still reads, converts and writes each page and
runs every plugin) and filled in `on_post_page`. The table of contents and the skip link are
rendered for each page with the theme's own partial and filter.

Used through the mkdocs hooks that scorecard.site writes (HOOKS_MODULE); state is per build.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import posixpath
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

log = logging.getLogger(__name__)

SHELLS_ENV = "SCORECARD_SHELLS"  # "0": every page rendered by the theme (for comparing)
SHELL_TEMPLATE = "sc-shell.html"  # in site_templates/overrides: one line, replaced on_post_page
_TITLE = "<b>sc-shell-title</b>"  # as the title is shown; without the tags where striptags is
_TITLE_TEXT = "sc-shell-title"
_CONTENT = "<h1>sc-shell-content</h1>"  # has an h1 as every page filled (see _fits)
_TOC_ID, _TOC_CHILD = "sc-shell-toc", "sc-shell-toc-child"
_TOC_SOURCE = (
    '{% import "partials/language.html" as lang with context %}{% include "partials/toc.html" %}'
)
_SKIP_SOURCE = "{{ (page.toc | first).url | url }}"
_HOLE = "\x00{}\x00"  # where a page's parts go in a shell


@dataclass
class Shell:
    """A page template filled in: the text between the parts of a page."""

    pieces: list[str]  # text, hole name, text, hole name, ... text

    def fill(self, parts: dict[str, str]) -> str:
        """Return the page with each hole filled with its part."""
        return "".join(parts[p] if i % 2 else p for i, p in enumerate(self.pieces))


@dataclass
class _Group:
    template: str  # the page template the theme renders (main.html unless the page says)
    first: str  # src_uri of the page the theme renders and the shell is checked against
    shell: Shell | None = None
    checked: bool = False


@dataclass
class _State:
    env: Any = None
    filled: int = 0  # pages filled from a shell in this build
    toc: Any = None  # the theme's table of contents partial, compiled in its environment
    skip: Any = None  # the link of the "skip to content" button
    groups: dict[str, _Group] = field(default_factory=dict)


_STATE = _State()


def reset(**_: Any) -> None:
    """Forget the shells of an earlier build (on_pre_build)."""
    global _STATE
    _STATE = _State()


def keep_env(env: Any, **_: Any) -> Any:
    """Keep the theme's Jinja environment for the shells (on_env)."""
    _STATE.env = env
    _STATE.toc = env.from_string(_TOC_SOURCE)
    _STATE.skip = env.from_string(_SKIP_SOURCE)
    return env


def _key(page: Any) -> str | None:
    """Return the group of a page that may be built from a shell, or None."""
    in_nav = page.parent or page.previous_page or page.next_page or page.is_homepage
    if in_nav or not page.file.inclusion.is_not_in_nav():
        return None
    meta = {k: v for k, v in (page.meta or {}).items() if k != "template"}
    return json.dumps([posixpath.dirname(page.url), meta], sort_keys=True, default=str)


def choose_template(page: Any) -> None:
    """Have mkdocs render this page with the one-line shell template unless it is the first of
    its group (on_page_markdown: the page's metadata is read, its template not yet chosen)."""
    key = _key(page)
    if key is None or os.environ.get(SHELLS_ENV, "").strip() == "0":
        return
    template = page.meta.get("template", "main.html")
    group = _STATE.groups.setdefault(key, _Group(template, page.file.src_uri))
    if group.first != page.file.src_uri and group.template == template:
        page.meta["template"] = SHELL_TEMPLATE
        page.sc_shell_key = key


def keep_context(context: Any, page: Any, **_: Any) -> Any:
    """Keep the page's template context, and take the shell template back out of its metadata
    (on_page_context: mkdocs has chosen the template)."""
    key = _key(page)
    if key is not None:
        page.sc_context = context
        if page.meta.get("template") == SHELL_TEMPLATE:
            del page.meta["template"]
    return context


def fill(output: str, page: Any) -> str:
    """Return the page as the theme's template writes it (on_post_page, before anything else):
    a page built from the shell template gets its group's shell filled; the first page of a
    group, rendered by the theme, is used to make and check the shell."""
    key = getattr(page, "sc_shell_key", None)
    context = getattr(page, "sc_context", None)
    if context is None:
        return output
    group = _STATE.groups.get(_key(page) or "")
    try:
        if key is None:
            if group is not None and group.first == page.file.src_uri and not group.checked:
                group.checked = True
                group.shell = _checked_shell(context, page, group.template, output)
            return output
        if group is not None and group.shell is not None and _fits(page):
            _STATE.filled += 1
            return group.shell.fill(_parts(context, page))
        return _STATE.env.get_template(group.template if group else "main.html").render(context)
    finally:
        del page.sc_context


def _fits(page: Any) -> bool:
    """Return True when a page has what a shell assumes: a heading 1 and a table of contents."""
    return "<h1" in (page.content or "") and bool(list(page.toc or []))


def _parts(context: Any, page: Any) -> dict[str, str]:
    title = str(page.title or "")
    return {
        "title": title,
        "title_text": Markup(title).striptags(),
        "toc": _STATE.toc.render(context),
        "skip": _STATE.skip.render(context),
        "content": str(page.content),
    }


def _checked_shell(context: Any, page: Any, template: str, output: str) -> Shell | None:
    """Return the shell of the page's group if filling it with the page gives `output`, the
    page as the theme rendered it; else None (the group keeps the theme's template)."""
    if not _fits(page):
        return None
    shell = _make_shell(context, page, template)
    if shell is not None and shell.fill(_parts(context, page)) == output:
        return shell
    log.info("page shell of %s does not match its page: not used", page.file.src_uri)
    return None


def _make_shell(context: Any, page: Any, template: str) -> Shell | None:
    from mkdocs.structure.toc import AnchorLink, TableOfContents

    proxy = copy.copy(page)
    proxy.title = _TITLE
    proxy.content = _CONTENT
    top = AnchorLink(_TOC_ID, _TOC_ID, 1)
    top.children = [AnchorLink(_TOC_CHILD, _TOC_CHILD, 2)]
    proxy.toc = TableOfContents([top])
    proxy_context = copy.copy(context)
    proxy_context["page"] = proxy
    env = _STATE.env
    text = env.get_template(template).render(proxy_context)
    toc = _STATE.toc.render(proxy_context)
    skip = _STATE.skip.render(proxy_context)
    holes = [(toc, "toc", True), (_CONTENT, "content", True), (f'href="{skip}"', "skip", True)]
    holes += [(_TITLE, "title", False), (_TITLE_TEXT, "title_text", False)]
    for mark, hole, once in holes:
        if once and text.count(mark) != 1:
            return None
        filled = f'href="{_HOLE.format(hole)}"' if hole == "skip" else _HOLE.format(hole)
        text = text.replace(mark, filled)
    if any(mark in text for mark in (_TOC_ID, _TOC_CHILD, _TITLE_TEXT, "sc-shell-content")):
        return None
    pieces = text.split("\x00")
    return Shell(pieces) if len(pieces) % 2 == 1 else None
