"""The repository's own conventions: clean notebooks, a table of contents that matches
book/, README commands that exist, and a CI script that runs the README's test command."""

import json
import re

from conftest import ROOT, toc_files


def test_notebooks_are_committed_without_outputs():
    dirty = []
    for path in ROOT.glob("book/**/*.ipynb"):
        if ".ipynb_checkpoints" in path.parts:
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"):
            dirty.append(path.name)
    assert not dirty, f"strip the outputs of {dirty} (Kernel > Restart and Clear Outputs, then save)"


def test_toc_and_book_folder_agree():
    listed = set(toc_files())
    pages = {p.relative_to(ROOT).with_suffix("").as_posix()
             for p in ROOT.glob("book/*") if p.suffix in (".ipynb", ".md")}
    missing = sorted(f for f in listed if f not in pages)
    unlisted = sorted(pages - listed)
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"
    assert not unlisted, f"pages of book/ missing from _toc.yml: {unlisted}"


def test_toc_parts_follow_the_lecture():
    captions = [c for c in re.findall(r"caption: (.*)", (ROOT / "_toc.yml").read_text())]
    lecture = [c for c in captions if c[0].isdigit()]
    assert [c.split(".")[0] for c in lecture] == ["1", "2", "3"], captions


def test_readme_commands_exist_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("book", "test", "lab"):
        assert f"make {target}" in readme, f"README should show `make {target}`"
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no `{target}` target"
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must run the README's test command"
    assert "apt-get install" in ci and "chromium" in ci


def test_requirements_pin_what_must_be_pinned():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^jupyter-book==1\.", requirements, re.M)
    assert re.search(r'^torch==2\.13\.0; sys_platform == "linux"$', requirements, re.M)
    assert re.search(r"^-e \.$", requirements, re.M)
