"""Sphinx extension: a book that works with no network.

1. MathJax. Sphinx loads MathJax 3 from a CDN by default. Here ``mathjax_path`` points at
   MathJax 2.7 from the ``jupyter-server-mathjax`` wheel (a dependency of the course),
   copied into ``_build/html/_static/mathjax`` after each build. The copy is made at the
   end of the build rather than kept in the book's ``_static/`` folder, because Jupyter
   Book 1 adds every ``.js`` found there as a script of every page.
2. Alt text. Figures made in a notebook carry a description of their titles and axis
   labels in their PNG metadata (``course_lib.plotting.use_style``); it becomes the image's
   alt text, instead of the file name myst-nb would give it.
3. Thebe. With thebe off (``launch_buttons.thebe: false`` in ``_config.yml``), the pages
   carry no thebe script at all: sphinx-thebe would otherwise add its loader (which points
   at a CDN) and, on incremental builds, its inline settings twice (a script error).
"""

from __future__ import annotations

import shutil
from pathlib import Path

# The wheel ships the "full" combined configuration and the STIX-Web fonts only, so the
# HTML-CSS output is told to use those fonts and look for no other (as Jupyter does).
MATHJAX_PATH = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
MATHJAX2_CONFIG = {
    # Sphinx wraps math in \( \) and \[ \] inside elements of class "math".
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processClass": "math|output_area"},
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web",
                 "imageFont": None,
                 # MathJax measures text in a font that never loads; its default source,
                 # url('about:blank'), is a blocked request in Chromium's console. A local()
                 # source that does not exist fails the same way, silently.
                 "styles": {"@font-face": {"font-family": "MathJax_Blank",
                                           "src": "local('MathJax_Blank')"}}},
    # The combined configuration also starts the NativeMML output, whose style sheet sets
    # MathML's script, fraktur, double-struck and calligraphic letters in MathJax's TeX web
    # fonts (fonts/HTML-CSS/TeX/otf), which the wheel does not ship. The hidden MathML that
    # MathJax adds for screen readers (AssistiveMML) matches those rules, so on any page
    # with \mathbb, \mathcal or \mathfrak the browser requested the fonts a moment after
    # load: 404s and console errors. These rules give the letters the surrounding font.
    "NativeMML": {"styles": {selector: {"font-family": "inherit"} for selector in (
        '[mathvariant="double-struck"]', '[mathvariant="script"]', '[mathvariant="bold-script"]',
        '[mathvariant="fraktur"]', '[mathvariant="bold-fraktur"]', '[class="MJX-tex-caligraphic"]',
        '[class="MJX-tex-caligraphic-bold"]', '[class="MJX-tex-oldstyle"]',
        '[class="MJX-tex-oldstyle-bold"]')}},
    "TeX": {"equationNumbers": {"autoNumber": "AMS"}},
    "messageStyle": "none",
}
# Parts of MathJax the pages never load (translations, the SVG output).
SKIP = ("localization", "SVG", "*.md", "*.txt")


def mathjax_source() -> Path:
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _configure(app, config) -> None:
    config.mathjax_path = MATHJAX_PATH
    config.mathjax2_config = MATHJAX2_CONFIG
    config.mathjax3_config = None


def _thebe_on(app) -> bool:
    return bool(app.config.html_theme_options.get("launch_buttons", {}).get("thebe"))


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    if _thebe_on(app) or "script_files" not in context:
        return
    context["script_files"] = [
        s for s in context["script_files"]
        if "sphinx-thebe" not in str(s) and "THEBE_JS_URL" not in str(getattr(s, "attributes", {}).get("body", ""))
    ]


def _describe_images(app, doctree, docname) -> None:
    from docutils import nodes
    from PIL import Image

    folder = Path(app.srcdir) / Path(docname).parent
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if image.get("alt") not in (None, "", uri) or not uri.endswith(".png"):
            continue
        for path in (Path(uri), folder / uri, Path(app.srcdir) / uri):
            if path.is_file():
                with Image.open(path) as png:
                    description = png.info.get("Description")
                if description:
                    image["alt"] = description
                break


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(mathjax_source(), target, ignore=shutil.ignore_patterns(*SKIP),
                        dirs_exist_ok=True)


def setup(app):
    app.connect("config-inited", _configure, priority=900)  # after the book's own config
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("doctree-resolved", _describe_images)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
