# Gomato — the README's two commands are `make dev` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/gomato
export GOFLAGS := -buildvcs=false

.PHONY: dev test services build migrate lint bench clean screenshots

## dev: services, build, migrate, the worker in the background, `gomato demo` (three tenants
## from testdata/, scored through that worker), then the server until Ctrl-C. The URL and the
## demo's sign-ins are printed last; the worker's and server's logs go to bin/*.log, the demo's
## output also to bin/demo.log. DEMO_FLAGS=--reset reloads the demo tenants from scratch. The
## worker runs without nightly scoring while the demo loads (a nightly run of a still-empty tenant
## would become its baseline and swallow the first run's rescue alerts), then restarts with the
## defaults. Ctrl-C (SIGINT) or SIGTERM stops the server and the worker and exits 0.
## The demo's output is copied with `tee bin/demo.log`, never `tee /dev/stderr`: reopening
## /dev/stderr truncates a log that `make dev > log 2>&1` writes to, losing what came before.
DEMO_FLAGS ?=
dev: services build
	$(BIN) migrate
	@set -m -o pipefail; wpid=; spid=; \
	  stop() { trap - INT TERM EXIT; echo; echo "Stopping the server and the worker"; \
	    kill -TERM $$spid $$wpid 2>/dev/null; { wait $$spid $$wpid; } 2>/dev/null; \
	    echo "Gomato stopped (logs: bin/worker.log, bin/serve.log)"; exit 0; }; \
	  trap stop INT TERM; trap 'kill -TERM $$spid $$wpid 2>/dev/null' EXIT; \
	  addr=$${GOMATO_ADDR:-:8080}; case $$addr in :*) url=127.0.0.1$$addr;; *) url=$$addr;; esac; \
	  echo "Starting the worker (log: bin/worker.log)"; \
	  GOMATO_NIGHTLY_AT=off $(BIN) worker >>bin/worker.log 2>&1 & wpid=$$!; \
	  $(BIN) demo $(DEMO_FLAGS) | tee bin/demo.log || { echo "gomato demo failed (worker log: bin/worker.log)"; exit 1; }; \
	  kill -TERM $$wpid; wait $$wpid; \
	  $(BIN) worker >>bin/worker.log 2>&1 & wpid=$$!; \
	  echo "Starting the server (log: bin/serve.log)"; \
	  $(BIN) serve >>bin/serve.log 2>&1 & spid=$$!; \
	  for _ in $$(seq 1 60); do curl -fs -o /dev/null http://$$url/readyz && break; sleep 0.5; done; \
	  echo; sed -n '/^Sign in at/,/^$$/p' bin/demo.log; \
	  echo "Gomato is up: http://localhost:$${url##*:}  (readyz: $$(curl -s -o /dev/null -w '%{http_code}' http://$$url/readyz))"; \
	  echo "Logs: bin/worker.log, bin/serve.log. Press Ctrl-C to stop."; \
	  wait $$spid; rc=$$?; echo "The server exited with status $$rc (log: bin/serve.log)"; exit $$rc

## test: start services (and Chromium for the browser tests), vet, and run every test with the race detector
test:
	@bash deploy/local/services.sh --chromium
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 14m ./...

services:
	@bash deploy/local/services.sh

## screenshots: build the demo on a throwaway database, score it with a real
## worker, and photograph the UI in Persian and English into docs/screenshots
screenshots:
	@bash deploy/local/services.sh --chromium
	GOMATO_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(GO) test -tags screenshots -run '^TestScreenshots$$' -count=1 -timeout 20m -v ./cmd/gomato/demo/

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
