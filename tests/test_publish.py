"""Versioned output: versions.json, aliases, atomic swap, no overwrite, old editions kept."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin
from urllib.request import urlopen

import pytest
from site_fixture import chromium_page, make_sample_input, serve_folder

from scorecard import disk, i18n, publish


def tree_digest(folder: Path) -> dict[str, str]:
    """Return relative path -> sha256 of every file under folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Publish 2025Q3, then 2025Q4 into one out_root; keep digests of 2025Q3 before and after."""
    root = tmp_path_factory.mktemp("out")
    first = publish.publish_version(make_sample_input("2025Q3"), root)
    before = tree_digest(first)
    stamps = _stamps(first)
    second = publish.publish_version(make_sample_input("2025Q4", ["2025Q3", "2025Q4"]), root)
    return {"root": root, "first": first, "second": second, "before": before, "stamps": stamps}


def _stamps(folder: Path) -> dict[str, int]:
    """Return relative path -> modification time (ns) of every file under folder."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_versions_json_is_mike_format_newest_first(published: dict) -> None:
    entries = json.loads((published["root"] / "versions.json").read_text())
    assert entries == [
        {"version": "2025Q4", "title": "2025 Q4", "aliases": ["latest"]},
        {"version": "2025Q3", "title": "2025 Q3", "aliases": []},
    ]


def test_adding_a_version_leaves_the_first_byte_identical(published: dict) -> None:
    assert published["before"]
    assert tree_digest(published["first"]) == published["before"]
    # not rewritten either, not even with the same bytes
    assert _stamps(published["first"]) == published["stamps"]


def test_each_edition_is_complete_and_self_contained(published: dict) -> None:
    for folder in (published["first"], published["second"]):
        assert (folder / "index.html").is_file()
        assert (folder / "static" / "plotly.min.js").is_file()
        assert (folder / "downloads" / "results.csv").is_file()
        assert (folder / "downloads" / "results.parquet").is_file()
    assert (published["second"] / "aco" / "aco1.html").is_file()


def test_version_selector_is_enabled(published: dict) -> None:
    text = (published["second"] / "index.html").read_text(encoding="utf-8")
    assert '"provider": "mike"' in text or '"provider":"mike"' in text


def test_latest_alias_and_root_send_readers_to_the_newest(published: dict) -> None:
    root = published["root"]
    latest = (root / "latest" / "index.html").read_text(encoding="utf-8")
    assert 'url=../2025Q4/index.html"' in latest
    assert 'url=2025Q4/index.html"' in (root / "index.html").read_text(encoding="utf-8")


def test_latest_sends_every_page_to_the_same_page_of_the_newest(published: dict) -> None:
    root = published["root"]
    pages = publish.edition_pages(root / "2025Q4")
    assert "aco/aco1.html" in pages and "es/index.html" in pages and "404.html" not in pages
    assert publish.edition_pages(root / "latest") == pages
    deep = (root / "latest" / "aco" / "aco1.html").read_text(encoding="utf-8")
    assert 'url=../../2025Q4/aco/aco1.html"' in deep and "location.hash" in deep
    sizes = [(root / "latest" / page).stat().st_size for page in pages]
    assert max(sizes) < 1024
    assert publish.write_latest(root, "2025Q4", "Scorecard results for 2025 Q4") == []


def test_latest_is_rewritten_when_the_newest_gains_a_page(tmp_path: Path) -> None:
    fake_version(tmp_path, "2025Q3")
    publish.refresh(tmp_path)
    assert publish.edition_pages(tmp_path / "latest") == ["index.html"]
    (tmp_path / "2025Q3" / "aco").mkdir()
    (tmp_path / "2025Q3" / "aco" / "ACO01.html").write_text("<p>ACO01</p>")
    assert publish.refresh(tmp_path) == ["latest"]
    assert publish.edition_pages(tmp_path / "latest") == ["aco/ACO01.html", "index.html"]
    fake_version(tmp_path, "2025Q4")
    publish.refresh(tmp_path)
    # the page 2025Q4 lacks still leads somewhere: to the 2025Q3 page
    assert publish.edition_pages(tmp_path / "latest") == ["aco/ACO01.html", "index.html"]
    assert "../2025Q4/index.html" in (tmp_path / "latest" / "index.html").read_text()
    assert "../../2025Q3/aco/ACO01.html" in (tmp_path / "latest/aco/ACO01.html").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_latest_keeps_a_page_that_left_the_newest_edition(tmp_path: Path) -> None:
    def page(version: str, relative: str) -> None:
        path = tmp_path / version / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<p>{relative}</p>")

    def leads_to(relative: str) -> str:
        text = (tmp_path / "latest" / relative).read_text(encoding="utf-8")
        return text.split("url=", 1)[1].split('"', 1)[0]

    fake_version(tmp_path, "2025Q2")
    page("2025Q2", "measures/dropped_long_ago.html")
    fake_version(tmp_path, "2025Q3")
    for relative in ("aco/ACO01.html", "aco/ACO05.html", "measures/old_measure.html"):
        page("2025Q3", relative)
    fake_version(tmp_path, "2025Q4")
    page("2025Q4", "aco/ACO01.html")
    publish.refresh(tmp_path)
    assert leads_to("aco/ACO01.html") == "../../2025Q4/aco/ACO01.html"
    assert leads_to("aco/ACO05.html") == "../../2025Q3/aco/ACO05.html"  # gone from 2025Q4
    assert leads_to("measures/old_measure.html") == "../../2025Q3/measures/old_measure.html"
    assert (
        leads_to("measures/dropped_long_ago.html") == "../../2025Q2/measures/dropped_long_ago.html"
    )
    assert "Scorecard results for 2025 Q3" in (tmp_path / "latest/aco/ACO05.html").read_text()
    # one small file per page of any edition, nothing more; rewritten only when a target moves
    union = {p for v in ("2025Q2", "2025Q3", "2025Q4") for p in publish.edition_pages(tmp_path / v)}
    assert publish.edition_pages(tmp_path / "latest") == sorted(union)
    assert publish.refresh(tmp_path) == []
    # a hidden edition's pages lead to the newest edition's home, never to the hidden one
    publish.set_state(tmp_path, "2025Q3", "hidden")
    assert leads_to("aco/ACO05.html") == "../../2025Q4/index.html"
    assert (
        leads_to("measures/dropped_long_ago.html") == "../../2025Q2/measures/dropped_long_ago.html"
    )
    # a retired edition is still in the menu: its pages are still led to
    publish.set_state(tmp_path, "2025Q3", "retired")
    assert leads_to("aco/ACO05.html") == "../../2025Q3/aco/ACO05.html"


def test_no_temporary_folders_are_left(published: dict) -> None:
    names = sorted(p.name for p in published["root"].iterdir())
    assert names == [
        "2025Q3",
        "2025Q4",
        "index.html",
        "latest",
        "versions-state.json",
        "versions.json",
    ]


def test_refuses_to_overwrite_without_force(published: dict) -> None:
    before = tree_digest(published["root"])
    with pytest.raises(publish.VersionExistsError, match="force=True"):
        publish.publish_version(make_sample_input("2025Q4"), published["root"])
    assert tree_digest(published["root"]) == before


def foreign_folder(out_root: Path, version: str) -> dict[str, str]:
    """Create a folder named like an edition holding someone's own files; return its digest."""
    folder = out_root / version
    folder.mkdir(parents=True)
    (folder / "board_memo.docx").write_bytes(b"PK\x03\x04 the board's memo")
    (folder / "index.html").write_text("<p>Our own page, written by hand</p>")
    return tree_digest(folder)


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_that_is_not_an_edition_is_never_replaced(tmp_path: Path, force: bool) -> None:
    before = foreign_folder(tmp_path, "2025Q4")
    assert publish.existing_versions(tmp_path) == []
    with pytest.raises(publish.PublishError, match="not an edition of this site") as raised:
        publish.publish_version(make_sample_input("2025Q4"), tmp_path, force=force)
    assert str(tmp_path / "2025Q4") in str(raised.value)
    assert "move it away or choose another --out" in str(raised.value)
    assert "already published" not in str(raised.value)
    assert tree_digest(tmp_path / "2025Q4") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025Q4"]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_the_build_refuses_a_folder_that_is_not_an_edition_with_exit_2(
    tmp_path: Path, force: list[str]
) -> None:
    from click.testing import CliRunner

    from scorecard.cli import main

    before = foreign_folder(tmp_path, "2025Q4")
    args = ["build", "--out", str(tmp_path), "--period", "2025Q4", "--quiet", *force]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / '2025Q4'}: this folder is not an edition of this site" in result.output
    assert "move it away or choose another --out" in result.output
    assert "already published" not in result.output and "Traceback" not in result.output
    assert tree_digest(tmp_path) == {f"2025Q4/{name}": h for name, h in before.items()}


def test_force_replaces_and_an_older_edition_does_not_take_latest(tmp_path: Path) -> None:
    publish.publish_version(make_sample_input("2025Q4"), tmp_path)
    marker = tmp_path / "2025Q4" / "stale.txt"
    marker.write_text("from the replaced build")
    publish.publish_version(make_sample_input("2025Q4"), tmp_path, force=True)
    assert not marker.exists()
    publish.publish_version(make_sample_input("2025Q2"), tmp_path)
    entries = publish.read_versions(tmp_path)
    assert [e["version"] for e in entries] == ["2025Q4", "2025Q2"]
    assert entries[0]["aliases"] == ["latest"]
    assert "../2025Q4/" in (tmp_path / "latest" / "index.html").read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [publish.RESTATED]


def test_force_keeps_the_replaced_edition_whole_outside_the_site(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scorecard.cli import main

    publish.publish_version(make_sample_input("2025Q4"), tmp_path)
    first = tree_digest(tmp_path / "2025Q4")
    sha = hashlib.sha256((tmp_path / "2025Q4/downloads/manifest.json").read_bytes()).hexdigest()
    second = make_sample_input("2025Q4")
    second.program_name = "Corrected build"
    publish.publish_version(second, tmp_path, force=True)
    archive = tmp_path / ".restated" / f"2025Q4-{sha[:12]}"
    assert [p.name for p in (tmp_path / ".restated").iterdir()] == [archive.name]
    assert tree_digest(archive) == first, "the replaced edition is kept whole, byte for byte"
    manifest = publish.edition_manifest(tmp_path, "2025Q4")
    assert manifest["restates"]["manifest_sha256"] == sha
    assert manifest["restates"]["archive"] == f".restated/{archive.name}"
    published_on = manifest["restates"]["published_on"]
    assert set(manifest["restates"]) == {"published_on", "data_as_of", "manifest_sha256", "archive"}
    provenance = (tmp_path / "2025Q4" / "provenance.html").read_text(encoding="utf-8")
    in_words = i18n.date_words(date.fromisoformat(published_on), "en")
    assert f"replaces the edition of 2025 Q4 first published on {in_words}" in provenance
    # .restated/ is no part of the site: not an edition, not listed, not in latest/ or a sitemap
    assert publish.existing_versions(tmp_path) == ["2025Q4"]
    assert publish.ignored_folders(tmp_path) == []
    assert [e["version"] for e in publish.read_versions(tmp_path)] == ["2025Q4"]
    assert not [p for p in publish.edition_pages(tmp_path / "latest") if "restated" in p]
    assert "restated" not in (tmp_path / "2025Q4" / "sitemap.xml").read_text(encoding="utf-8")
    with publish.locked(tmp_path):
        publish.recover(tmp_path)
    assert tree_digest(archive) == first
    listed = CliRunner().invoke(main, ["versions", "list", "--out", str(tmp_path)]).output
    assert (
        f"2025Q4     replaced: the edition first published {published_on} (data as of unknown)"
        f" is kept, not served, in .restated/{archive.name}"
    ) in listed
    # restated again: both earlier editions kept
    publish.publish_version(make_sample_input("2025Q4"), tmp_path, force=True)
    assert len(list((tmp_path / ".restated").iterdir())) == 2
    assert tree_digest(archive) == first


def test_force_with_an_identical_edition_leaves_it_and_restates_nothing(tmp_path: Path) -> None:
    # it archived a copy in .restated/ and recorded a restatement though only the record of
    # the build differed (manifest.json, provenance.html, search_index.json)
    publish.publish_version(make_sample_input("2025Q4"), tmp_path)
    before = tree_digest(tmp_path)
    again = publish.publish_edition(make_sample_input("2025Q4"), tmp_path, force=True)
    assert again == publish.Published(tmp_path / "2025Q4", unchanged=True)
    assert tree_digest(tmp_path) == before
    assert not list(tmp_path.glob(".*")) and publish.restated_editions(tmp_path) == []
    assert "restates" not in publish.edition_manifest(tmp_path, "2025Q4")
    # a different edition is still swapped in, the published one kept whole
    changed = make_sample_input("2025Q4")
    changed.program_name = "Corrected build"
    assert not publish.publish_edition(changed, tmp_path, force=True).unchanged
    archive = tmp_path / publish.edition_manifest(tmp_path, "2025Q4")["restates"]["archive"]
    assert tree_digest(archive) == {
        k.removeprefix("2025Q4/"): v for k, v in before.items() if k.startswith("2025Q4/")
    }
    # an edition once restated, rebuilt the same again: its own "restates" does not count
    middle = tree_digest(tmp_path)
    assert publish.publish_edition(changed, tmp_path, force=True).unchanged
    assert tree_digest(tmp_path) == middle


def test_same_edition_compares_every_file_but_the_record_of_the_build(tmp_path: Path) -> None:
    old = publish.publish_version(make_sample_input("2025Q4"), tmp_path / "a")
    new = shutil.copytree(old, tmp_path / "b" / "2025Q4")
    assert publish.same_edition(new, old)
    manifest = new / "downloads" / "manifest.json"
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**recorded, "restates": {"archive": "x"}}), encoding="utf-8")
    (new / "provenance.html").write_text("replaces the edition ...", encoding="utf-8")
    assert publish.same_edition(new, old)
    manifest.write_text(json.dumps({**recorded, "data_as_of": "2026-01-01"}), encoding="utf-8")
    assert not publish.same_edition(new, old)
    manifest.write_text(json.dumps(recorded), encoding="utf-8")
    (new / "stale.txt").write_text("a file the other has not")
    assert not publish.same_edition(new, old)
    (new / "stale.txt").unlink()
    page = new / "index.html"
    page.write_bytes(page.read_bytes() + b" ")
    assert not publish.same_edition(new, old)


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = make_sample_input("2025Q4")
    broken.results = broken.results.drop(columns=["kind"])
    with pytest.raises(KeyError):
        publish.publish_version(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["latest", "../x", "", ".hidden", "a/b", "2025Q4.bak", "help"])
def test_version_ids_must_be_plain_folder_names(bad: str) -> None:
    with pytest.raises(ValueError):
        publish.check_version_id(bad)


def test_published_versions_lists_existing_editions(published: dict) -> None:
    assert publish.published_versions(published["root"]) == ["2025Q4", "2025Q3"]
    assert publish.published_versions(published["root"] / "nowhere") == []


def test_versions_sort_by_time() -> None:
    ids = ["2025Q1", "2024", "2025Q4", "2025Q10", "2024Q4"]
    entries = publish.versions_entries(ids)
    assert [e["version"] for e in entries] == ["2025Q10", "2025Q4", "2025Q1", "2024Q4", "2024"]
    assert [e["aliases"] for e in entries] == [["latest"], [], [], [], []]
    noted = publish.versions_entries(["2025Q3", "2025Q4"], {"2025Q3": "retired"}, {"2025Q3"})
    assert [e["title"] for e in noted] == ["2025 Q4", "2025 Q3 (retired) (see data note)"]


def test_write_text_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "versions.json"
    disk.write_text(path, "old")
    disk.write_text(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["versions.json"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_written_whole_get_the_mode_the_umask_gives(
    tmp_path: Path, umask: int, mode: int
) -> None:
    # mkstemp makes 0600: the site's files must be readable as any new file is (0644 under the
    # usual umask), but an operator's umask 077 keeps person-level caches and histories
    # private (before, every file was forced to 0644)
    before = os.umask(umask)
    try:
        disk.write_text(tmp_path / "file.txt", "text")
    finally:
        os.umask(before)
    assert (tmp_path / "file.txt").stat().st_mode & 0o777 == mode


def test_redirect_page_escapes_and_keeps_a_plain_link() -> None:
    html = publish.redirect_html("../2025Q4/index.html", "A <b> title")
    assert '<a href="../2025Q4/index.html">' in html
    assert "A &lt;b&gt; title" in html


@pytest.mark.browser
def test_version_selector_and_outdated_banner_in_a_browser(published: dict) -> None:
    from playwright import sync_api

    assert shutil.which("chromium"), "Debian's chromium is needed: apt-get install -y chromium"
    with serve_folder(published["root"].parent) as url, chromium_page(sync_api) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        base = f"{url}/{published['root'].name}"
        page.goto(f"{base}/")
        assert page.url.endswith("/2025Q4/index.html")
        page.wait_for_selector(".md-version__link", state="attached")
        assert page.locator(".md-version__link").all_inner_texts() == ["2025 Q4", "2025 Q3"]
        assert page.locator("[data-md-component=outdated]").get_attribute("hidden") is not None
        page.goto(f"{base}/2025Q3/cp/cp1.html")
        page.wait_for_selector("[data-md-component=outdated]:not([hidden])", state="attached")
        # the menu keeps the reader on the same page (each edition's sitemap.xml lists its pages)
        page.goto(f"{base}/2025Q4/aco/aco1.html#top")
        page.wait_for_selector(".md-version__link", state="attached")
        page.locator(".md-version").hover()
        page.get_by_role("link", name="2025 Q3").click()
        page.wait_for_url("**/2025Q3/aco/aco1.html*")
        # latest/ sends a deep link to the same page of the newest edition, keeping the anchor
        page.goto(f"{base}/latest/cp/cp1.html#measures")
        page.wait_for_url("**/2025Q4/cp/cp1.html#measures")
        assert not errors


@pytest.mark.browser
def test_spanish_pages_have_the_edition_menu_and_banner(published: dict) -> None:
    from playwright import sync_api

    with serve_folder(published["root"].parent) as url, chromium_page(sync_api) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        base = f"{url}/{published['root'].name}"
        page.goto(f"{base}/2025Q4/es/index.html")
        page.wait_for_selector(".md-version__link", state="attached")
        # the editions titled in Spanish words (i18n.period_words), not '2025 Q4'
        spanish = ["octubre a diciembre de 2025", "julio a septiembre de 2025"]
        assert page.locator(".md-version__link").all_inner_texts() == spanish
        assert page.locator(".md-version__current").inner_text() == spanish[0]
        assert page.locator("[data-sc-outdated]").count() == 0
        page.goto(f"{base}/2025Q3/es/index.html")
        banner = page.locator("[data-sc-outdated]")
        banner.wait_for()
        assert "edición anterior" in banner.inner_text()
        assert banner.locator("a").get_attribute("href").endswith("/2025Q4/es/index.html")
        page.locator(".md-version").hover()
        page.get_by_role("link", name="octubre a diciembre de 2025").click()
        page.wait_for_url("**/2025Q4/es/index.html")
        assert not errors


@pytest.mark.browser
def test_a_hidden_edition_knows_its_name_and_shows_the_banner(
    published: dict, tmp_path: Path
) -> None:
    from playwright import sync_api

    root = tmp_path / "site"
    shutil.copytree(published["root"], root)
    publish.set_state(root, "2025Q4", "hidden")
    with serve_folder(tmp_path) as url, chromium_page(sync_api) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/site/2025Q4/aco/aco1.html")
        page.wait_for_selector(".md-version__current", state="attached")
        assert page.locator(".md-version__current").inner_text().startswith("2025 Q4")
        assert page.locator(".md-version__link").all_inner_texts() == ["2025 Q3"]
        page.wait_for_selector("[data-md-component=outdated]:not([hidden])", state="attached")
        publish.set_state(root, "2025Q3", "hidden")  # every edition hidden: no script error
        page.goto(f"{url}/site/2025Q3/index.html")
        page.wait_for_selector(".md-version__current", state="attached")
        assert page.locator(".md-version__current").inner_text().startswith("2025 Q3")
        assert not errors


# ---------------------------------------------------------------- version states (CLI)


def fake_version(out_root: Path, version: str) -> Path:
    """Create a minimal version folder (an index.html is what makes a folder a version)."""
    folder = out_root / version
    (folder / "downloads").mkdir(parents=True)
    (folder / "index.html").write_text(f"<p>{version}</p>")
    (folder / "downloads" / "manifest.json").write_text(json.dumps({"data_as_of": "2025-12-31"}))
    return folder


def test_hide_retire_and_show_never_touch_a_version_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scorecard.cli import main

    for version in ("2025Q3", "2025Q4"):
        fake_version(tmp_path, version)
    publish.refresh(tmp_path, audience="public")
    folders = {v: tree_digest(tmp_path / v) for v in ("2025Q3", "2025Q4")}
    runner = CliRunner()

    def versions(*args: str) -> str:
        result = runner.invoke(main, ["versions", *args, "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        return result.output

    def latest() -> str:
        return (tmp_path / "latest" / "index.html").read_text(encoding="utf-8")

    assert "2025Q4     active   yes    public" in versions("list")
    versions("hide", "2025Q4")
    assert publish.read_versions(tmp_path) == [
        {"version": "2025Q4", "title": "2025 Q4", "aliases": [], "properties": {"hidden": True}},
        {"version": "2025Q3", "title": "2025 Q3", "aliases": ["latest"]},
    ]
    assert "../2025Q3/" in latest()
    versions("retire", "2025Q3")
    assert publish.read_versions(tmp_path)[1:] == [
        {"version": "2025Q3", "title": "2025 Q3 (retired)", "aliases": ["latest"]}
    ]
    versions("show", "2025Q4")
    assert [e["title"] for e in publish.read_versions(tmp_path)] == ["2025 Q4", "2025 Q3 (retired)"]
    assert "../2025Q4/" in latest()
    state = json.loads((tmp_path / "versions-state.json").read_text())
    published = state.pop("published")  # each edition's first day, by its manifest's SHA-256
    # the two made-up editions have the same manifest: one day for both
    assert list(published.values()) == [datetime.now(UTC).date().isoformat()]
    assert state == {"versions": {"2025Q3": "retired"}, "audience": "public"}
    rows = json.loads(versions("list", "--format", "json"))
    assert [(r["version"], r["state"], r["latest"]) for r in rows] == [
        ("2025Q4", "active", True),
        ("2025Q3", "retired", False),
    ]
    assert {v: tree_digest(tmp_path / v) for v in folders} == folders
    result = runner.invoke(main, ["versions", "hide", "2024Q1", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not published here" in result.output
    # every edition hidden: the site's address says so (not 'not found'); showing one undoes it
    versions("hide", "2025Q4")
    versions("hide", "2025Q3")
    hidden = [e["properties"] for e in publish.read_versions(tmp_path)]
    assert hidden == [{"hidden": True}] * 2 and not (tmp_path / "latest").exists()
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "No results are published at the moment" in page and "2025Q" not in page
    versions("show", "2025Q3")
    assert 'url=2025Q3/index.html"' in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert {v: tree_digest(tmp_path / v) for v in folders} == folders


@pytest.mark.parametrize(
    "command", [["hide", "2025Q4"], ["retire", "2025Q4"], ["show", "2025Q3"], ["repair"]]
)
def test_versions_commands_on_a_read_only_site_exit_3_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    import errno
    import os

    from click.testing import CliRunner

    from scorecard.cli import main

    for version in ("2025Q3", "2025Q4"):
        fake_version(tmp_path, version)
    publish.refresh(tmp_path)
    publish.set_state(tmp_path, "2025Q3", "hidden")
    (tmp_path / "versions.json").write_text("[]\n")  # stale: repair would rewrite it
    before = tree_digest(tmp_path)
    real_replace = os.replace

    def read_only(source: object, target: object, **kwargs: object) -> None:
        if Path(str(target)).is_relative_to(tmp_path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(source))
        real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", read_only)
    result = CliRunner().invoke(main, ["versions", *command, "--out", str(tmp_path)])
    assert result.exit_code == 3, result.output  # the disk's code, as docs/ci.md says
    assert "cannot write (Read-only file system)" in result.output
    assert f"make {tmp_path} writable" in result.output and "run the command again" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert tree_digest(tmp_path) == before


def test_a_hidden_version_stays_hidden_after_the_next_publish(tmp_path: Path) -> None:
    fake_version(tmp_path, "2025Q3")
    publish.set_state(tmp_path, "2025Q3", "hidden")
    publish.publish_version(make_sample_input("2025Q4"), tmp_path)
    entries = publish.read_versions(tmp_path)
    assert [(e["version"], "properties" in e) for e in entries] == [
        ("2025Q4", False),
        ("2025Q3", True),
    ]
    assert publish.existing_versions(tmp_path) == ["2025Q4", "2025Q3"]
    assert publish.published_versions(tmp_path) == ["2025Q4"]


def test_only_edition_folders_count_as_editions(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scorecard.cli import main

    fake_version(tmp_path, "2025Q3")
    shutil.copytree(tmp_path / "2025Q3", tmp_path / "2025Q3.bak")  # a copy kept by hand
    copy = shutil.copytree(tmp_path / "2025Q3", tmp_path / "2025Q4")  # a copy under a period id
    (copy / "downloads" / "manifest.json").write_text(json.dumps({"period": "2025Q3"}))
    (tmp_path / "help").mkdir()
    (tmp_path / "help" / "index.html").write_text("<p>help</p>")
    publish.recover(tmp_path)
    assert publish.existing_versions(tmp_path) == ["2025Q3"]
    assert [e["version"] for e in publish.read_versions(tmp_path)] == ["2025Q3"]
    assert 'url=2025Q3/index.html"' in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert publish.ignored_folders(tmp_path) == ["2025Q3.bak", "2025Q4", "help"]
    result = CliRunner().invoke(main, ["versions", "list", "--out", str(tmp_path)])
    assert "not editions, left alone: 2025Q3.bak, 2025Q4, help" in result.output


def test_recover_rewrites_a_stale_menu_and_drops_temporary_files(tmp_path: Path) -> None:
    fake_version(tmp_path, "2025Q4")
    publish.refresh(tmp_path)
    (tmp_path / "versions.json").write_text("[]\n")
    (tmp_path / ".versions.json-abc").write_text("half")
    (tmp_path / ".build-2025Q4-xyz" / "tree").mkdir(parents=True)
    actions = publish.recover(tmp_path)
    assert "rewrote versions.json" in actions and "deleted .build-2025Q4-xyz" in actions
    assert [e["version"] for e in publish.read_versions(tmp_path)] == ["2025Q4"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_publishing_another_audience_into_a_site_is_refused(tmp_path: Path) -> None:
    fake_version(tmp_path, "2025Q3")
    publish.refresh(tmp_path, audience="partner:cp1")
    before = tree_digest(tmp_path)
    with pytest.raises(publish.PublishError, match="its own folder"):
        publish.publish_version(make_sample_input("2025Q4"), tmp_path, audience="public")
    assert tree_digest(tmp_path) == before


def test_zip_downloads_get_fixed_dates(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "book.xlsx"
    core = '<cp:x><dcterms:created xsi:type="W3CDTF">2031-01-02T03:04:05Z</dcterms:created></cp:x>'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("docProps/core.xml", core)
        archive.writestr("xl/sheet1.xml", "<x/>")
    first = path.read_bytes()
    assert publish.normalize_archives(tmp_path, 1767139200) == [path]
    with zipfile.ZipFile(path) as archive:
        assert "2025-12-31T00:00:00Z" in archive.read("docProps/core.xml").decode()
        assert {i.date_time for i in archive.infolist()} == {(2025, 12, 31, 0, 0, 0)}
    normalized = path.read_bytes()
    path.write_bytes(first)
    publish.normalize_archives(tmp_path, 1767139200)
    assert path.read_bytes() == normalized


# ---------------------------------------------------------------- served under a sub-path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.links.append(str(values[name]))
        content = values.get("content") or ""
        if tag == "meta" and "url=" in content:
            self.links.append(content.split("url=", 1)[1].strip())


def test_every_link_is_relative_and_works_under_a_sub_path(published: dict) -> None:
    root = published["root"]
    with serve_folder(root.parent) as url:
        base = f"{url}/{root.name}/"
        pages, seen, absolute, broken = [base], set(), [], []
        while pages:
            page = pages.pop()
            if page in seen:
                continue
            seen.add(page)
            with urlopen(page) as response:
                body = response.read().decode("utf-8", errors="replace")
            parser = _Links()
            parser.feed(body)
            for link in parser.links:
                if link.startswith("/"):
                    absolute.append((page, link))
                    continue
                if link.startswith(("#", "http:", "https:", "mailto:", "data:", "javascript:")):
                    continue
                target = urljoin(page, link).split("#")[0]
                assert target.startswith(base), (page, link)
                if target.endswith((".html", "/")):
                    pages.append(target)
                elif target not in seen:
                    seen.add(target)
                    try:
                        urlopen(target).close()
                    except HTTPError as exc:
                        broken.append((page, link, exc.code))
    assert not absolute, absolute[:5]
    assert not broken, broken[:5]
    assert sum(p.endswith(".html") for p in seen) >= 20


def test_the_day_an_edition_was_first_published_survives_a_copy_without_file_times(
    tmp_path: Path,
) -> None:
    # the day came from the manifest's modification time alone: a copy of the site that does
    # not keep times (cp -r, a git checkout) turned it into the day of the --force rebuild
    publish.publish_version(make_sample_input("2025Q4"), tmp_path)
    manifest = tmp_path / "2025Q4" / "downloads" / "manifest.json"
    first_day = datetime.fromtimestamp(manifest.stat().st_mtime, tz=UTC).date().isoformat()
    os.utime(manifest, (1_600_000_000, 1_600_000_000))  # 2020-09-13: what a copy might leave
    corrected = make_sample_input("2025Q4")
    corrected.program_name = "Corrected build"
    publish.publish_version(corrected, tmp_path, force=True)
    restates = publish.edition_manifest(tmp_path, "2025Q4")["restates"]
    assert restates["published_on"] == first_day != "2020-09-13"
    assert [row["published_on"] for row in publish.restated_editions(tmp_path)] == [first_day]


def _edition_with(out_root: Path, version: str, manifest: dict) -> None:
    """Create a minimal edition of `version` whose manifest is `manifest` (and its period)."""
    folder = fake_version(out_root, version)
    text = json.dumps({"period": version, "data_as_of": "2025-12-31", **manifest})
    (folder / "downloads" / "manifest.json").write_text(text)


def test_a_new_edition_records_the_measures_whose_definition_changed(tmp_path: Path) -> None:
    # before, the 2025Q4 edition's manifest said nothing of the 15 measures whose spec version
    # changed since the 2025Q3 edition, and `versions list` could not show it either
    from types import SimpleNamespace

    from click.testing import CliRunner

    from scorecard import build
    from scorecard.cli import main

    _edition_with(tmp_path, "2025Q2", {"measures": {"a": 1, "b": 1}})
    _edition_with(tmp_path, "2025Q3", {"measures": {"a": 5, "b": 2, "gone": 1, "s": 2}})
    _edition_with(tmp_path, "2026Q1", {"measures": {"a": 9}})  # later: not compared with
    specs = [SimpleNamespace(id=i, version=v) for i, v in (("a", 6), ("b", 2), ("new", 1))]
    specs.append(SimpleNamespace(id="s", version=3))  # skipped now: not published
    skipped = {"s": "needs more data"}

    def changed(period: str) -> dict:
        return build.changed_since_previous(tmp_path, period, specs, skipped)  # type: ignore[arg-type]

    assert changed("2025Q4") == {
        "previous_edition": "2025Q3",
        "changed_since_previous": [{"measure_id": "a", "from": 5, "to": 6}],
    }
    assert changed("2025Q1") == {}  # a first edition: nothing to compare with, nothing said
    publish.set_state(tmp_path, "2025Q3", "hidden")  # out of the menu: the one before it
    assert changed("2025Q4")["changed_since_previous"] == [
        {"measure_id": "a", "from": 1, "to": 6},
        {"measure_id": "b", "from": 1, "to": 2},
    ]
    publish.set_state(tmp_path, "2025Q3", "active")
    _edition_with(tmp_path, "2025Q4", changed("2025Q4"))
    rows = {r["version"]: r for r in publish.version_rows(tmp_path)}
    assert rows["2025Q4"]["definitions_changed"] == 1
    assert rows["2025Q3"]["definitions_changed"] is None  # built before it was recorded
    runner = CliRunner()
    listed = runner.invoke(main, ["versions", "list", "--out", str(tmp_path)]).output
    head, *lines = listed.splitlines()
    assert "changed" in head.split()
    at = head.index("changed")
    rows_listed = [line for line in lines if line[:4].isdigit()]
    by_version = {line.split()[0]: line[at:].split()[0] for line in rows_listed}
    assert by_version["2025Q4"] == "1" and by_version["2025Q3"] == "-"
    as_json = runner.invoke(main, ["versions", "list", "--out", str(tmp_path), "--format", "json"])
    got = {r["version"]: r["definitions_changed"] for r in json.loads(as_json.output)}
    assert got == {"2026Q1": None, "2025Q4": 1, "2025Q3": None, "2025Q2": None}
