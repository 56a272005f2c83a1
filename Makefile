# Gomato — the README's two commands are `make dev` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/gomato
export GOFLAGS := -buildvcs=false

.PHONY: dev test services build migrate lint bench clean

## dev: start services, migrate, then run the worker and the server until Ctrl-C
dev: services build
	$(BIN) migrate
	@set -m; trap 'kill -TERM $$wpid $$spid 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN) worker & wpid=$$!; \
	  $(BIN) serve & spid=$$!; \
	  for _ in $$(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1$${GOMATO_ADDR:-:8080}/readyz && break; sleep 0.5; done; \
	  echo; echo "Gomato is up: http://localhost$${GOMATO_ADDR:-:8080}  (readyz: $$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1$${GOMATO_ADDR:-:8080}/readyz))"; \
	  echo "Press Ctrl-C to stop."; \
	  wait $$spid

## test: start services (and Chromium for the browser tests), vet, and run every test with the race detector
test:
	@bash deploy/local/services.sh --chromium
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 14m ./...

services:
	@bash deploy/local/services.sh

build:
	$(GO) build -o $(BIN) ./cmd/gomato

migrate: build
	$(BIN) migrate

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

## bench: Go benchmarks (see BENCHMARKS.md for the load generator)
bench: services
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
