using DaxLab.Checker;
using DaxLab.Device;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Scenarios;

/// <summary>
/// A scenario's state after its setup, taken from the first checked run and copied for every
/// later one instead of running the setup again (#9): the world's objects (file system, inode,
/// extents, mapping index, page tables, the scenario's log) by <see cref="GraphCopier"/>, the
/// device's bytes copy-on-write from a <see cref="DeviceImage"/>.
/// </summary>
/// <remarks>
/// A copy is the run's own: its primitives are bound to the run's seam and scheduler, which
/// replace those of the run the snapshot came from. The setup's resources are declared to the
/// new run in the order the setup first touched them, so it numbers them as a run that did the
/// setup would, and footprints compare across runs as before (docs/checker.md, "Resources
/// across runs"). The snapshot itself is never run: the first run goes on with the world it set up.
/// </remarks>
internal sealed unsafe class SetupSnapshot : IDisposable
{
    private readonly ScenarioWorld world;
    private readonly Seam seam;
    private readonly IScheduler scheduler;
    private readonly DeviceImage image;
    /// <summary>The device of <see cref="world"/>, mapped from <see cref="image"/> and never written.</summary>
    private readonly PmemDevice device;
    /// <summary>The resources the setup numbered, as objects of <see cref="world"/>, in their numbers' order.</summary>
    private readonly object[] resources;
    /// <summary>The file's content after the setup, which every run reads and none writes: shared, not copied.</summary>
    private readonly byte[] initial;

    private SetupSnapshot(ScenarioWorld world, Seam seam, IScheduler scheduler, DeviceImage image, PmemDevice device, object[] resources, byte[] initial)
    {
        this.initial = initial;
        this.device = device;
        this.world = world;
        this.seam = seam;
        this.scheduler = scheduler;
        this.image = image;
        this.resources = resources;
    }

    /// <summary>
    /// Copies <paramref name="setUp"/>, a world whose setup just ended under <paramref name="runSeam"/>'s
    /// scheduler and whose CPUs have not started (its setup log cleared, its initial content
    /// <paramref name="initial"/>). Null with <paramref name="refusal"/> saying why when the
    /// world holds something a copy cannot reproduce (then every run does the setup).
    /// </summary>
    public static SetupSnapshot? TryTake(ScenarioWorld setUp, Seam runSeam, byte[] initial, out string? refusal)
    {
        refusal = null;
        if (!DeviceImage.Supported || runSeam.Scheduler is not ScheduledRun run)
        {
            refusal = "no checker run, or a host without memfd";
            return null;
        }
        DeviceImage? image = null;
        PmemDevice? original = null;
        var copier = new GraphCopier(o => o switch
        {
            PmemDevice device => (image ??= DeviceImage.Of(original = device)).NewDevice(),
            VmArea { HasPrivatePages: true } => throw new NotSupportedException("the setup made private copies of pages (native memory)"),
            _ => null,
        });
        copier.Map(runSeam, runSeam);
        copier.Map(run, run);
        copier.Map(Seam.RealThreads, Seam.RealThreads);
        copier.Map(initial, initial);
        try
        {
            var world = copier.Copy(setUp);
            if (image is null)
                throw new NotSupportedException("the world has no device");
            var device = (PmemDevice)copier.CopyObject(original)!;
            object[] resources = [.. run.NumberedResources.Select(r => Copy(r, copier, original!, device))];
            return new SetupSnapshot(world, runSeam, run, image, device, resources, initial);
        }
        catch (Exception e) when (e is NotSupportedException || e.InnerException is NotSupportedException)
        {
            image?.Dispose();
            refusal = (e.InnerException ?? e).Message;
            return null;
        }
    }

    /// <summary>A world in the state the setup left, for the run of <paramref name="runSeam"/>, whose factory calls this.</summary>
    public ScenarioWorld NewWorld(Seam runSeam)
    {
        PmemDevice? copied = null;
        var copier = new GraphCopier(o => o is PmemDevice ? copied = image.NewDevice() : null);
        copier.Map(seam, runSeam);
        copier.Map(scheduler, runSeam.Scheduler!);
        copier.Map(Seam.RealThreads, Seam.RealThreads);
        copier.Map(initial, initial);
        var copy = copier.Copy(world);
        foreach (var resource in resources)
            runSeam.Access(Copy(resource, copier, device, copied!), write: false);
        return copy;
    }

    /// <summary>
    /// The copy of a resource the setup numbered. Pages of the device are named by their host
    /// address, so a page of the original device becomes the same page of the copy's device.
    /// </summary>
    private static object Copy(object resource, GraphCopier copier, PmemDevice from, PmemDevice to) =>
        Seam.RelocatedPage(resource, from.Base, to.Base, from.Size) ?? copier.CopyObject(resource)!;

    public void Dispose()
    {
        world.Dispose();
        image.Dispose();
    }
}
