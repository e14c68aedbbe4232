# The course's commands. `make book` builds the HTML book, `make test` runs every test;
# both create .venv and install requirements.txt first when needed (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install book test lab benchmark clean pdf

install: $(STAMP)

# Reinstalls only when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(STAMP)

# -W: warnings are errors; -n: every reference must resolve; --keep-going: report them all.
book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Open _build/html/index.html in a browser."

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab book/

# Times every notebook, the book build (cold, unchanged, after a one-line change), make pdf,
# the training loops, the explorers and the latent plane on this machine, and prepends a
# dated table to benchmarks/results.md (not a test: never fails). Parts alone:
# make benchmark ONLY=book,pdf  (parts: notebooks, book, pdf, training, explorers, latent).
ONLY ?= notebooks,book,pdf,training,explorers,latent
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py --only $(ONLY)

# The book as one PDF (_build/pdf/book.pdf): the pages of `make book`'s HTML build printed
# by the system Chromium, with no network (tools/pdf.py).
pdf: $(STAMP)
	$(BIN)/python tools/pdf.py

clean:
	rm -rf _build
