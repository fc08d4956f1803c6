# The two commands a newcomer needs: `make dev` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STACK := deploy/local/stack.sh
# Every recipe that talks to the stack gets its addresses from the stack itself.
WITH_ENV = eval "$$($(STACK) env)" &&

.PHONY: help setup install generate build lint test dev down status migrate bench bench-compare images clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

install: ## install missing Debian packages and npm dependencies
	@$(STACK) install

generate: install ## generate TypeScript from proto/ (ts-proto) and the Prisma client
	@mkdir -p .state && DATABASE_URL=$${DATABASE_URL:-postgres://unused@127.0.0.1/unused} flock .state/generate.lock npm run -s generate

setup: install generate ## install, generate, start PostgreSQL/NATS/rtpengine and migrate
	@$(STACK) up

build: generate ## type-check and compile every package (tsc -b)
	@npx tsc -b

lint: install ## eslint, prettier and buf lint
	@npx eslint --max-warnings=0 .
	@npx prettier --check --log-level=warn .
	@npm run -s lint:proto -w @callctl/proto

# Tests that load the whole box (an image build with buildah, two of every service) run after the rest, on
# their own, so that the real-time media tests do not share the two cores with them.
HEAVY_TESTS := deploy/images/test/ e2e/test/several-instances
IGNORE_HEAVY := --testPathIgnorePatterns /node_modules/ /dist/ $(HEAVY_TESTS)

test: setup build lint ## everything above, then the jest suite against the real services
	@mkdir -p .state
	@deploy/local/siprec-srs.sh
	@$(WITH_ENV) status=0; rm -f .state/jest-results.json .state/jest-heavy.json; \
	  npx jest --ci --maxWorkers=2 --json --outputFile=.state/jest-results.json $(if $(JEST_ARGS),,$(IGNORE_HEAVY)) $(JEST_ARGS) || status=$$?; \
	  results=.state/jest-results.json; \
	  if [ -z "$(JEST_ARGS)" ]; then \
	    npx jest --ci --maxWorkers=2 --json --outputFile=.state/jest-heavy.json $(HEAVY_TESTS) || status=$$?; \
	    results="$$results .state/jest-heavy.json"; \
	  fi; \
	  node deploy/local/jest-summary.js $$results; exit $$status

dev: setup build ## run the whole stack and every service, with prefixed logs; Ctrl-C stops it
	@$(WITH_ENV) node deploy/local/dev.js

down: ## stop what the local stack started
	@$(STACK) down

status: ## what runs where
	@$(STACK) status

migrate: ## apply database migrations to the local stack
	@$(STACK) migrate

# One benchmark at a time on this machine's two cores: bench and bench-compare take the same lock.
bench: setup build ## benchmarks: prints figures and ratios (see README)
	@$(WITH_ENV) flock .state/bench.lock node deploy/local/bench.js

bench-compare: setup build ## BENCH=<name> BASE=<rev> [HEAD=<rev>] [RUNS=3]: both revisions, alternating runs
	@$(WITH_ENV) BENCH='$(BENCH)' BASE='$(BASE)' HEAD='$(HEAD)' RUNS='$(or $(RUNS),3)' \
	  flock .state/bench.lock node deploy/local/dist/benchmarks/compare.js

images: build ## container images of every service with buildah (tags callctl/<service>:<version>; see README "Images")
	@deploy/images/build.sh all

clean: down ## stop the stack and remove build output and local state
	rm -rf .state node_modules/.cache libs/*/dist services/*/dist e2e/dist deploy/local/dist deploy/chart/dist deploy/images/dist *.tsbuildinfo
