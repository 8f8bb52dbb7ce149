# SyncGateway: the native syncgateway executable (Native AOT: no .NET runtime in the image, no
# compiling at start), as a non-root user, with the SQLite records on a volume.
# Build: docker build -t syncgateway .
# Run:  docker run -p 5000:5000 -v sgdata:/var/lib/syncgateway -v $PWD/syncgateway.yaml:/etc/syncgateway/syncgateway.yaml:ro syncgateway
#
# The base images are build arguments: the official .NET images by default (the SDK to build, the
# runtime dependencies alone to run: the C library, OpenSSL and CA certificates). CI, which reaches
# no image registry, builds the same runtime stage from images it makes
# (scripts/build-syncgateway-image.sh): RUNTIME_IMAGE a Debian bookworm from debootstrap, and
# PUBLISHED an image holding the same publish made beforehand in /out, so the SDK stage is not
# built at all (BuildKit builds only the stages the target needs).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0
ARG PUBLISHED=build

FROM ${SDK_IMAGE} AS build
# The native compile links with clang and needs zlib's headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Gateway/SyncGateway.Gateway.csproj -c Release --use-current-runtime -p:PublishAot=true -o /out --nologo

FROM ${PUBLISHED} AS published

FROM ${RUNTIME_IMAGE} AS runtime
RUN groupadd --system --gid 10001 syncgateway \
 && useradd --system --uid 10001 --gid syncgateway --home-dir /var/lib/syncgateway syncgateway \
 && mkdir -p /var/lib/syncgateway /etc/syncgateway \
 && chown syncgateway:syncgateway /var/lib/syncgateway
# the executable and the SQLite library it loads; not the debugging symbols or documentation files
COPY --from=published /out/syncgateway /out/libe_sqlite3.so /app/
USER 10001:10001
WORKDIR /var/lib/syncgateway
VOLUME ["/var/lib/syncgateway"]
EXPOSE 5000
ENV DOTNET_gcServer=0
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["/app/syncgateway", "probe", "http://127.0.0.1:5000/healthz"]
ENTRYPOINT ["/app/syncgateway"]
CMD ["serve", "--config", "/etc/syncgateway/syncgateway.yaml", "--records", "/var/lib/syncgateway/syncgateway.db"]
