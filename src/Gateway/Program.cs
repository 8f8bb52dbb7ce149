using SyncGateway.Gateway.Cli;

return await SyncGatewayCli.InvokeAsync(args, new CliConsole(Console.Out, Console.Error, IsTerminal: !Console.IsErrorRedirected, OwnsProcess: true));
