# SyncGateway: the syncgateway executable on the ASP.NET Core runtime, as a non-root user, with
# the SQLite records on a volume. Build: docker build -t syncgateway .
# Run:  docker run -p 5000:5000 -v sgdata:/var/lib/syncgateway -v $PWD/syncgateway.yaml:/etc/syncgateway/syncgateway.yaml:ro syncgateway
#
# The base images are build arguments: the official .NET images by default. CI, which reaches no
# image registry, builds the same stages from images it makes (scripts/build-syncgateway-image.sh):
# RUNTIME_IMAGE a Debian bookworm from debootstrap with this machine's .NET runtimes, and
# PUBLISHED an image holding a `dotnet publish` made beforehand in /out, so the SDK stage is not
# built at all (BuildKit builds only the stages the target needs).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
ARG PUBLISHED=build

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Gateway/SyncGateway.Gateway.csproj -c Release -o /out --nologo

FROM ${PUBLISHED} AS published

FROM ${RUNTIME_IMAGE} AS runtime
RUN groupadd --system --gid 10001 syncgateway \
 && useradd --system --uid 10001 --gid syncgateway --home-dir /var/lib/syncgateway syncgateway \
 && mkdir -p /var/lib/syncgateway /etc/syncgateway \
 && chown syncgateway:syncgateway /var/lib/syncgateway
COPY --from=published /out /app
USER 10001:10001
WORKDIR /var/lib/syncgateway
VOLUME ["/var/lib/syncgateway"]
EXPOSE 5000
ENV DOTNET_gcServer=0
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["dotnet", "/app/syncgateway.dll", "probe", "http://127.0.0.1:5000/healthz"]
ENTRYPOINT ["dotnet", "/app/syncgateway.dll"]
CMD ["serve", "--config", "/etc/syncgateway/syncgateway.yaml", "--records", "/var/lib/syncgateway/syncgateway.db"]
