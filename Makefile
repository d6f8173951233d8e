# ddrotate — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

FUNCTIONS := $(notdir $(wildcard functions/*))
# Reproducible Lambda builds: same source, same bytes, same CDK asset hash.
LAMBDA_FLAGS := -trimpath -buildvcs=false -tags lambda.norpc -ldflags="-s -w"
GO_TEST_FLAGS ?=

.PHONY: all build lambdas ddrotate test lint validate-asl demo serve local bench synth test-faults mutate clean help

all: build

help:
	@echo "make demo         run the whole system on the embedded emulators"
	@echo "make test         lint, validate the state machines, run every test"
	@echo "make test-faults  the long fault-matrix suite"
	@echo "make mutate       mutation testing (gremlins); regenerates test/MUTATION.md"
	@echo "make bench        benchmarks; regenerates bench/RESULTS.md"
	@echo "make synth        synthesize the CDK app into cdk.out/"
	@echo "make local        synthesize, then run the synthesized stack on this machine"
	@echo "make build        build the CLI (bin/ddrotate) and the Lambda bundles"

build: ddrotate lambdas

ddrotate:
	go build -o bin/ddrotate ./cmd/ddrotate

# One folder per function holding a single file named bootstrap, as the
# provided.al2023 runtime expects.
lambdas: $(addprefix build/functions/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/functions/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(LAMBDA_FLAGS) -o $@ ./functions/$*

FORCE:

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

node_modules/.bin/asl-validator: package.json
	npm ci --no-audit --no-fund --loglevel=error

validate-asl: node_modules/.bin/asl-validator
	node_modules/.bin/asl-validator --json-path statemachine/rotate-target.asl.json --json-path statemachine/rotate-fleet.asl.json

test: lint validate-asl
	go test $(GO_TEST_FLAGS) ./...

# The whole fault matrix; regenerates test/RELIABILITY.md and the README's table.
test-faults:
	DDROTATE_FAULTS=full DDROTATE_WRITE_REPORT=1 go test -count=1 -timeout 30m ./test/

# Mutation testing of the packages whose tests are the rotation's evidence,
# with gremlins pinned in go.mod's tool directive; writes test/MUTATION.md.
# Long (see test/MUTATION.md for how long); not part of make test or CI.
MUTATE_FLAGS ?=
mutate:
	go run ./test/cmd/mutationreport $(MUTATE_FLAGS)

demo:
	go run ./cmd/ddrotate demo

serve:
	go run ./cmd/ddrotate serve

# The synthesized stack itself on this machine: its real Lambda bootstraps
# (built for this host), its IAM policies, state machines, topics and
# schedules, behind the local emulators.
local: synth
	go run ./cmd/ddrotate serve --template "$$(ls cdk.out/*.template.json | grep -v '\.nested\.' | head -n 1)"

bench:
	go run ./bench/cmd/benchreport

synth: lambdas
	CDK_OUTDIR=cdk.out go run ./infra

clean:
	rm -rf bin build cdk.out
