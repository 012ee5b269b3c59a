# The two commands of the README: `make run` and `make test`. Both install what they need.
CARGO ?= cargo
SAMPLES := data/samples/54084_mont-bonvillers.csv data/samples/67482_strasbourg_with-defects.csv

.PHONY: setup build run test lint bench-validate

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release -p ban

# Validates real BAL files: one valid commune, one with defects (its exit status 1 is expected).
run: build
	@for f in $(SAMPLES); do \
		echo "== ban validate $$f"; \
		target/release/ban validate $$f; \
		echo "(exit status $$?)"; \
	done

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: lint
	$(CARGO) test --workspace

# Side-by-side benchmark against the reference validator (installs it with npm first).
bench-validate: build
	bench/validate.sh
