# llink — developer targets. `make test` is the README's test command.
GO ?= go
FUZZTIME ?= 20s
PKGS_KERNEL = ./asm/... ./tensor/...

.PHONY: test test-short bench fuzz lint cross fixtures generate check-generate ci

# cmd/llink's end-to-end tests take 8–10 minutes on two loaded cores: past
# go test's default 10-minute limit per package, so the limit is raised.
test:
	$(GO) test -timeout 30m ./...

test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1s ./asm/ ./tensor/ ./models/tokenizer/ ./models/safetensors/ ./nn/

# Each fuzz target for FUZZTIME (scripts/fuzz.sh: one target per go test
# invocation; a bare deadline race of Go's fuzzing coordinator is retried once).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...

# arm64 build under qemu-user (Debian's qemu-user-static).
cross:
	GOARCH=arm64 $(GO) test -short -exec qemu-aarch64-static $(PKGS_KERNEL)

fixtures:
	bash scripts/fixtures.sh

generate:
	$(GO) generate ./...

check-generate: generate
	@git diff --exit-code -- '*.s' || (echo "generated assembly is stale: run make generate"; exit 1)

ci:
	bash .ci/run
