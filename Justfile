# mailkeep tasks. Install just with: npm install -g rust-just

# Run the demo: a built-in IMAP and POP3 server with sample mail, fetched, indexed and served.
demo:
    go run ./cmd/mailkeep demo

# Run the tests (what CI runs, without the required-tool checks).
test:
    go test ./...

# What CI runs: install Dovecot and Chromium, then every test, none skipped.
ci:
    bash .ci/run

# Formatting and static checks.
lint:
    test -z "$(gofmt -l $(git ls-files '*.go'))" || (gofmt -l $(git ls-files '*.go'); exit 1)
    go vet ./...

# Micro-benchmarks, then the end-to-end figures (needs Dovecot; mbsync, getmail6, notmuch, mu where installed).
bench:
    go test -run '^$' -bench . -benchmem ./archive ./message ./mailfile ./fetch/pop3 ./index
    MAILKEEP_BENCH=1 go test -run 'Bench' -v -timeout 60m ./cmd/mailkeep ./fetch/imap ./fetch/pop3 ./index
