# The two commands of the README: `make run` and `make test`. Both install what they need.
CARGO ?= cargo
SAMPLES := data/samples/54084_mont-bonvillers.csv data/samples/67482_strasbourg_with-defects.csv

.PHONY: setup build run validate-samples test lint check-deploy bench-validate bench-depot

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release -p ban

# The main job: `ban serve` on ./data/ban.db, a real commune published through the API, a file
# with defects refused with its report; the server keeps running (Ctrl-C stops it).
run: build
	@scripts/demo.sh

# Validates the sample files offline (exit status 1 for the one with defects is expected).
validate-samples: build
	@for f in $(SAMPLES); do \
		echo "== ban validate $$f"; \
		target/release/ban validate $$f; \
		echo "(exit status $$?)"; \
	done

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The deployment files (deploy/) checked by the tools' own validators (installs them first).
check-deploy:
	deploy/check.sh

test: lint check-deploy
	$(CARGO) test --workspace

# Side-by-side benchmark against the reference validator (installs it with npm first).
bench-validate: build
	bench/validate.sh

# Upload + compute of a 52 k-row commune over HTTP.
bench-depot: build
	bench/depot.sh
