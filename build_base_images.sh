#!/usr/bin/env bash
# Builds the two base images the service images start from:
#   buyorders-build    the Swift toolchain, the C headers, dependencies resolved
#   buyorders-runtime  Debian slim, runtime C libraries, Swift runtime, non-root user
#   ./build_base_images.sh
# SWIFT_IMAGE (default swift:6.3-bookworm; Package.swift needs Swift 6.2 or
# newer) picks the toolchain; BUYORDERS_TAG (default latest) the tag.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SWIFT_IMAGE=${SWIFT_IMAGE:-swift:6.3-bookworm}
TAG=${BUYORDERS_TAG:-latest}

main() {
  command -v docker >/dev/null || die "docker not found: the container path needs a Docker engine"
  log "buyorders-build:$TAG from $SWIFT_IMAGE"
  docker build -f docker/build.Dockerfile --build-arg "SWIFT_IMAGE=$SWIFT_IMAGE" \
    -t "buyorders-build:$TAG" . || die "building buyorders-build failed"
  log "buyorders-runtime:$TAG"
  docker build -f docker/runtime.Dockerfile --build-arg "BUILD_IMAGE=buyorders-build:$TAG" \
    -t "buyorders-runtime:$TAG" . || die "building buyorders-runtime failed"
  log "done: buyorders-build:$TAG, buyorders-runtime:$TAG"
}

main "$@"
