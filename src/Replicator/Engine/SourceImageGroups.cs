using System.Threading.Channels;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Engine;

/// <summary>
/// Puts the planned tasks of one source image together (a rule with several destinations, or
/// several rules of one source), so that the image is read once for all of them. The planner hands
/// on a rule's destinations of one image at once; they are taken in as they are planned and held,
/// up to <c>window</c> source images, while every copier is busy; the tasks of an image already
/// held (another rule's) join it. The oldest image goes to the first free copier. Tasks whose rules
/// filter the image's platforms differently copy different manifests, so they are grouped apart.
/// </summary>
internal static class SourceImageGroups
{
    public static async Task GatherAsync(ChannelReader<IReadOnlyList<SyncTask>> images, ChannelWriter<List<SyncTask>> groups, int window, CancellationToken cancellationToken)
    {
        var held = new List<List<SyncTask>>();
        var bySource = new Dictionary<string, List<SyncTask>>(StringComparer.Ordinal);
        var more = true;
        Task<bool>? readable = null;
        Task<bool>? writable = null;
        while (more || held.Count > 0)
        {
            while (held.Count < window && images.TryRead(out var image))
            {
                foreach (var task in image)
                {
                    var source = KeyOf(task);
                    if (bySource.TryGetValue(source, out var group))
                    {
                        group.Add(task);
                    }
                    else
                    {
                        bySource.Add(source, group = [task]);
                        held.Add(group);
                    }
                }
            }

            if (held.Count > 0 && groups.TryWrite(held[0]))
            {
                bySource.Remove(KeyOf(held[0][0]));
                held.RemoveAt(0);
                continue;
            }

            // Wait until a copier is free or more is planned, whichever comes first.
            if (more && held.Count < window)
            {
                readable ??= images.WaitToReadAsync(cancellationToken).AsTask();
            }

            if (held.Count > 0)
            {
                writable ??= groups.WaitToWriteAsync(cancellationToken).AsTask();
            }

            var done = await Task.WhenAny(new[] { readable, writable }.OfType<Task<bool>>()).ConfigureAwait(false);
            if (!await done.ConfigureAwait(false))
            {
                if (done == writable)
                {
                    // Nobody copies any more (the run was stopped).
                    return;
                }

                more = false;
            }

            if (done == readable)
            {
                readable = null;
            }
            else
            {
                writable = null;
            }
        }
    }

    private static string KeyOf(SyncTask task) => task.Platforms.IsEmpty ? task.Source.ToString() : $"{task.Source} {task.Platforms}";
}
