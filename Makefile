# Loupe's everyday commands. Each is one line of plain Go tooling; the
# README gives the same commands.

.PHONY: all build test quickstart bench fuzz check

all: check test

build:
	CGO_ENABLED=0 go build -o bin/loupe ./cmd/loupe

test:
	go test ./...

quickstart:
	go run ./examples/quickstart

bench:
	./scripts/bench

# check is what CI runs besides the tests: formatting and vet.
check:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# fuzz runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@for spec in $$(go test -list 'Fuzz.*' ./... 2>/dev/null | awk '/^Fuzz/ {f = f " " $$1} /^ok/ {n = split(f, a, " "); for (i = 1; i <= n; i++) print $$2 " " a[i]; f = ""}' | tr ' ' '@'); do \
		pkg=$${spec%@*}; fn=$${spec#*@}; \
		echo "== $$pkg $$fn"; go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done
