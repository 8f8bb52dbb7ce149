# syntax=docker/dockerfile:1
# SyncGateway: the syncgateway executable on the ASP.NET Core runtime, as a non-root user, with
# the SQLite records on a volume. Build: docker build -t syncgateway .
# Run:  docker run -p 5000:5000 -v sgdata:/var/lib/syncgateway -v $PWD/syncgateway.yaml:/etc/syncgateway/syncgateway.yaml syncgateway

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Gateway/SyncGateway.Gateway.csproj -c Release -o /out --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN groupadd --system --gid 10001 syncgateway \
 && useradd --system --uid 10001 --gid syncgateway --home-dir /var/lib/syncgateway syncgateway \
 && mkdir -p /var/lib/syncgateway /etc/syncgateway \
 && chown syncgateway:syncgateway /var/lib/syncgateway
COPY --from=build /out /app
USER 10001:10001
WORKDIR /var/lib/syncgateway
VOLUME ["/var/lib/syncgateway"]
EXPOSE 5000
ENV DOTNET_gcServer=0
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["dotnet", "/app/syncgateway.dll", "probe", "http://127.0.0.1:5000/healthz"]
ENTRYPOINT ["dotnet", "/app/syncgateway.dll"]
CMD ["serve", "--config", "/etc/syncgateway/syncgateway.yaml", "--records", "/var/lib/syncgateway/syncgateway.db"]
