# syntax=docker/dockerfile:1
#
# mailkeep serve in a container: a static binary (no cgo: modernc.org/sqlite),
# run as an unprivileged user, the archive and the config in volumes.
#
#   docker build -t mailkeep .
#   docker run -d --name mailkeep --stop-timeout 60 \
#     -v mailkeep-archive:/archive -v "$PWD/config:/config:ro" \
#     -e MAILKEEP_WEB_PASSWORD='choose-one' \
#     -p 127.0.0.1:8025:8025 mailkeep
#
# The web UI listens on 0.0.0.0:8025 inside the container, which mailkeep
# refuses without a web password: set one in /config/config.toml ([web]
# password_command = "cat /run/secrets/mailkeep_web", password_env or
# password) or with the environment (MAILKEEP_WEB_PASSWORD,
# MAILKEEP_WEB_PASSWORD_ENV). The browser then asks for it (any user name).
# Publish the same port number on the host (-p 127.0.0.1:8025:8025): the UI
# answers only to the host names and port it listens on. See contrib/README.md.

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mailkeep ./cmd/mailkeep

FROM alpine:3.21
# CA certificates to verify the mail servers, zone data for schedule.cron in
# local time (set TZ), and a shell's cat for password_command with secrets.
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 mailkeep \
 && adduser -S -D -H -u 10001 -G mailkeep -h /archive mailkeep \
 && mkdir -p /archive /config \
 && chown mailkeep:mailkeep /archive /config \
 && chmod 0700 /archive
COPY --from=build /out/mailkeep /usr/local/bin/mailkeep
USER mailkeep:mailkeep
WORKDIR /archive
ENV HOME=/archive \
    MAILKEEP_CONFIG=/config/config.toml \
    MAILKEEP_ARCHIVE_DIR=/archive
VOLUME ["/archive", "/config"]
EXPOSE 8025
# SIGTERM is a graceful stop: the fetch in progress commits what is complete.
# Give it time (docker run --stop-timeout 60, compose stop_grace_period: 1m).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mailkeep"]
CMD ["serve", "--listen", "0.0.0.0:8025"]
