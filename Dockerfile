# syntax=docker/dockerfile:1
#
# Loupe's container image: the static loupe binary on distroless, run as a
# non-root user. With no arguments it runs combo mode on the defaults, the
# embedded database in /var/lib/loupe:
#
#   docker build -t ghcr.io/loupe-dev/loupe:dev .
#   docker run -p 6060:6060 -v loupe-data:/var/lib/loupe ghcr.io/loupe-dev/loupe:dev
#
# With a configuration file:
#
#   docker run -p 6060:6060 -v ./config.yaml:/etc/loupe/config.yaml:ro \
#     ghcr.io/loupe-dev/loupe:dev -conf /etc/loupe/config.yaml -mode combo

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags='-s -w' -o /out/loupe ./cmd/loupe
# The data directory, made here: the final image has no shell.
RUN mkdir -p /out/data

# Distroless static: CA certificates, tzdata, /etc/passwd with the nonroot
# user (65532), /tmp; no shell, no package manager. Pin it by digest in
# production builds.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/loupe /usr/local/bin/loupe
COPY --from=build --chown=65532:65532 /out/data /var/lib/loupe
# data_dir defaults to $XDG_DATA_HOME/loupe: /var/lib/loupe. A data_dir in
# the configuration file takes precedence.
ENV XDG_DATA_HOME=/var/lib
USER 65532:65532
# The API (http_listen_addr) and introspection (introspection_addr:
# /healthz, /readyz, /metrics).
EXPOSE 6060 8089
ENTRYPOINT ["/usr/local/bin/loupe"]
