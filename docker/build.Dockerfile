# buyorders-build: the Swift toolchain, the C headers the package links
# against, and the package's dependencies resolved in a cached layer.
# Built by build_base_images.sh; the service images compile in it.
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE}

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libpq-dev librabbitmq-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The manifest alone (and Package.resolved when the checkout has one):
# this layer changes only when the dependencies do.
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
