# buyorders-runtime: what a built service needs to run and nothing more:
# the C libraries' runtime packages, the Swift runtime libraries taken from
# the build image, curl for health checks, and a non-root user.
# Built by build_base_images.sh after buyorders-build.
ARG BUILD_IMAGE=buyorders-build:latest
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${BUILD_IMAGE} AS swift-runtime
# The shared libraries of the toolchain minus the test frameworks, and the
# backtracer the runtime runs on a crash.
RUN mkdir -p /out/usr/lib/swift/linux /out/usr/libexec/swift/linux \
    && cp -a /usr/lib/swift/linux/*.so /out/usr/lib/swift/linux/ \
    && rm -f /out/usr/lib/swift/linux/libXCTest.so /out/usr/lib/swift/linux/*Testing*.so \
    && cp -a /usr/libexec/swift/linux/. /out/usr/libexec/swift/linux/

FROM ${DEBIAN_IMAGE}
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libpq5 librabbitmq4 libcurl4 ca-certificates tzdata libstdc++6 curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 buyorders \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin buyorders \
    && mkdir -p /app
COPY --from=swift-runtime /out/ /

WORKDIR /app
# buyorders:buyorders
USER 10001:10001
# Listen on every interface of the container unless told otherwise.
ENV HOST=0.0.0.0
