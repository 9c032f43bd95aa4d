"""Versioned output: versions.json, aliases, atomic swap, no overwrite, old editions kept."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from site_fixture import chromium_page, make_sample_input, serve_folder

from scorecard import publish


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
    second = publish.publish_version(make_sample_input("2025Q4", ["2025Q3", "2025Q4"]), root)
    return {"root": root, "first": first, "second": second, "before": before}


def test_versions_json_is_mike_format_newest_first(published: dict) -> None:
    entries = json.loads((published["root"] / "versions.json").read_text())
    assert entries == [
        {"version": "2025Q4", "title": "2025 Q4", "aliases": ["latest"]},
        {"version": "2025Q3", "title": "2025 Q3", "aliases": []},
    ]


def test_adding_a_version_leaves_the_first_byte_identical(published: dict) -> None:
    assert published["before"]
    assert tree_digest(published["first"]) == published["before"]


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
    assert sorted(p.name for p in (root / "latest").iterdir()) == ["index.html"]


def test_no_temporary_folders_are_left(published: dict) -> None:
    names = sorted(p.name for p in published["root"].iterdir())
    assert names == ["2025Q3", "2025Q4", "index.html", "latest", "versions.json"]


def test_refuses_to_overwrite_without_force(published: dict) -> None:
    before = tree_digest(published["root"])
    with pytest.raises(publish.VersionExistsError, match="force=True"):
        publish.publish_version(make_sample_input("2025Q4"), published["root"])
    assert tree_digest(published["root"]) == before


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
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = make_sample_input("2025Q4")
    broken.results = broken.results.drop(columns=["kind"])
    with pytest.raises(KeyError):
        publish.publish_version(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["latest", "../x", "", ".hidden", "a/b"])
def test_version_ids_must_be_plain_folder_names(bad: str) -> None:
    with pytest.raises(ValueError):
        publish.check_version_id(bad)


def test_published_versions_lists_existing_editions(published: dict) -> None:
    assert publish.published_versions(published["root"]) == ["2025Q4", "2025Q3"]
    assert publish.published_versions(published["root"] / "nowhere") == []


def test_remove_version_repoints_the_aliases(tmp_path: Path) -> None:
    for version in ("2025Q3", "2025Q4"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "index.html").write_text(version)
        publish.update_versions(tmp_path, version)
    publish.remove_version(tmp_path, "2025Q4")
    assert publish.published_versions(tmp_path) == ["2025Q3"]
    assert "../2025Q3/" in (tmp_path / "latest" / "index.html").read_text()
    publish.remove_version(tmp_path, "2025Q3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["versions.json"]


def test_versions_sort_by_time() -> None:
    ids = ["2025Q1", "2024", "2025Q4", "2025Q10", "2024Q4"]
    entries = publish.versions_entries(ids)
    assert [e["version"] for e in entries] == ["2025Q10", "2025Q4", "2025Q1", "2024Q4", "2024"]
    assert [e["aliases"] for e in entries] == [["latest"], [], [], [], []]


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "versions.json"
    publish.write_atomic(path, "old")
    publish.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["versions.json"]


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
        assert not errors
